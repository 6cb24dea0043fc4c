/**
 * `verdict ci attest`: turns a test report into an in-toto test-result statement and submits it
 * to the oracle for a milestone. Exit codes: 0 accepted, 1 rejected by the oracle's policy,
 * 2 usage or transport error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  ciSubmissionResponseSchema,
  DEFAULT_OIDC_AUDIENCE,
  errorBodySchema,
} from '../../oracle/ci/api.ts';
import { parseJunitXml } from '../../oracle/ci/junit.ts';
import { buildTestResultStatement, gitCommitSchema } from '../../oracle/ci/statement.ts';
import { resultOf, type TestReport } from '../../oracle/ci/test-report.ts';
import { parseVitestJson } from '../../oracle/ci/vitest-report.ts';

export const CI_USAGE = `Usage: verdict ci attest --url <oracle> --contract <id> --milestone <n>
                         --commit <sha> (--junit <file> | --vitest-json <file>)
                         [--run-url <url>] [--audience <aud>] [--json]

Submits the test results of <sha> for a milestone. The token is VERDICT_CI_TOKEN (a CI token the
oracle issued for the milestone) or, in GitHub Actions with "permissions: id-token: write", an
OIDC token requested from ACTIONS_ID_TOKEN_REQUEST_URL for the audience (default "${DEFAULT_OIDC_AUDIENCE}").
--commit defaults to GITHUB_SHA, --run-url to the GitHub Actions run.

Exit status: 0 accepted, 1 rejected by the oracle's policy, 2 usage or transport error.`;

/** Oracle answers that mean "your submission does not satisfy the milestone": exit 1. */
const POLICY_REJECTIONS = new Set([
  'ci_commit_mismatch',
  'ci_token_expired',
  'ci_wrong_repository',
  'ci_wrong_workflow',
  'ci_token_replayed',
  'ci_wrong_milestone',
  'ci_token_revoked',
  'ci_invalid_token',
  'ci_policy_unmet',
  'ci_not_configured',
]);

const flagsSchema = z
  .object({
    url: z.url(),
    contract: z.string().min(1),
    milestone: z.coerce.number().int().min(0),
    commit: gitCommitSchema,
    junit: z.string().min(1).optional(),
    'vitest-json': z.string().min(1).optional(),
    'run-url': z.url().optional(),
    audience: z.string().min(1).default(DEFAULT_OIDC_AUDIENCE),
    json: z.boolean().default(false),
  })
  .refine((f) => (f.junit === undefined) !== (f['vitest-json'] === undefined), {
    message: 'give exactly one of --junit and --vitest-json',
  });

const envSchema = z.object({
  VERDICT_CI_TOKEN: z.string().min(1).optional(),
  ACTIONS_ID_TOKEN_REQUEST_URL: z.url().optional(),
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: z.string().min(1).optional(),
  GITHUB_SHA: z.string().optional(),
  GITHUB_SERVER_URL: z.string().optional(),
  GITHUB_REPOSITORY: z.string().optional(),
  GITHUB_RUN_ID: z.string().optional(),
});

class UsageError extends Error {}

