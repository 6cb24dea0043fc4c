import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../scripts/cli/oracle.ts';
import type { CliIo } from '../../scripts/cli/common.ts';
import {
  createContract,
  startTestServer,
  TEST_ENV,
  tempDataDir,
  type TestServer,
} from './helpers.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `verdict oracle ...` in-process with captured output. */
async function oracle(argv: string[], env: Record<string, string>, stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: () => Promise.resolve(stdin),
  };
  const code = await run(argv, io, { ...TEST_ENV, ...env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDirEnv(): Record<string, string> {
  const d = tempDataDir();
  dirs.push(d);
  return { VERDICT_DATA_DIR: d };
}

describe('verdict oracle', () => {
  it('init prints the mnemonic once; backup shows it again; restore rebuilds the same key', async () => {
    const env = dataDirEnv();
    const init = await oracle(['init'], env);
    expect(init.code, init.err).toBe(0);
    const words = init.out
      .replace(/\d+\.\s*/g, ' ')
      .trim()
      .split(/\s+/);
    expect(words).toHaveLength(24);
    expect((await oracle(['init'], env)).code).toBe(1);
    const backup = await oracle(['backup'], env);
    expect(backup.out).toBe(init.out);
    const info = await oracle(['info', '--json'], env);
    const pub = (JSON.parse(info.out) as { oraclePublicKey: string }).oraclePublicKey;
    expect(pub).toMatch(/^[0-9a-f]{64}$/);

    const other = dataDirEnv();
    expect((await oracle(['restore'], other, 'not a mnemonic')).code).toBe(1);
    const restored = await oracle(['restore'], other, init.out);
    expect(restored.code, restored.err).toBe(0);
    expect(restored.err).toContain(pub);
    expect((await oracle(['restore'], other, words.join(' '))).code).toBe(1); // exists
    expect((await oracle(['restore', '--force'], other, words.join(' '))).code).toBe(0);
    // A wrong passphrase cannot open it.
    const wrong = await oracle(['backup'], { ...other, VERDICT_KEYSTORE_PASSPHRASE: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/passphrase/);
  });

  it('admin-token and verify-log work against a running server', async () => {
    let s: TestServer | undefined;
    try {
      s = await startTestServer();
      const env = { VERDICT_DATA_DIR: s.dataDir };
      const tok = await oracle(['admin-token', '--ttl-sec', '600'], env);
      expect(tok.code).toBe(0);
      expect(s.ctx.tokens.verify(tok.out)).toMatchObject({ kind: 'admin' });
      const c = await createContract(s);
      // Without a token: the public hash chain's links (issue 19 §11).
      const ok = await oracle(['verify-log', c.contract.id, '--url', s.url], env);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.out).toMatch(/^ok: 1 entries, head [0-9a-f]{64}$/);
      expect(ok.err).toContain('public hash chain (links only)');
      // With a party or operator token: every hash recomputed from the content.
      for (const token of [c.tokens.freelancer, tok.out]) {
        const full = await oracle(['verify-log', c.contract.id, '--url', s.url], {
          ...env,
          VERDICT_TOKEN: token,
        });
        expect(full.code, full.err).toBe(0);
        expect(full.out).toBe(ok.out);
        expect(full.err).toBe('');
      }
      expect((await oracle(['verify-log', '0000000000000000', '--url', s.url], env)).code).toBe(1);
      expect((await oracle(['verify-log', 'zz', '--url', s.url], env)).code).toBe(2);
    } finally {
      await s?.dispose();
    }
  });

  it('usage errors exit 2, --help exits 0', async () => {
    const env = dataDirEnv();
    expect((await oracle([], env)).code).toBe(2);
    expect((await oracle(['frobnicate'], env)).code).toBe(2);
    expect((await oracle(['info', '--bogus'], env)).code).toBe(2);
    expect((await oracle(['verify-log'], env)).code).toBe(2);
    expect((await oracle(['admin-token', '--ttl-sec', '5'], env)).code).toBe(2);
    expect((await oracle(['info'], { ...env, VERDICT_PORT: 'eighty' })).code).toBe(2);
    const help = await oracle(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.out).toContain('verify-log');
  });

  it('the dispatcher: verdict --help, unknown group', () => {
    const ok = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verdict.ts', '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('oracle');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/verdict.ts', 'nope'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    const sub = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/verdict.ts', 'oracle', '--help'],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('admin-token');
  });
});
