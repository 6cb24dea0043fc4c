/**
 * CI attestation (DESIGN.md "CI attestation", issue 7): a pipeline submits an in-toto
 * test-result statement for a milestone; the milestone's CI policy (in the terms) says which
 * identity may speak and what a pass needs. A pass for the delivered commit under a decisive
 * policy decides the milestone through the service's one seam, `decideMilestone`; every result
 * that gets past authentication is stored as evidence.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import type { MilestoneRow } from '../db/stores.ts';
import type { JsonValue } from '../domain/canonical-json.ts';
import { appendAudit } from '../domain/audit-log.ts';
import { getContract } from '../domain/contracts.ts';
import { decideMilestone, deliverySchema, type MilestoneRef } from '../domain/milestones.ts';
import { acceptedOutcome, outcomeToJson } from '../domain/outcomes.ts';
import { checkQuota, QUOTAS } from '../domain/quotas.ts';
import type { MilestoneTerms } from '../domain/terms.ts';
import { AppError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { CiSubmissionResponse } from './api.ts';
import { issueCiToken, verifyCiToken, type VerifiedCiToken } from './ci-token.ts';
import type { CiResultRow, CiStore, CiTokenRow } from './ci-store.ts';
import { CiError } from './errors.ts';
import { DEFAULT_LEEWAY_SEC, type OidcVerifier, type VerifiedOidcToken } from './oidc.ts';
import {
  checkOidcClaims,
  checkStatementCommit,
  ciPolicySchema,
  evaluateResults,
  type CiPolicy,
} from './policy.ts';
import { testResultStatementSchema } from './statement.ts';

/** What `installCi` builds once: the CI tables, the OIDC verifier, the CI-token key. */
export interface CiModule {
  readonly store: CiStore;
  readonly oidc: OidcVerifier;
  readonly tokenKey: Buffer;
  /** The CI subsystem's logger (never given a token). */
  readonly logger: Logger;
}

interface CiMilestone {
  readonly m: MilestoneRow;
  readonly mt: MilestoneTerms;
  readonly policy: CiPolicy;
}