export interface CiCliIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: CiCliIo = {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Entry point for `verdict ci ...`; `argv` is what follows `ci`. Resolves to the exit code. */
export async function runCi(argv: readonly string[], io: CiCliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(CI_USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'attest') {
    io.err(`verdict ci: unknown command "${command}"\n\n${CI_USAGE}`);
    return 2;
  }
  try {
    return await attest(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`verdict ci attest: ${err.message}`);
      return 2;
    }
    io.err(`verdict ci attest: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

async function attest(args: string[], io: CiCliIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        contract: { type: 'string' },
        milestone: { type: 'string' },
        commit: { type: 'string' },
        junit: { type: 'string' },
        'vitest-json': { type: 'string' },
        'run-url': { type: 'string' },
        audience: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) {
    io.out(CI_USAGE);
    return 0;
  }
  const env = envSchema.safeParse(io.env);
  if (!env.success) {
    throw new UsageError(
      `environment: ${env.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  }
  const githubRunUrl =
    env.data.GITHUB_SERVER_URL && env.data.GITHUB_REPOSITORY && env.data.GITHUB_RUN_ID
      ? `${env.data.GITHUB_SERVER_URL}/${env.data.GITHUB_REPOSITORY}/actions/runs/${env.data.GITHUB_RUN_ID}`
      : undefined;
  const parsed = flagsSchema.safeParse({
    ...values,
    commit: values.commit ?? env.data.GITHUB_SHA,
    'run-url': values['run-url'] ?? githubRunUrl,
  });
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'flags'}: ${i.message}`).join('; '),
    );
  }
  const flags = parsed.data;

  const report = readReport(flags.junit, flags['vitest-json']);
  const statement = buildTestResultStatement({
    commit: flags.commit,
    result: resultOf(report),
    passedTests: report.passedTests,
    failedTests: report.failedTests,
    ...(flags['run-url'] === undefined ? {} : { runUrl: flags['run-url'] }),
  });
  const token = await obtainToken(env.data, flags.audience);

  const endpoint = new URL(
    `v1/contracts/${encodeURIComponent(flags.contract)}/milestones/${flags.milestone}/ci`,
    flags.url.endsWith('/') ? flags.url : `${flags.url}/`,
  );
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(statement),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    io.err(`verdict ci attest: cannot reach ${endpoint.origin}: ${(err as Error).message}`);
    return 2;
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    io.err(`verdict ci attest: HTTP ${response.status} with a non-JSON body`);
    return 2;
  }
  if (flags.json) io.out(JSON.stringify({ status: response.status, body }, null, 2));

  if (response.ok) {
    const ok = ciSubmissionResponseSchema.safeParse(body);
    if (!ok.success) {
      io.err(`verdict ci attest: unexpected answer from the oracle (HTTP ${response.status})`);
      return 2;
    }
    const r = ok.data;
    if (!flags.json) {
      const counts = `${r.counts.passed} passed, ${r.counts.failed} failed`;
      io.out(
        r.decision === 'attested'
          ? `accepted: ${r.result} (${counts}) for ${r.commit}; milestone ${r.milestoneIndex} attested ${String(r.outcome)} (event ${r.eventId})`
          : `accepted as evidence: ${r.result} (${counts}) for ${r.commit}; milestone ${r.milestoneIndex} not decided by CI`,
      );
    }
    return 0;
  }
  const error = errorBodySchema.safeParse(body);
  if (!error.success) {
    io.err(`verdict ci attest: HTTP ${response.status}`);
    return 2;
  }
  const { code, message } = error.data.error;
  if (!flags.json) io.err(`rejected: ${code}: ${message}`);
  return POLICY_REJECTIONS.has(code) ? 1 : 2;
}

function readReport(junit: string | undefined, vitestJson: string | undefined): TestReport {
  const path = junit ?? vitestJson ?? '';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return junit === undefined ? parseVitestJson(text) : parseJunitXml(text);
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
}

/** VERDICT_CI_TOKEN, else a GitHub Actions OIDC token for `audience`. Never printed. */
async function obtainToken(env: z.infer<typeof envSchema>, audience: string): Promise<string> {
  if (env.VERDICT_CI_TOKEN !== undefined) return env.VERDICT_CI_TOKEN;
  if (
    env.ACTIONS_ID_TOKEN_REQUEST_URL === undefined ||
    env.ACTIONS_ID_TOKEN_REQUEST_TOKEN === undefined
  ) {
    throw new UsageError(
      'no token: set VERDICT_CI_TOKEN, or run in GitHub Actions with "permissions: id-token: write"',
    );
  }
  const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL);
  url.searchParams.set('audience', audience);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(`cannot request the GitHub OIDC token: ${(err as Error).message}`);
  }
  const body = z
    .object({ value: z.string().min(1) })
    .safeParse(await response.json().catch(() => null));
  if (!response.ok || !body.success) {
    throw new Error(`the GitHub OIDC token request failed (HTTP ${response.status})`);
  }
  return body.data.value;
}
