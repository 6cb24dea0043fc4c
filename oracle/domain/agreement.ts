/**
 * Issue 15: each party's answer to a contract's terms. The creator's app accepts at creation; the
 * invitee reads the terms (its app checks their hash) and accepts or declines. An answer names
 * the terms hash it was given for, is recorded in the audit log, and is final: the same answer
 * again is idempotent, a different one is `409 agreement_final`.
 */
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { appendAudit } from './audit-log.ts';
import { getContract } from './contracts.ts';

export const agreementInput = z.strictObject({
  decision: z.enum(['accept', 'decline']),
  termsHash: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the terms you read, 64 hex'),
});
export type AgreementInput = z.infer<typeof agreementInput>;

export type AgreementState = 'pending' | 'accepted' | 'declined';
export interface Agreement {
  readonly client: AgreementState;
  readonly freelancer: AgreementState;
}

const stateOf = (decision: string | undefined): AgreementState =>
  decision === 'accept' ? 'accepted' : decision === 'decline' ? 'declined' : 'pending';

/** Both parties' answers so far. */
export function agreementOf(ctx: AppContext, contractId: string): Agreement {
  const rows = ctx.db
    .prepare('SELECT role, decision FROM contract_agreements WHERE contract_id = ?')
    .all(contractId) as { role: string; decision: string }[];
  const by = new Map(rows.map((r) => [r.role, r.decision]));
  return { client: stateOf(by.get('client')), freelancer: stateOf(by.get('freelancer')) };
}

/**
 * Records `role`'s answer.
 * @throws AppError `terms_changed` (the hash is not the contract's), `agreement_final`
 */
export function recordAgreement(
  ctx: AppContext,
  contractId: string,
  actor: { role: 'client' | 'freelancer'; partyId: string },
  input: AgreementInput,
): Agreement {
  const { row } = getContract(ctx, contractId);
  if (input.termsHash !== row.terms_hash)
    throw new AppError(
      'terms_changed',
      'these are not the terms you answered for: read the terms again (their hash differs)',
      { termsHash: row.terms_hash },
    );
  ctx.db.transaction(() => {
    const prior = ctx.db
      .prepare('SELECT decision FROM contract_agreements WHERE contract_id = ? AND role = ?')
      .pluck()
      .get(contractId, actor.role) as string | undefined;
    if (prior === input.decision) return;
    if (prior !== undefined)
      throw new AppError(
        'agreement_final',
        `the ${actor.role} already answered ${prior}; an answer is final`,
        { decision: prior },
      );
    const now = ctx.now();
    ctx.db
      .prepare(
        'INSERT INTO contract_agreements (contract_id, role, decision, terms_hash, at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(contractId, actor.role, input.decision, input.termsHash, now);
    appendAudit(ctx.stores, {
      contractId,
      at: now,
      actor: `${actor.role}:${actor.partyId}`,
      action: input.decision === 'accept' ? 'terms_accepted' : 'terms_declined',
      milestoneIndex: null,
      details: { termsHash: input.termsHash },
    });
  })();
  return agreementOf(ctx, contractId);
}
