/**
 * The JSON the CI endpoint answers with, shared by the route and by `verdict ci attest` (which
 * validates it: a response is an edge too).
 */
import { z } from 'zod';
import { CI_TOKEN_MAX_TTL_SEC } from './ci-token.ts';

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

export const ciTokenView = z.object({
  jti: z.string(),
  issuedBy: z.string(),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
  revokedBy: z.string().nullable(),
});

export const ciTokensView = z.object({ tokens: z.array(ciTokenView) });

export const ciTokenIssuedView = z.object({
  contractId: z.string(),
  milestoneIndex: z.number().int(),
  token: z.string(),
  jti: z.string(),
  expiresAt: z.number().int(),
  note: z.string(),
});

export const ciResultView = z.object({
  resultId: z.number().int(),
  receivedAt: z.number().int(),
  identity: z.record(z.string(), z.unknown()),
  commit: z.string(),
  result: z.enum(['PASSED', 'WARNED', 'FAILED']),
  counts: z.object({ passed: z.number(), warned: z.number(), failed: z.number() }),
  runUrl: z.string().nullable(),
  policyMet: z.boolean(),
  unmet: z.array(z.string()),
  decided: z.boolean(),
  /** The statement as submitted (an in-toto test-result statement). */
  statement: z.record(z.string(), z.unknown()),
});

/** One page, oldest first; `nextCursor` (null on the last page) fetches the next (issue 19 §8). */
export const ciResultsView = z.object({
  results: z.array(ciResultView),
  nextCursor: z.string().nullable(),
});

export const ciTokenIssueInput = z.strictObject({
  ttlSec: z.number().int().min(60).max(CI_TOKEN_MAX_TTL_SEC).optional(),
});
