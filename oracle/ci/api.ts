/**
 * The JSON the CI endpoint answers with, shared by the route and by `verdict ci attest` (which
 * validates it: a response is an edge too).
 */
import { z } from 'zod';

export const DEFAULT_OIDC_AUDIENCE = 'verdict';

export const ciSubmissionResponseSchema = z.object({
  resultId: z.number().int(),
  contractId: z.string(),
  milestoneIndex: z.number().int(),
  commit: z.string(),
  result: z.enum(['PASSED', 'WARNED', 'FAILED']),
  counts: z.object({ passed: z.number(), warned: z.number(), failed: z.number() }),
  policyMet: z.boolean(),
  /**
   * `attested`: the pass decided the milestone and the oracle attested it.
   * `evidence`: stored for the parties and a dispute; nothing decided (a non-decisive policy, or a
   * milestone already decided).
   */
  decision: z.enum(['attested', 'evidence']),
  unmet: z.array(z.string()),
  eventId: z.string(),
  outcome: z.union([z.string(), z.number()]).nullable(),
  attestationHex: z.string().nullable(),
});

export type CiSubmissionResponse = z.infer<typeof ciSubmissionResponseSchema>;

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