function loadCiMilestone(ctx: AppContext, ref: MilestoneRef): CiMilestone {
  const { terms } = getContract(ctx, ref.contractId);
  const m = ctx.stores.milestoneByIndex(ref.contractId, ref.index);
  const mt = terms.milestones[ref.index];
  if (m === undefined || mt === undefined) {
    throw new NotFoundError(
      'milestone_not_found',
      `contract ${ref.contractId} has no milestone ${ref.index}`,
    );
  }
  if (mt.ci === undefined) {
    throw new CiError('ci_not_configured', 'the terms of this milestone have no CI policy');
  }
  const policy = ciPolicySchema.safeParse(mt.ci);
  if (!policy.success) {
    throw new CiError('ci_not_configured', 'the CI policy in the terms is not a valid policy', {
      issues: policy.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  return { m, mt, policy: policy.data };
}

const scopeOf = (ref: MilestoneRef) => ({ contractId: ref.contractId, milestoneIndex: ref.index });

/** The git commit the freelancer delivered, or null (nothing delivered, or an artifact only). */
function deliveredCommitOf(m: MilestoneRow): string | null {
  if (m.delivery_json === null) return null;
  return deliverySchema.parse(JSON.parse(m.delivery_json)).commitSha?.toLowerCase() ?? null;
}

type Authenticated =
  | { readonly kind: 'token'; readonly token: VerifiedCiToken }
  | { readonly kind: 'github-oidc'; readonly oidc: VerifiedOidcToken };

function identityJson(a: Authenticated): { [k: string]: JsonValue } {
  if (a.kind === 'token') return { kind: 'token', jti: a.token.jti };
  const c = a.oidc.claims;
  const j: { [k: string]: JsonValue } = {
    kind: 'github-oidc',
    issuer: c.iss,
    repository: c.repository,
    jobWorkflowRef: c.job_workflow_ref,
    sha: c.sha,
  };
  if (c.ref !== undefined) j['ref'] = c.ref;
  if (c.runner_environment !== undefined) j['runnerEnvironment'] = c.runner_environment;
  if (c.run_id !== undefined) j['runId'] = c.run_id;
  if (c.run_attempt !== undefined) j['runAttempt'] = c.run_attempt;
  return j;
}

/**
 * Authenticates, checks and stores one CI submission, and decides the milestone when the policy
 * says a pass is decisive. The bearer token is verified against what the policy names, never
 * guessed from the token: a `token` policy accepts only CI tokens, `github-oidc` only RS256 OIDC
 * tokens of the configured issuer.
 *
 * @throws CiError (see error-codes.ts); `ci_policy_unmet` after the result has been stored.
 */
export async function submitCiResult(
  ctx: AppContext,
  ci: CiModule,
  ref: MilestoneRef,
  bearer: string | undefined,
  body: unknown,
): Promise<CiSubmissionResponse> {
  if (bearer === undefined) {
    throw new AppError('unauthorized', 'a CI token or an OIDC token is required');
  }
  const parsed = testResultStatementSchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRequestError('not an in-toto test-result statement', {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const statement = parsed.data;
  const { m, mt, policy } = loadCiMilestone(ctx, ref);

  // Authenticate before the transaction: OIDC verification may fetch the issuer's JWKS, and
  // there is no await inside a transaction.
  const auth: Authenticated =
    policy.identity.kind === 'token'
      ? { kind: 'token', token: verifyCiToken(ci.tokenKey, bearer, scopeOf(ref), ctx.now()) }
      : { kind: 'github-oidc', oidc: await ci.oidc.verify(bearer) };

  const outcome = ctx.db.transaction(() => {
    const now = ctx.now();
    const cur = ctx.stores.milestoneById(m.id);
    if (cur === undefined) throw new Error(`milestone ${m.id} vanished`);
    const delivered = deliveredCommitOf(cur);

    if (auth.kind === 'token') {
      const row = ci.store.getToken(auth.token.jti);
      if (row?.milestone_id !== cur.id) {
        throw new CiError('ci_invalid_token', 'this CI token was not issued by this oracle');
      }
      if (row.revoked_at !== null) {
        throw new CiError('ci_token_revoked', 'this CI token has been revoked', {
          revokedAt: row.revoked_at,
        });
      }
    } else {
      if (policy.identity.kind !== 'github-oidc') throw new Error('unreachable');
      if (delivered === null) {
        throw new CiError('ci_commit_mismatch', 'the milestone has no delivered git commit');
      }
      checkOidcClaims(policy.identity, auth.oidc.claims, delivered);
      // Replay protection: each OIDC token speaks once; its hash is kept until it expires.
      const fresh = ci.store.markTokenUsed(
        auth.oidc.tokenHash,
        auth.oidc.expiresAtSec,
        now - DEFAULT_LEEWAY_SEC - 60,
      );
      if (!fresh) throw new CiError('ci_token_replayed', 'this OIDC token has already been used');
    }
    checkStatementCommit(statement, delivered);
    const commit = delivered ?? '';

    // Issue 19 §4: a milestone's CI evidence is bounded in count and bytes.
    const statementJson = JSON.stringify(statement);
    const usage = ci.store.resultUsage(cur.id);
    checkQuota('ci_results_per_milestone', QUOTAS.ciResultsPerMilestone, usage.results, 1);
    checkQuota(
      'ci_statement_bytes_per_milestone',
      QUOTAS.ciStatementBytesPerMilestone,
      usage.bytes,
      statementJson.length,
    );

    const evaluation = evaluateResults(policy, statement);
    // A decisive pass decides a delivered milestone; in any other state (disputed, already
    // decided) the result is evidence.
    const decides = policy.decisive && evaluation.met && cur.state === 'delivered';
    const identity = identityJson(auth);
    const resultId = ci.store.insertResult({
      milestone_id: cur.id,
      received_at: now,
      identity_kind: auth.kind,
      identity_json: JSON.stringify(identity),
      commit_sha: commit,
      result: statement.predicate.result,
      passed_count: evaluation.counts.passed,
      warned_count: evaluation.counts.warned,
      failed_count: evaluation.counts.failed,
      run_url: statement.predicate.url ?? null,
      policy_met: evaluation.met ? 1 : 0,
      unmet_json: JSON.stringify(evaluation.unmet),
      decided: decides ? 1 : 0,
      statement_json: statementJson,
    });
    appendAudit(ctx.stores, {
      contractId: cur.contract_id,
      at: now,
      actor: 'ci',
      action: 'ci_result',
      milestoneIndex: cur.idx,
      details: {
        resultId,
        commit,
        result: statement.predicate.result,
        counts: { ...evaluation.counts },
        policyMet: evaluation.met,
        unmet: evaluation.unmet,
        runUrl: statement.predicate.url ?? null,
        identity,
      },
    });
    const decision = decides
      ? decideMilestone(ctx, {
          milestoneId: cur.id,
          outcome: acceptedOutcome(mt.outcome),
          reason: 'ci',
          actor: 'ci',
          allowedStates: ['delivered'],
          details: { ciResultId: resultId, commit },
        })
      : null;
    return { resultId, evaluation, decision, commit };
  })();

  ci.logger.info(
    {
      contractId: ref.contractId,
      milestoneIndex: ref.index,
      resultId: outcome.resultId,
      result: statement.predicate.result,
      policyMet: outcome.evaluation.met,
      decided: outcome.decision !== null,
    },
    'CI result recorded',
  );
  if (!outcome.evaluation.met) {
    throw new CiError(
      'ci_policy_unmet',
      'the results do not meet the CI policy; stored as evidence',
      {
        resultId: outcome.resultId,
        unmet: outcome.evaluation.unmet,
        counts: outcome.evaluation.counts,
      },
    );
  }
  const latest = ctx.stores.milestoneById(m.id);
  const attestation =
    outcome.decision?.attestation ??
    (latest?.state === 'attested' ? ctx.stores.getAttestation(latest.event_id) : undefined);
  return {
    resultId: outcome.resultId,
    contractId: ref.contractId,
    milestoneIndex: ref.index,
    commit: outcome.commit,
    result: statement.predicate.result,
    counts: outcome.evaluation.counts,
    policyMet: true,
    decision: outcome.decision === null ? 'evidence' : 'attested',
    unmet: [],
    eventId: m.event_id,
    outcome: attestation === undefined ? null : outcomeToJson(mt.outcome, attestation.outcome),
    attestationHex: attestation === undefined ? null : bytesToHex(attestation.tlv),
  };
}

export interface IssuedCiToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: number;
}

/** Issues a CI token for a milestone whose policy accepts CI tokens. The token is shown once. */
export function issueMilestoneCiToken(
  ctx: AppContext,
  ci: CiModule,
  ref: MilestoneRef,
  actor: string,
  ttlSec?: number,
): IssuedCiToken {
  const { m, policy } = loadCiMilestone(ctx, ref);
  if (policy.identity.kind !== 'token') {
    throw new CiError(
      'ci_not_configured',
      "this milestone's CI policy accepts GitHub OIDC tokens only, not CI tokens",
    );
  }
  const now = ctx.now();
  const issued = issueCiToken(ci.tokenKey, scopeOf(ref), now, ttlSec);
  ctx.db.transaction(() => {
    checkQuota(
      'ci_tokens_per_milestone',
      QUOTAS.ciTokensPerMilestone,
      ci.store.tokenCount(m.id),
      1,
    );
    ci.store.insertToken({
      jti: issued.jti,
      milestone_id: m.id,
      issued_by: actor,
      issued_at: now,
      expires_at: issued.expiresAtSec,
    });
    appendAudit(ctx.stores, {
      contractId: ref.contractId,
      at: now,
      actor,
      action: 'ci_token_issued',
      milestoneIndex: ref.index,
      details: { jti: issued.jti, expiresAt: issued.expiresAtSec },
    });
  })();
  return { token: issued.token, jti: issued.jti, expiresAt: issued.expiresAtSec };
}

/** Revokes a CI token of this milestone. Revoking twice is harmless and returns the same row. */
export function revokeMilestoneCiToken(
  ctx: AppContext,
  ci: CiModule,
  ref: MilestoneRef,
  jti: string,
  actor: string,
): CiTokenRow {
  const { m } = loadCiMilestone(ctx, ref);
  return ctx.db.transaction(() => {
    const row = ci.store.getToken(jti);
    if (row?.milestone_id !== m.id) {
      throw new NotFoundError('not_found', 'this milestone has no CI token with this id');
    }
    const now = ctx.now();
    if (ci.store.revokeToken(jti, now, actor)) {
      appendAudit(ctx.stores, {
        contractId: ref.contractId,
        at: now,
        actor,
        action: 'ci_token_revoked',
        milestoneIndex: ref.index,
        details: { jti },
      });
    }
    const revoked = ci.store.getToken(jti);
    if (revoked === undefined) throw new Error('CI token row vanished');
    return revoked;
  })();
}

export function listCiTokens(ctx: AppContext, ci: CiModule, ref: MilestoneRef): CiTokenRow[] {
  const { m } = loadCiMilestone(ctx, ref);
  return ci.store.tokensOfMilestone(m.id);
}

/**
 * One page of the CI results of a milestone (evidence), oldest first, after result id `afterId`.
 * Works without a CI policy too. Issue 19 §8: pages are bounded in rows and in statement bytes.
 */
export function listCiResults(
  ctx: AppContext,
  ci: CiModule,
  ref: MilestoneRef,
  page: { afterId: number; limit: number },
): { rows: CiResultRow[]; more: boolean } {
  getContract(ctx, ref.contractId);
  const m = ctx.stores.milestoneByIndex(ref.contractId, ref.index);
  if (m === undefined) throw new NotFoundError('milestone_not_found', 'no such milestone');
  return ci.store.resultsPage(m.id, page.afterId, page.limit, CI_PAGE_MAX_STATEMENT_BYTES);
}

/** A page of CI results stops adding statements past this many bytes (one 2 MB statement always fits). */
export const CI_PAGE_MAX_STATEMENT_BYTES = 4 * 1024 * 1024;
