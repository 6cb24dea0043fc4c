/**
 * Devnet policy added for issue 14: full-RBF replacement (BIP125 rules as Core 28 applies them),
 * the dynamic mempool minimum fee, Core 28's `submitpackage` (child pays for parent), and mining by
 * ancestor fee rate under `-blockmaxweight`. Transactions are built and signed by scure, not devnet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcError, RpcRejectedError } from '../../src/chain/errors.ts';
import { devnetFaucet, startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { keyFromSeed, p2wpkhOf, spendP2wpkh, type Prevout } from './tx-builders.ts';

const alice = keyFromSeed(1);
const bob = keyFromSeed(2);
const miner = keyFromSeed(3);
let devnet: Devnet;
let dir: string;

/** vsize of a 1-in 1-out P2WPKH spend: 110 vB (low-R or not, the witness rounds the same way). */
const ONE_IN_ONE_OUT = 110n;

async function coin(amount: bigint): Promise<Prevout> {
  const { txid, vout } = await devnetFaucet(devnet.rpc, p2wpkhOf(alice).address, amount);
  return { txid, vout, valueSat: amount, script: p2wpkhOf(alice).script };
}

function txid(raw: Uint8Array): string {
  return Transaction.fromRaw(raw).id;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verdict-devnet-pkg-'));
  // Room for the coinbase reserve and two small transactions only.
  devnet = await startDevnet({ dataDir: dir, blockMaxWeight: 4000 + 2 * 450 });
}, 60_000);

