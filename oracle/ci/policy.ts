/**
 * The CI policy of a milestone: the part of the agreed terms that says which pipeline may speak
 * for the milestone and what it has to show. It is inside the terms, so it is hashed into the
 * oracle event id before anyone funds the DLC (DESIGN.md "Events and outcomes").
 */
import { z } from 'zod';
import { CiError } from './errors.ts';
import {
  countsOf,
  subjectCommits,
  type TestCounts,
  type TestResultStatement,
} from './statement.ts';
import type { GithubOidcClaims } from './oidc.ts';

/** `owner/name` as GitHub spells it in the `repository` claim. */
const githubRepositorySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name of a GitHub repository');

export const ciIdentitySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('github-oidc'),
    repository: githubRepositorySchema,
    /**
     * Pins the `job_workflow_ref` claim: `owner/repo/.github/workflows/ci.yml@refs/heads/main`
     * matches exactly; without `@…` only the workflow path has to match (any ref).
     */
    workflowRef: z.string().min(1).max(500).optional(),
    /** Pins the `ref` claim, e.g. `refs/heads/main`. */
    ref: z.string().min(1).max(500).optional(),
    /** Pins the `runner_environment` claim. */
    runnerEnvironment: z.enum(['github-hosted', 'self-hosted']).optional(),
  }),
  /** A CI token that the oracle issues for this milestone (`POST …/ci/tokens`). */
  z.strictObject({ kind: z.literal('token') }),
]);

/**
 * The CI policy to embed in a milestone's terms (field `ci`). Exported for the terms schema.
 * A pass counts only for the commit that the freelancer delivered, hence the literal `true`.
 */
export const ciPolicySchema = z.strictObject({
  identity: ciIdentitySchema,
  requireDeliveredCommit: z.literal(true).default(true),
  minPassed: z.number().int().min(0).max(1_000_000).optional(),
  maxFailed: z.number().int().min(0).max(1_000_000).optional(),
  /** true: a pass decides the milestone (accepted / 100). false: every result is evidence only. */
  decisive: z.boolean(),
});

export type CiPolicy = z.infer<typeof ciPolicySchema>;
export type CiIdentityPolicy = z.infer<typeof ciIdentitySchema>;

/**
 * Checks the OIDC claims against the identity the policy pins. Throws the specific CiError of the
 * first mismatch. `deliveredCommit` binds the workflow run's `sha` to the delivery.
 */
export function checkOidcClaims(
  identity: Extract<CiIdentityPolicy, { kind: 'github-oidc' }>,
  claims: GithubOidcClaims,
  deliveredCommit: string,
): void {
  // GitHub repository names are case-insensitive.
  if (claims.repository.toLowerCase() !== identity.repository.toLowerCase()) {
    throw new CiError('ci_wrong_repository', `token is for repository ${claims.repository}`, {
      expected: identity.repository,
      actual: claims.repository,
    });
  }
  if (identity.workflowRef !== undefined) {
    const pinned = identity.workflowRef;
    const actual = claims.job_workflow_ref;
    const at = actual.lastIndexOf('@');
    const workflowPath = at === -1 ? actual : actual.slice(0, at);
    const matches = pinned.includes('@') ? actual === pinned : workflowPath === pinned;
    if (!matches) {
      throw new CiError('ci_wrong_workflow', `token is for workflow ${actual}`, {
        expected: pinned,
        actual,
      });
    }
  }
  if (identity.ref !== undefined && claims.ref !== identity.ref) {
    throw new CiError('ci_wrong_workflow', `token is for ref ${claims.ref ?? '(none)'}`, {
      expected: identity.ref,
      actual: claims.ref ?? null,
    });
  }
  if (
    identity.runnerEnvironment !== undefined &&
    claims.runner_environment !== identity.runnerEnvironment
  ) {
    throw new CiError(
      'ci_wrong_workflow',
      `token is from a ${claims.runner_environment ?? 'unknown'} runner`,
      { expected: identity.runnerEnvironment, actual: claims.runner_environment ?? null },
    );
  }
  if (claims.sha.toLowerCase() !== deliveredCommit.toLowerCase()) {
    throw new CiError(
      'ci_commit_mismatch',
      'the workflow ran on another commit than the delivery',
      {
        delivered: deliveredCommit,
        tokenSha: claims.sha,
      },
    );
  }
}

/** Throws `ci_commit_mismatch` unless the statement tested the delivered commit. */
export function checkStatementCommit(
  statement: TestResultStatement,
  deliveredCommit: string | null,
): void {
  if (deliveredCommit === null) {
    throw new CiError('ci_commit_mismatch', 'the milestone has no delivered git commit');
  }
  const commits = subjectCommits(statement);
  if (!commits.includes(deliveredCommit.toLowerCase())) {
    throw new CiError(
      'ci_commit_mismatch',
      'the statement tested another commit than the delivery',
      {
        delivered: deliveredCommit,
        tested: commits,
      },
    );
  }
}

export interface PolicyEvaluation {
  met: boolean;
  counts: TestCounts;
  /** Why the policy is not met; empty when it is. */
  unmet: string[];
}

/** Whether the results satisfy the policy: `result: PASSED` and the optional count bounds. */
export function evaluateResults(
  policy: CiPolicy,
  statement: TestResultStatement,
): PolicyEvaluation {
  const counts = countsOf(statement);
  const unmet: string[] = [];
  if (statement.predicate.result !== 'PASSED') {
    unmet.push(`result is ${statement.predicate.result}, PASSED required`);
  }
  if (policy.minPassed !== undefined && counts.passed < policy.minPassed) {
    unmet.push(`${counts.passed} tests passed, at least ${policy.minPassed} required`);
  }
  // Without a bound, a listed failure contradicts `PASSED`: no failure is allowed.
  const maxFailed = policy.maxFailed ?? 0;
  if (counts.failed > maxFailed) {
    unmet.push(`${counts.failed} tests failed, at most ${maxFailed} allowed`);
  }
  return { met: unmet.length === 0, counts, unmet };
}
