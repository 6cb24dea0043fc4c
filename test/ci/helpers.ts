/** Shared setup of the CI service tests: a contract whose milestones carry CI policies. */
import { buildTestResultStatement, type TestResultStatement } from '../../oracle/ci/statement.ts';
import { call, contractRequest, type TestServer } from '../oracle/helpers.ts';

export const SHA = '0123456789abcdef0123456789abcdef01234567';
export const OTHER_SHA = 'fedcba9876543210fedcba9876543210fedcba98';

export const OIDC_POLICY = {
  identity: {
    kind: 'github-oidc',
    repository: 'octo/app',
    workflowRef: 'octo/app/.github/workflows/ci.yml',
    ref: 'refs/heads/main',
    runnerEnvironment: 'github-hosted',
  },
  minPassed: 1,
  decisive: true,
} as const;

export const TOKEN_POLICY = { identity: { kind: 'token' }, decisive: true } as const;

export function passing(commit = SHA, extra: Partial<{ url: string }> = {}): TestResultStatement {
  return buildTestResultStatement({
    commit,
    result: 'PASSED',
    passedTests: ['suite > works', 'suite > still works'],
    failedTests: [],
    runUrl: extra.url ?? 'https://github.com/octo/app/actions/runs/1234',
  });
}

export function failing(commit = SHA): TestResultStatement {
  return buildTestResultStatement({
    commit,
    result: 'FAILED',
    passedTests: ['suite > works'],
    failedTests: ['suite > breaks'],
  });
}

export interface CreatedContract {
  id: string;
  tokens: { client: string; freelancer: string };
  eventIds: string[];
}

export async function createContract(
  s: TestServer,
  milestones: { outcome?: 'enum' | 'share'; ci?: unknown }[],
): Promise<CreatedContract> {
  const r = await call(s.url, 'POST', '/v1/contracts', {
    body: contractRequest(
      s.clock.t,
      milestones.map((m) => ({ ...m })),
    ),
  });
  if (r.status !== 201) throw new Error(`contract creation failed: ${JSON.stringify(r.body)}`);
  const body = r.body as {
    contract: { id: string; milestones: { eventId: string }[] };
    tokens: { client: string; freelancer: string };
  };
  return {
    id: body.contract.id,
    tokens: body.tokens,
    eventIds: body.contract.milestones.map((m) => m.eventId),
  };
}

export async function deliver(
  s: TestServer,
  c: CreatedContract,
  index: number,
  commitSha = SHA,
): Promise<void> {
  const r = await call(s.url, 'POST', `/v1/contracts/${c.id}/milestones/${index}/deliver`, {
    token: c.tokens.freelancer,
    body: { commitSha },
  });
  if (r.status !== 200) throw new Error(`delivery failed: ${JSON.stringify(r.body)}`);
}

export function submit(
  s: TestServer,
  c: CreatedContract,
  index: number,
  token: string | undefined,
  statement: unknown,
) {
  return call(s.url, 'POST', `/v1/contracts/${c.id}/milestones/${index}/ci`, {
    ...(token === undefined ? {} : { token }),
    body: statement,
  });
}
