import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { run } from '../../scripts/cli/devnet.ts';

const ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

describe('verdict devnet', () => {
  let devnet: Devnet;
  let dir: string;
  let cookieFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-devnet-cli-'));
    devnet = await startDevnet({ dataDir: dir, port: 0 });
    if (devnet.cookieFile === undefined) throw new Error('devnet with a data dir writes a cookie');
    cookieFile = devnet.cookieFile;
  });
  afterAll(async () => {
    await devnet.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      readStdin: () => Promise.resolve(''),
    };
    return run(['--rpc', devnet.url, '--rpc-cookie', cookieFile, ...argv], io).then((code) => ({
      code,
      out: out.join('\n'),
      err: err.join('\n'),
    }));
  }

  it('mines blocks, pays from the faucet, and reports the tip', async () => {
    const before = await devnet.rpc.getBlockCount();
    expect((await cli('mine', '2')).code).toBe(0);
    expect(await devnet.rpc.getBlockCount()).toBe(before + 2);

    const paid = await cli('faucet', ADDRESS, '250000', '--json');
    expect(paid.code).toBe(0);
    const { txid, vout } = JSON.parse(paid.out) as { txid: string; vout: number };
    const out = await devnet.rpc.getTxOut(txid, vout);
    expect(out?.valueSat).toBe(250000n);
    expect(out?.confirmations).toBeGreaterThanOrEqual(1);

    const info = await cli('info');
    expect(info.code).toBe(0);
    expect(info.out).toMatch(/^regtest: height \d+/);
  });

  it('answers usage errors with 2 and a refused request with 1', async () => {
    expect((await cli('faucet', ADDRESS, '-5')).code).toBe(2);
    expect((await cli('mine', '0')).code).toBe(2);
    expect((await cli('teleport')).code).toBe(2);
    const bad = await cli('faucet', 'not-an-address', '1000');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/verdict devnet:/);
  });

  it('is a transport error (2) when nothing listens', async () => {
    const out: string[] = [];
    const code = await run(['--rpc', 'http://127.0.0.1:9/', '--rpc-cookie', cookieFile, 'info'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      readStdin: () => Promise.resolve(''),
    });
    expect(code).toBe(2);
  });
});