afterAll(async () => {
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('replacement (full RBF, BIP125 rules)', () => {
  it('replaces a transaction paying more, refuses one that does not pay for its relay', async () => {
    const prev = await coin(100_000n);
    const first = spendP2wpkh(alice, prev, [
      { script: p2wpkhOf(bob).script, valueSat: 100_000n - 200n },
    ]);
    await devnet.rpc.sendRawTransaction(first);
    // Higher fee rate but only 50 sat more: rule 4 needs 1 sat/vB × its own ~110 vB more.
    const cheap = spendP2wpkh(alice, prev, [
      { script: p2wpkhOf(bob).script, valueSat: 100_000n - 250n },
    ]);
    await expect(devnet.rpc.sendRawTransaction(cheap)).rejects.toMatchObject({
      reason: 'insufficient fee',
    });
    const better = spendP2wpkh(alice, prev, [
      { script: p2wpkhOf(bob).script, valueSat: 100_000n - 400n },
    ]);
    await devnet.rpc.sendRawTransaction(better);
    expect(await devnet.rpc.getMempoolEntry(txid(first))).toBeNull();
    expect((await devnet.rpc.getMempoolEntry(txid(better)))?.feeSat).toBe(400n);
    await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
  });

  it('refuses a replacement that adds an unconfirmed input (rule 2)', async () => {
    const a = await coin(50_000n);
    const b = await coin(50_000n);
    const first = spendP2wpkh(alice, a, [{ script: p2wpkhOf(bob).script, valueSat: 49_800n }]);
    await devnet.rpc.sendRawTransaction(first);
    const other = spendP2wpkh(alice, b, [{ script: p2wpkhOf(alice).script, valueSat: 49_800n }]);
    await devnet.rpc.sendRawTransaction(other);
    const tx = new Transaction({ allowUnknownOutputs: true });
    for (const p of [
      a,
      { txid: txid(other), vout: 0, valueSat: 49_800n, script: p2wpkhOf(alice).script },
    ]) {
      tx.addInput({
        txid: p.txid,
        index: p.vout,
        witnessUtxo: { script: p.script, amount: p.valueSat },
        sequence: 0xfffffffd,
      });
    }
    tx.addOutput({ script: p2wpkhOf(bob).script, amount: 95_000n });
    tx.sign(alice.priv);
    tx.finalize();
    await expect(devnet.rpc.sendRawTransaction(tx.extract())).rejects.toMatchObject({
      reason: 'replacement-adds-unconfirmed',
    });
    await devnet.rpc.generateToAddress(2, p2wpkhOf(miner).address);
  });
});

describe('mempool minimum fee and submitpackage', () => {
  it('refuses a parent below the mempool minimum alone, accepts it with a child paying for both', async () => {
    const prev = await coin(200_000n);
    const parent = spendP2wpkh(alice, prev, [
      { script: p2wpkhOf(bob).script, valueSat: 200_000n - 2n * ONE_IN_ONE_OUT },
    ]);
    await devnet.rpc.call('devnet_setmempoolminfee', [10_000]); // 10 sat/vB
    try {
      const alone = devnet.rpc.sendRawTransaction(parent);
      await expect(alone).rejects.toBeInstanceOf(RpcRejectedError);
      await expect(alone).rejects.toMatchObject({ reason: 'mempool min fee not met' });
      const parentOut: Prevout = {
        txid: txid(parent),
        vout: 0,
        valueSat: 200_000n - 220n,
        script: p2wpkhOf(bob).script,
      };
      // A child at 15 sat/vB is not enough for the package: (220 + 1650) / 220 vB = 8.5 sat/vB.
      const weak = spendP2wpkh(bob, parentOut, [
        { script: p2wpkhOf(bob).script, valueSat: parentOut.valueSat - 15n * ONE_IN_ONE_OUT },
      ]);
      const refused = await devnet.rpc.submitPackage([parent, weak]);
      expect(refused.packageMsg).toBe('transaction failed');
      expect(refused.transactions[0]?.error).toMatch(/^mempool min fee not met/);
      expect(await devnet.rpc.getMempoolEntry(txid(parent))).toBeNull();
      // Child for 20 sat/vB over both: 20·220 − 220 = 4180 sat.
      const child = spendP2wpkh(bob, parentOut, [
        { script: p2wpkhOf(bob).script, valueSat: parentOut.valueSat - 4180n },
      ]);
      await expect(devnet.rpc.submitPackage([child, parent])).rejects.toBeInstanceOf(RpcError);
      const ok = await devnet.rpc.submitPackage([parent, child]);
      expect(ok.packageMsg).toBe('success');
      expect(ok.transactions.map((t) => t.txid)).toEqual([txid(parent), txid(child)]);
      expect(ok.transactions[1]?.effectiveFeeRateSatPerKvb).toBe(((220n + 4180n) * 1000n) / 220n);
      expect((await devnet.rpc.getMempoolEntry(txid(parent)))?.feeSat).toBe(220n);
      expect((await devnet.rpc.getMempoolEntry(txid(child)))?.depends).toEqual([txid(parent)]);
      // Resubmitting is harmless.
      expect((await devnet.rpc.submitPackage([parent, child])).packageMsg).toBe('success');
    } finally {
      await devnet.rpc.call('devnet_setmempoolminfee', [1000]);
    }
    await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
  });
});

describe('mining by ancestor fee rate', () => {
  it('fills a small block with the parent and its high-fee child before an older, richer-looking loner', async () => {
    const a = await coin(100_000n);
    const b = await coin(100_000n);
    await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
    // Oldest: a loner at 3 sat/vB. Then a parent at 1 sat/vB and its child at 30 sat/vB.
    const loner = spendP2wpkh(alice, a, [
      { script: p2wpkhOf(bob).script, valueSat: 100_000n - 3n * ONE_IN_ONE_OUT },
    ]);
    await devnet.rpc.sendRawTransaction(loner);
    const parent = spendP2wpkh(alice, b, [
      { script: p2wpkhOf(bob).script, valueSat: 100_000n - ONE_IN_ONE_OUT },
    ]);
    await devnet.rpc.sendRawTransaction(parent);
    const parentOut: Prevout = {
      txid: txid(parent),
      vout: 0,
      valueSat: 100_000n - ONE_IN_ONE_OUT,
      script: p2wpkhOf(bob).script,
    };
    const child = spendP2wpkh(bob, parentOut, [
      { script: p2wpkhOf(bob).script, valueSat: parentOut.valueSat - 30n * ONE_IN_ONE_OUT },
    ]);
    await devnet.rpc.sendRawTransaction(child);
    const [hash] = await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
    const block = await devnet.rpc.getBlockInfo(hash!);
    // Parent+child (15.5 sat/vB as a package) win the two slots; the loner waits.
    expect(block.txids.slice(1)).toEqual([txid(parent), txid(child)]);
    expect(await devnet.rpc.getMempoolEntry(txid(loner))).not.toBeNull();
    // The parent's output, created and spent in the same block, is not in the UTXO set.
    expect(await devnet.rpc.getTxOut(txid(parent), 0, false)).toBeNull();
    expect((await devnet.rpc.scanUtxos([p2wpkhOf(bob).script])).map((u) => u.txid)).not.toContain(
      txid(parent),
    );
  });
});
