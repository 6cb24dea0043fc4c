/**
 * `verdict ci attest` end to end: a JUnit report produced by running one of this project's own
 * test files with vitest, posted to a running service, gets the milestone attested.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJunitXml } from '../../oracle/ci/junit.ts';
import { parseVitestJson } from '../../oracle/ci/vitest-report.ts';
import { runCi, type CiCliIo } from '../../scripts/cli/ci.ts';
import { call, startTestServer, type TestServer } from '../oracle/helpers.ts';
import { createContract, deliver, OIDC_POLICY, SHA, TOKEN_POLICY } from './helpers.ts';
import { LocalOidcIssuer } from './oidc-issuer.ts';

const run = promisify(execFile);

function io(env: Record<string, string>): CiCliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { env, stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('verdict ci attest', () => {
  const issuer = new LocalOidcIssuer();
  let s: TestServer;
  let dir: string;
  let junitPath: string;
  let vitestJsonPath: string;
  let idTokenServer: Server;
  let idTokenUrl = '';
  const idTokenRequests: string[] = [];

  beforeAll(async () => {
    await issuer.start();
    s = await startTestServer({
      env: { VERDICT_CI_OIDC_ISSUER: issuer.issuer, VERDICT_CI_OIDC_AUDIENCE: 'verdict-test' },
    });
    dir = mkdtempSync(join(tmpdir(), 'verdict-ci-cli-'));
    junitPath = join(dir, 'junit.xml');
    vitestJsonPath = join(dir, 'vitest.json');
    // This project's own test run: a small, fast, self-contained test file of ours.
    await run(
      'npx',
      ['vitest', 'run', 'test/ci/reports.test.ts', '--reporter=junit', `--outputFile=${junitPath}`],
      {
        cwd: process.cwd(),
        // A fresh vitest, not a worker of this one.
        env: Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')),
        ),
      },
    );
    await run(
      'npx',
      [
        'vitest',
        'run',
        'test/ci/reports.test.ts',
        '--reporter=json',
        `--outputFile=${vitestJsonPath}`,
      ],
      {
        cwd: process.cwd(),
        env: Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')),
        ),
      },
    );
    // GitHub's ID-token endpoint, as the runner exposes it: bearer-authenticated, audience in the query.
    idTokenServer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      idTokenRequests.push(url.searchParams.get('audience') ?? '');
      if (req.headers.authorization !== 'Bearer runner-request-token') {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          value: issuer.token(
            { aud: url.searchParams.get('audience'), sha: SHA },
            { nowSec: s.clock.t },
          ),
        }),
      );
    });
    await new Promise<void>((resolve) => idTokenServer.listen(0, '127.0.0.1', resolve));
    idTokenUrl = `http://127.0.0.1:${(idTokenServer.address() as AddressInfo).port}/token?api-version=2.0`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => idTokenServer.close(() => resolve()));
    await s.dispose();
    await issuer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the JUnit report of our own run is a pass with every test named', () => {
    const report = parseJunitXml(readFileSync(junitPath, 'utf8'));
    expect(report.failedTests).toEqual([]);
    expect(report.passedTests.length).toBeGreaterThan(10);
    expect(report.passedTests.every((n) => n.startsWith('test/ci/reports.test.ts > '))).toBe(true);
  });

  it('the vitest JSON report of the same run names the same tests', () => {
    const junit = parseJunitXml(readFileSync(junitPath, 'utf8'));
    const json = parseVitestJson(readFileSync(vitestJsonPath, 'utf8'));
    expect(json.failedTests).toEqual([]);
    expect(json.passedTests).toHaveLength(junit.passedTests.length);
  });

  it('posts a vitest JSON report too', async () => {
    const c = await createContract(s, [{ outcome: 'enum', ci: TOKEN_POLICY }]);
    await deliver(s, c, 0);
    const issued = await call<{ token: string }>(
      s.url,
      'POST',
      `/v1/contracts/${c.id}/milestones/0/ci/tokens`,
      { token: c.tokens.client, body: {} },
    );
    const cli = io({ VERDICT_CI_TOKEN: issued.body.token });
    const code = await runCi(
      [
        'attest',
        '--url',
        s.url,
        '--contract',
        c.id,
        '--milestone',
        '0',
        '--commit',
        SHA,
        '--vitest-json',
        vitestJsonPath,
      ],
      cli,
    );
    expect(code, cli.stderr.join('\n')).toBe(0);
    expect(cli.stdout.join('\n')).toMatch(/attested accepted/);
  });

  it('posts the report with a CI token and gets the milestone attested (exit 0)', async () => {
    const c = await createContract(s, [{ outcome: 'share', ci: TOKEN_POLICY }]);
    await deliver(s, c, 0);
    const issued = await call<{ token: string }>(
      s.url,
      'POST',
      `/v1/contracts/${c.id}/milestones/0/ci/tokens`,
      { token: c.tokens.client, body: {} },
    );
    const cli = io({ VERDICT_CI_TOKEN: issued.body.token });
    const code = await runCi(
      [
        'attest',
        '--url',
        s.url,
        '--contract',
        c.id,
        '--milestone',
        '0',
        '--commit',
        SHA,
        '--junit',
        junitPath,
        '--run-url',
        'https://ci.example/runs/1',
      ],
      cli,
    );
    expect(code, cli.stderr.join('\n')).toBe(0);
    expect(cli.stdout.join('\n')).toMatch(/^accepted: PASSED .* attested 100/);
    const att = await call<{ outcome: number }>(
      s.url,
      'GET',
      `/v1/events/${encodeURIComponent(c.eventIds[0] ?? '')}/attestation`,
    );
    expect(att.status).toBe(200);
    expect(att.body.outcome).toBe(100);
  });

  it('the verdict binary (scripts/verdict.ts) routes "ci attest" and exits 0', async () => {
    const c = await createContract(s, [{ outcome: 'share', ci: TOKEN_POLICY }]);
    await deliver(s, c, 0);
    const issued = await call<{ token: string }>(
      s.url,
      'POST',
      `/v1/contracts/${c.id}/milestones/0/ci/tokens`,
      { token: c.tokens.client, body: {} },
    );
    const child = await run(
      'npx',
      [
        'tsx',
        'scripts/verdict.ts',
        'ci',
        'attest',
        '--url',
        s.url,
        '--contract',
        c.id,
        '--milestone',
        '0',
        '--commit',
        SHA,
        '--junit',
        junitPath,
      ],
      { cwd: process.cwd(), env: { ...process.env, VERDICT_CI_TOKEN: issued.body.token } },
    );
    expect(child.stdout).toMatch(/^accepted: PASSED .* attested 100/);
    const att = await call(
      s.url,
      'GET',
      `/v1/events/${encodeURIComponent(c.eventIds[0] ?? '')}/attestation`,
    );
    expect(att.status).toBe(200);
  });

  it('in GitHub Actions, requests an OIDC token for the audience and prints JSON with --json', async () => {
    const c = await createContract(s, [{ outcome: 'enum', ci: OIDC_POLICY }]);
    await deliver(s, c, 0);
    const cli = io({
      ACTIONS_ID_TOKEN_REQUEST_URL: idTokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
      GITHUB_SHA: SHA,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_RUN_ID: '1234',
    });
    const code = await runCi(
      [
        'attest',
        '--url',
        s.url,
        '--contract',
        c.id,
        '--milestone',
        '0',
        '--junit',
        junitPath,
        '--audience',
        'verdict-test',
        '--json',
      ],
      cli,
    );
    expect(code, cli.stderr.join('\n')).toBe(0);
    expect(idTokenRequests.at(-1)).toBe('verdict-test');
    const printed = JSON.parse(cli.stdout.join('\n')) as {
      status: number;
      body: Record<string, unknown>;
    };
    expect(printed.status).toBe(201);
    expect(printed.body).toMatchObject({ decision: 'attested', outcome: 'accepted', commit: SHA });
    const results = await call<{ results: { runUrl: string }[] }>(
      s.url,
      'GET',
      `/v1/contracts/${c.id}/milestones/0/ci`,
      { token: c.tokens.client },
    );
    expect(results.body.results[0]?.runUrl).toBe('https://github.com/octo/app/actions/runs/1234');
  });

  it('a failing report is rejected by the policy (exit 1) and kept as evidence', async () => {
    const c = await createContract(s, [{ ci: TOKEN_POLICY }]);
    await deliver(s, c, 0);
    const issued = await call<{ token: string }>(
      s.url,
      'POST',
      `/v1/contracts/${c.id}/milestones/0/ci/tokens`,
      { token: c.tokens.client, body: {} },
    );
    const failingJunit = join(dir, 'failing.xml');
    writeFileSync(
      failingJunit,
      '<testsuites><testsuite name="s"><testcase name="ok"/><testcase name="bad"><failure message="no"/></testcase></testsuite></testsuites>',
    );
    const cli = io({ VERDICT_CI_TOKEN: issued.body.token });
    const code = await runCi(
      [
        'attest',
        '--url',
        s.url,
        '--contract',
        c.id,
        '--milestone',
        '0',
        '--commit',
        SHA,
        '--junit',
        failingJunit,
      ],
      cli,
    );
    expect(code).toBe(1);
    expect(cli.stderr.join('\n')).toMatch(/^rejected: ci_policy_unmet/);
  });

  it.each([
    ['no arguments', []],
    ['an unknown command', ['publish']],
    [
      'both report kinds',
      [
        'attest',
        '--url',
        'http://127.0.0.1:1',
        '--contract',
        'x',
        '--milestone',
        '0',
        '--commit',
        SHA,
        '--junit',
        'a',
        '--vitest-json',
        'b',
      ],
    ],
    [
      'a bad commit',
      [
        'attest',
        '--url',
        'http://127.0.0.1:1',
        '--contract',
        'x',
        '--milestone',
        '0',
        '--commit',
        'main',
        '--junit',
        'a',
      ],
    ],
    ['an unknown flag', ['attest', '--frobnicate']],
  ])('usage errors exit 2: %s', async (_name, argv) => {
    const cli = io({ VERDICT_CI_TOKEN: 't' });
    expect(await runCi(argv, cli)).toBe(2);
  });

  it('a missing token or an unreachable oracle exits 2', async () => {
    const args = [
      'attest',
      '--url',
      'http://127.0.0.1:1',
      '--contract',
      'x',
      '--milestone',
      '0',
      '--commit',
      SHA,
      '--junit',
      junitPath,
    ];
    expect(await runCi(args, io({}))).toBe(2);
    const cli = io({ VERDICT_CI_TOKEN: 't' });
    expect(await runCi(args, cli)).toBe(2);
    expect(cli.stderr.join('\n')).toMatch(/cannot reach/);
  });

  it('--help prints the usage and exits 0', async () => {
    const cli = io({});
    expect(await runCi(['--help'], cli)).toBe(0);
    expect(cli.stdout.join('\n')).toMatch(/verdict ci attest/);
  });
});
