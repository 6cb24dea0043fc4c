/**
 * Any Core-compatible regtest node, exercised here against devnet's generic JSON-RPC behind a
 * proxy that lets through only Bitcoin Core's own methods (test/helpers/core-rpc-proxy.ts):
 * - RegtestFunder pays exact amounts from block rewards it mines with `generatetoaddress`;
 * - the party test world (`VERDICT_TEST_BITCOIN_RPC`'s path) funds, opens, settles and refunds
 *   with `setmocktime` moving the clock;
 * - `npm run demo --rpc URL` settles every milestone to the satoshi.
 * Each asserts that no `devnet_*` (or any other non-Core) method was called.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { RegtestFunder, RegtestFunderError } from '../../src/chain/regtest-funder.ts';
import { runDemo } from '../../scripts/demo/story.ts';
import { CORE_METHODS, startCoreOnlyProxy, type CoreOnlyProxy } from '../helpers/core-rpc-proxy.ts';
import {
  decide,
  externalNodeFromEnv,
  fundParty,
  milestoneTerms,
  oracleContract,
  startWorld,
} from '../party/helpers.ts';

let dir: string;
let devnet: Devnet;
let proxy: CoreOnlyProxy;
/** The node as a user gives it: a URL with user:pass inside (devnet accepts these too). */
let nodeUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verdict-core-node-'));
  devnet = await startDevnet({ dataDir: dir, rpcUser: 'alice', rpcPassword: 's3cret' });
  proxy = await startCoreOnlyProxy(devnet.url);
  nodeUrl = proxy.url.replace('http://', 'http://alice:s3cret@');
});
afterAll(async () => {
  await proxy.close();
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
});

function expectOnlyCoreMethods(): void {
  expect(proxy.refused).toEqual([]);
  expect([...proxy.calls.keys()].filter((m) => !CORE_METHODS.has(m))).toEqual([]);
}

describe('the Core-only proxy', () => {
  it('refuses devnet_faucet as Core refuses an unknown method', async () => {
    const rpc = new BitcoinRpcClient({ url: nodeUrl, retries: 0 });
    await expect(rpc.call('devnet_faucet', ['x', '1'])).rejects.toMatchObject({ rpcCode: -32601 });
    proxy.refused.length = 0;
    proxy.calls.delete('devnet_faucet');
  });
});

describe('RegtestFunder on Core RPCs', () => {
  it('pays exact amounts, confirmed or not, from mined block rewards', async () => {
    const rpc = new BitcoinRpcClient({ url: nodeUrl });
    const funder = new RegtestFunder(rpc);
    const to = new RegtestFunder(rpc); // any regtest address will do: another funder's
    const paid = await funder.pay(to.address, 123_456n);
    const out = await rpc.getTxOut(paid.txid, paid.vout);
    expect(out?.valueSat).toBe(123_456n);
    expect(out?.confirmations).toBe(1);
    const unconfirmed = await funder.pay(to.address, 1_000n, false);
    expect(await rpc.call('getrawmempool', [])).toContain(unconfirmed.txid);
    // A second payment right away spends other coins than the one still in the mempool.
    const again = await funder.pay(to.address, 7n * 100_000_000n);
    expect((await rpc.getTxOut(again.txid, 0))?.valueSat).toBe(700_000_000n);
    expect(proxy.calls.get('generatetoaddress')).toBeGreaterThan(0);
    expectOnlyCoreMethods();
  });

  it('refuses a bad address before mining anything', async () => {
    const rpc = new BitcoinRpcClient({ url: nodeUrl });
    const height = await rpc.getBlockCount();
    await expect(new RegtestFunder(rpc).pay('bc1qnotregtest', 1_000n)).rejects.toThrow(
      /not a regtest address/,
    );
    expect(await rpc.getBlockCount()).toBe(height);
  });

  it('refuses a chain that is not regtest', async () => {
    const fake = {
      getBlockchainInfo: () =>
        Promise.resolve({
          chain: 'main',
          blocks: 1,
          headers: 1,
          bestBlockHash: '00'.repeat(32),
          medianTimeSec: 0,
          initialBlockDownload: false,
        }),
      getBlockCount: () => Promise.resolve(1),
      scanUtxos: () => Promise.resolve([]),
      sendRawTransaction: () => Promise.reject(new Error('not called')),
      generateToAddress: () => Promise.reject(new Error('must not mine')),
    };
    const funder = new RegtestFunder(fake);
    await expect(funder.pay(funder.address, 1_000n)).rejects.toBeInstanceOf(RegtestFunderError);
  });
});

