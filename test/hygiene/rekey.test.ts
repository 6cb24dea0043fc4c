/**
 * Issue 19 §12c: `verdict oracle rekey` re-seals the keystore under a new passphrase. The key is
 * the same, the old passphrase no longer opens it, the service starts with the new one, and every
 * refusal (service running, wrong current passphrase, same or short new one) leaves the old
 * keystore byte for byte.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { paths } from '../../oracle/data-dir.ts';
import { openKeystore } from '../../src/crypto/keystore.ts';
import { run } from '../../scripts/cli/oracle.ts';
import type { CliIo } from '../../scripts/cli/common.ts';
import { createContract, startTestServer, TEST_ENV, tempDataDir } from '../oracle/helpers.ts';

const OLD = TEST_ENV.VERDICT_KEYSTORE_PASSPHRASE;
const NEW = 'a brand new passphrase, never leaked';

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

describe('verdict oracle rekey (issue 19 §12c)', () => {
  it('re-seals the same key under a new passphrase; refusals change nothing', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const env = { VERDICT_DATA_DIR: dataDir };
    const ksPath = paths(dataDir).keystore;

    const s = await startTestServer({ dataDir });
    const keyOf = async (e: Record<string, string>) =>
      (JSON.parse((await oracle(['info', '--json'], e)).out) as { oraclePublicKey: string })
        .oraclePublicKey;
    const pub = await keyOf(env);
    expect(pub).toMatch(/^[0-9a-f]{64}$/);
    await createContract(s);
    const before = readFileSync(ksPath);
    // While the service runs: refused by the data dir's lock.
    const running = await oracle(['rekey'], env, `${NEW}\n`);
    expect(running.code).toBe(1);
    expect(running.err).toMatch(/in use by another Verdict process/);
    expect(readFileSync(ksPath)).toEqual(before);
    await s.close();

    const refusals: [string, Record<string, string>, string, RegExp][] = [
      ['wrong current passphrase', { VERDICT_KEYSTORE_PASSPHRASE: 'not it at all' }, NEW, /./],
      ['same passphrase', {}, OLD, /is the current one/],
      ['short passphrase', {}, 'short', /at least 8 characters/],
      ['empty stdin', {}, '', /at least 8 characters/],
    ];
    for (const [what, extra, stdin, message] of refusals) {
      const r = await oracle(['rekey'], { ...env, ...extra }, `${stdin}\n`);
      expect([what, r.code]).toEqual([what, 1]);
      expect(r.err).toMatch(message);
      expect(readFileSync(ksPath), what).toEqual(before);
    }

    const ok = await oracle(['rekey'], env, `${NEW}\n`);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toContain('re-sealed the keystore of oracle key');
    const after = JSON.parse(readFileSync(ksPath, 'utf8')) as unknown;
    expect(statSync(ksPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const mnemonic = openKeystore(JSON.parse(before.toString('utf8')) as unknown, OLD);
    expect(openKeystore(after, NEW)).toBe(mnemonic);
    expect(() => openKeystore(after, OLD)).toThrow();

    // The service: the old passphrase no longer opens it, the new one does, with the same key.
    await expect(startTestServer({ dataDir })).rejects.toThrow();
    const again = await startTestServer({
      dataDir,
      env: { VERDICT_KEYSTORE_PASSPHRASE: NEW },
    });
    try {
      expect(bytesToHex(again.ctx.engine.publicKey)).toBe(pub);
      expect(again.ctx.stores.counts().contracts).toBe(1);
    } finally {
      await again.close();
    }

    // From a file, and back: the file's trailing newline is not part of the passphrase.
    const file = join(dataDir, '..', `rekey-${process.pid}.pass`);
    writeFileSync(file, `${OLD}\n`, { mode: 0o600 });
    try {
      const back = await oracle(['rekey', '--new-passphrase-file', file], {
        ...env,
        VERDICT_KEYSTORE_PASSPHRASE: NEW,
      });
      expect(back.code, back.err).toBe(0);
      expect(openKeystore(JSON.parse(readFileSync(ksPath, 'utf8')) as unknown, OLD)).toBe(mnemonic);
    } finally {
      rmSync(file, { force: true });
    }
  }, 120_000);
});
