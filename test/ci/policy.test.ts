import { describe, expect, it } from 'vitest';
import { CiError } from '../../oracle/ci/errors.ts';
import {
  checkOidcClaims,
  checkStatementCommit,
  ciPolicySchema,
  evaluateResults,
} from '../../oracle/ci/policy.ts';
import {
  buildTestResultStatement,
  testResultStatementSchema,
  TEST_RESULT_PREDICATE_TYPE,
} from '../../oracle/ci/statement.ts';
import type { GithubOidcClaims } from '../../oracle/ci/oidc.ts';

const SHA = 'd20ace7968ba43c0219f62d71334c1095bab1602';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof CiError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('in-toto test-result statement', () => {
  it('accepts the example of the spec (spec/predicates/test-result.md)', () => {
    const example = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { gitCommit: SHA } }],
      predicateType: TEST_RESULT_PREDICATE_TYPE,
      predicate: {
        result: 'PASSED',
        configuration: [
          {
            name: '.github/workflows/ci.yml',
            downloadLocation: `https://github.com/in-toto/in-toto/blob/${SHA}/.github/workflows/ci.yml`,
            digest: { gitBlob: 'ebe4add40f63c3c98bc9b32ff1e736f04120b023' },
          },
        ],
        url: 'https://github.com/in-toto/in-toto/actions/runs/4425592351',
        passedTests: ['build (3.7, ubuntu-latest, py)', 'build (3.x, ubuntu-latest, lint)'],
        warnedTests: [],
        failedTests: [],
      },
    };
    expect(testResultStatementSchema.parse(example).predicate.passedTests).toHaveLength(2);
  });

  it.each([
    ['another statement type', { _type: 'https://in-toto.io/Statement/v0.1' }],
    ['another predicate type', { predicateType: 'https://slsa.dev/provenance/v1' }],
    ['no subject', { subject: [] }],
    ['a subject without gitCommit', { subject: [{ digest: { sha256: 'ab' } }] }],
    ['an abbreviated commit', { subject: [{ digest: { gitCommit: SHA.slice(0, 7) } }] }],
  ])('rejects %s', (_name, patch) => {
    const s = {
      ...buildTestResultStatement({
        commit: SHA,
        result: 'PASSED',
        passedTests: ['t'],
        failedTests: [],
      }),
      ...patch,
    };
    expect(testResultStatementSchema.safeParse(s).success).toBe(false);
  });

  it('rejects an unknown result and a missing configuration', () => {
    const s = buildTestResultStatement({
      commit: SHA,
      result: 'PASSED',
      passedTests: [],
      failedTests: [],
    });
    expect(
      testResultStatementSchema.safeParse({ ...s, predicate: { ...s.predicate, result: 'OK' } })
        .success,
    ).toBe(false);
    const { configuration: _c, ...noConfig } = s.predicate;
    expect(testResultStatementSchema.safeParse({ ...s, predicate: noConfig }).success).toBe(false);
  });
});

describe('CI policy', () => {
  const policy = ciPolicySchema.parse({
    identity: { kind: 'github-oidc', repository: 'Octo/App' },
    minPassed: 2,
    decisive: true,
  });

  it('fills requireDeliveredCommit and refuses to turn it off', () => {
    expect(policy.requireDeliveredCommit).toBe(true);
    expect(
      ciPolicySchema.safeParse({
        identity: { kind: 'token' },
        requireDeliveredCommit: false,
        decisive: true,
      }).success,
    ).toBe(false);
    expect(
      ciPolicySchema.safeParse({ identity: { kind: 'github-oidc' }, decisive: true }).success,
    ).toBe(false);
  });

  it('is met by PASSED with enough tests and no failure', () => {
    const pass = buildTestResultStatement({
      commit: SHA,
      result: 'PASSED',
      passedTests: ['a', 'b'],
      failedTests: [],
    });
    expect(evaluateResults(policy, pass)).toEqual({
      met: true,
      counts: { passed: 2, warned: 0, failed: 0 },
      unmet: [],
    });
  });

  it.each([
    ['FAILED', 'FAILED', ['a', 'b'], ['c']],
    ['WARNED', 'WARNED', ['a', 'b'], []],
    ['too few tests', 'PASSED', ['a'], []],
    ['PASSED with a listed failure', 'PASSED', ['a', 'b'], ['c']],
  ] as const)('is not met by %s', (_name, result, passed, failed) => {
    const s = buildTestResultStatement({
      commit: SHA,
      result,
      passedTests: passed,
      failedTests: failed,
    });
    const e = evaluateResults(policy, s);
    expect(e.met).toBe(false);
    expect(e.unmet.length).toBeGreaterThan(0);
  });

  it('binds the statement to the delivered commit', () => {
    const s = buildTestResultStatement({
      commit: SHA,
      result: 'PASSED',
      passedTests: ['a'],
      failedTests: [],
    });
    expect(codeOf(() => checkStatementCommit(s, SHA))).toBe('no error');
    expect(codeOf(() => checkStatementCommit(s, 'b'.repeat(40)))).toBe('ci_commit_mismatch');
    expect(codeOf(() => checkStatementCommit(s, null))).toBe('ci_commit_mismatch');
  });

  const claims: GithubOidcClaims = {
    iss: 'x',
    aud: 'verdict',
    sub: 's',
    exp: 2,
    iat: 1,
    repository: 'octo/app',
    job_workflow_ref: 'octo/app/.github/workflows/ci.yml@refs/heads/main',
    ref: 'refs/heads/main',
    sha: SHA,
    runner_environment: 'github-hosted',
  };
  const identity = {
    kind: 'github-oidc',
    repository: 'octo/app',
    workflowRef: 'octo/app/.github/workflows/ci.yml',
    ref: 'refs/heads/main',
    runnerEnvironment: 'github-hosted',
  } as const;

  it.each([
    ['matching claims', {}, {}, 'no error'],
    ['another repository', { repository: 'evil/app' }, {}, 'ci_wrong_repository'],
    [
      'another workflow',
      { job_workflow_ref: 'octo/app/.github/workflows/x.yml@refs/heads/main' },
      {},
      'ci_wrong_workflow',
    ],
    [
      'a pinned workflow ref that differs',
      {},
      { workflowRef: 'octo/app/.github/workflows/ci.yml@refs/heads/dev' },
      'ci_wrong_workflow',
    ],
    ['another ref', { ref: 'refs/heads/dev' }, {}, 'ci_wrong_workflow'],
    ['a self-hosted runner', { runner_environment: 'self-hosted' }, {}, 'ci_wrong_workflow'],
    ['another sha', { sha: 'c'.repeat(40) }, {}, 'ci_commit_mismatch'],
  ])('OIDC claims: %s', (_name, claimPatch, identityPatch, code) => {
    expect(
      codeOf(() =>
        checkOidcClaims({ ...identity, ...identityPatch }, { ...claims, ...claimPatch }, SHA),
      ),
    ).toBe(code);
  });
});