describe('the party test world on an external node (VERDICT_TEST_BITCOIN_RPC)', () => {
  it('reads the node from the environment', () => {
    expect(externalNodeFromEnv({})).toBeUndefined();
    expect(
      externalNodeFromEnv({
        VERDICT_TEST_BITCOIN_RPC: 'http://u:p@127.0.0.1:18443',
        VERDICT_TEST_BITCOIN_RPC_COOKIE: '/tmp/.cookie',
      }),
    ).toEqual({ url: 'http://u:p@127.0.0.1:18443', cookieFile: '/tmp/.cookie' });
  });

  it('funds, settles a share milestone at 37 % and refunds another, with Core RPCs only', async () => {
    const world = await startWorld({ node: { url: nodeUrl } });
    try {
      expect(world.devnet).toBeUndefined();
      expect(world.node.kind).toBe('external');
      await fundParty(world, world.client, [400_000n, 400_000n]);
      expect(await world.client.wallet.balanceSat()).toBe(800_000n);
      const c = await oracleContract(world, ['share', 'enum']);
      const open = async (index: number) => {
        const terms = await milestoneTerms(world, c, index);
        const announcement = await world.oracle.announcement(terms.eventId);
        const { offer } = await world.client.offer({ terms, announcement });
        const { accept } = await world.freelancer.accept({ offer, terms });
        const { sign, contract: cRow } = await world.client.sign({ accept });
        const { contract: fRow } = await world.freelancer.finalize({ sign });
        await world.mine(1);
        await world.client.poll(world.oracle);
        await world.freelancer.poll(world.oracle);
        return { terms, announcement, cRow, fRow };
      };
      const share = await open(0);
      const refund = await open(1);

      // Milestone 0 settles at 37 %: the freelancer's wallet holds exactly its payout.
      await decide(world, c, 0, 37);
      const actions = await world.freelancer.poll(world.oracle);
      expect(actions.find((a) => a.contract === share.fRow.id)?.action).toBe('cet_broadcast');
      await world.mine(1);
      await world.freelancer.poll(world.oracle);
      await world.client.poll(world.oracle);
      expect(world.freelancer.store.getContract(share.fRow.id).state).toBe('settled');
      expect(await world.freelancer.wallet.balanceSat()).toBe(55_500n);

      // Milestone 1 is never decided: past its refund locktime (setmocktime), the client refunds.
      await world.setChainTime(
        refund.announcement.event.maturityEpochSec + refund.terms.refundMarginSec + 3600,
      );
      await world.mine(11);
      const r = await world.client.refund(world.client.store.getContract(refund.cRow.id));
      expect(r.action).toBe('refund_broadcast');
      await world.mine(1);
      await world.client.poll(world.oracle);
      expect(world.client.store.getContract(refund.cRow.id).state).toBe('refunded');
      expect(proxy.calls.get('setmocktime')).toBeGreaterThan(0);
      expectOnlyCoreMethods();
    } finally {
      await world.dispose();
    }
  }, 180_000);
});

describe('npm run demo -- --rpc URL', () => {
  it('settles every milestone as the terms say, on the node, with Core RPCs only', async () => {
    // A fresh chain: the world above moved the shared chain's median time past its locktimes.
    const demoDir = mkdtempSync(join(tmpdir(), 'verdict-core-node-demo-'));
    const demoNode = await startDevnet({ dataDir: demoDir });
    const demoProxy = await startCoreOnlyProxy(demoNode.url);
    const lines: string[] = [];
    const result = await runDemo(
      { line: (l) => lines.push(l) },
      { node: { url: demoProxy.url, cookieFile: demoNode.cookieFile! } },
    ).finally(async () => {
      await demoProxy.close();
      await demoNode.stop();
      rmSync(demoDir, { recursive: true, force: true });
    });
    const output = lines.join('\n');
    expect(result.problems, output).toEqual([]);
    expect(result.ok, output).toBe(true);
    expect(result.rows.map((r) => [r.chainFreelancerSat, r.chainClientSat])).toEqual([
      [200_000n, 0n],
      [150_000n, 0n],
      [72_000n, 48_000n],
    ]);
    expect(output).toContain('Your regtest node (Bitcoin Core JSON-RPC)');
    expect(demoProxy.refused).toEqual([]);
    expect([...demoProxy.calls.keys()].filter((m) => !CORE_METHODS.has(m))).toEqual([]);
    expect(demoProxy.calls.get('generatetoaddress')).toBeGreaterThan(0);
  }, 300_000);
});
