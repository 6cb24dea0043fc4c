/**
 * A Verdict contract's terms as a party receives them from the oracle (`GET /v1/contracts/:id/
 * terms`, or an invitation), checked against their hash, and the DLC terms of one milestone
 * derived from them. Shared by `verdict dlc terms` and the parties' app: one implementation.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { milestoneTermsSchema, termsToJson, type MilestoneTermsInput } from './milestone-terms.ts';

const outcome = z.string();
/** The canonical terms as the oracle hashes them (fields the parties act on; others kept). */
export const contractTermsSchema = z.looseObject({
  version: z.literal(1),
  contractId: z.string().min(1),
  oraclePublicKey: z.string().regex(/^[0-9a-f]{64}$/),
  title: z.string().optional(),
  client: z.object({ id: z.string(), name: z.string() }),
  freelancer: z.object({ id: z.string(), name: z.string() }),
  milestones: z
    .array(
      z.looseObject({
        index: z.number().int().nonnegative(),
        title: z.string(),
        description: z.string().optional(),
        acceptanceCriteria: z.array(z.string()).optional(),
        amountSat: z.string().regex(/^\d+$/),
        outcome: z.enum(['enum', 'share']),
        deliveryDeadline: z.number().int(),
        reviewWindowSec: z.number().int(),
        defaultOnSilence: outcome,
        defaultOnNoDelivery: outcome,
        dispute: z.looseObject({
          quorum: z.number().int(),
          evidenceWindowSec: z.number().int(),
          votingWindowSec: z.number().int(),
          fallbackOutcome: outcome,
          appealAllowed: z.boolean(),
        }),
      }),
    )
    .min(1),
});
export type ContractTerms = z.infer<typeof contractTermsSchema>;

export interface VerifiedContractTerms {
  readonly termsHash: string;
  readonly canonicalJson: string;
  readonly terms: ContractTerms;
}

/** The oracle's canonical JSON does not hash to the terms hash it names (or is not terms). */
export class TermsMismatchError extends Error {
  readonly code = 'terms_mismatch';
  constructor(message: string) {
    super(message);
    this.name = 'TermsMismatchError';
  }
}

export const sha256HexOf = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Checks that `canonicalJson` hashes to `termsHash` and reads it as terms; with `contractId`,
 * that the terms are that contract's.
 * @throws TermsMismatchError
 */
export function verifyContractTerms(
  given: { termsHash: string; canonicalJson: string },
  contractId?: string,
): VerifiedContractTerms {
  const got = sha256HexOf(given.canonicalJson);
  if (got !== given.termsHash)
    throw new TermsMismatchError(
      `the terms do not hash to their terms hash ${given.termsHash} (they hash to ${got})`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(given.canonicalJson);
  } catch {
    throw new TermsMismatchError('the terms are not JSON');
  }
  const r = contractTermsSchema.safeParse(parsed);
  if (!r.success) throw new TermsMismatchError(`not Verdict terms: ${z.prettifyError(r.error)}`);
  if (contractId !== undefined && r.data.contractId !== contractId)
    throw new TermsMismatchError(
      `the terms are contract ${r.data.contractId}'s, not ${contractId}'s`,
    );
  return { termsHash: given.termsHash, canonicalJson: given.canonicalJson, terms: r.data };
}

/** The oracle event id of a milestone: it commits to the terms through their hash. */
export function milestoneEventId(contractId: string, index: number, termsHash: string): string {
  return `verdict/${contractId}/${index}/${termsHash.slice(0, 16)}`;
}

export interface MilestoneDlcChoices {
  readonly offererRole: 'client' | 'freelancer';
  readonly funding: 'single' | 'dual';
  readonly feeRatePerVb: string;
  readonly offerCollateralSat?: string;
}

/**
 * The DLC terms of milestone `index` (what `offer` and `accept` check against), with its scope
 * (title, description, criteria) for the party to read.
 * @throws RangeError when the contract has no such milestone; ZodError on invalid choices.
 */
export function milestoneDlcTerms(
  v: VerifiedContractTerms,
  index: number,
  choices: MilestoneDlcChoices,
): MilestoneTermsInput {
  const m = v.terms.milestones.find((x) => x.index === index);
  if (m === undefined)
    throw new RangeError(`contract ${v.terms.contractId} has no milestone ${index}`);
  const terms: MilestoneTermsInput = {
    eventId: milestoneEventId(v.terms.contractId, index, v.termsHash),
    oraclePublicKey: v.terms.oraclePublicKey,
    outcome: m.outcome,
    amountSat: m.amountSat,
    offererRole: choices.offererRole,
    funding: choices.funding,
    feeRatePerVb: choices.feeRatePerVb,
    ...(choices.offerCollateralSat === undefined
      ? {}
      : { offerCollateralSat: choices.offerCollateralSat }),
    title: m.title,
    ...(m.description === undefined ? {} : { description: m.description }),
    ...(m.acceptanceCriteria === undefined ? {} : { acceptanceCriteria: m.acceptanceCriteria }),
  };
  return termsToJson(milestoneTermsSchema.parse(terms));
}
