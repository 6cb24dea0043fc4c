import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex } from '@scure/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcError, RpcRejectedError } from '../../src/chain/errors.ts';
import { devnetFaucet, startDevnet } from '../../src/chain/devnet/index.ts';
import type { Devnet } from '../../src/chain/devnet/index.ts';
import { decodeBlock } from '../../src/chain/devnet/block.ts';
import type { Key, Prevout } from './tx-builders.ts';
import { fundingOutput, keyFromSeed, p2wpkhOf, spendFunding, spendP2wpkh } from './tx-builders.ts';

const alice = keyFromSeed(1);
const bob = keyFromSeed(2);
const mallory = keyFromSeed(3);
const miner = keyFromSeed(9);
const funding = fundingOutput(alice, bob);
const FUNDING_SAT = 500_000n;

let dataDir: string;
let devnet: Devnet;
/** The confirmed 2-of-2 funding output the CET-like spends below use. */
let fundingPrev: Prevout;

async function expectRejected(
  promise: Promise<unknown>,
  rpcCode: number,
  reason: string,
): Promise<RpcRejectedError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcRejectedError);
  const rejected = error as RpcRejectedError;
  expect({ rpcCode: rejected.rpcCode, reason: rejected.reason }).toEqual({ rpcCode, reason });
  return rejected;
}

/** A fresh confirmed P2WPKH output for `key`, from the faucet. */
async function fund(key: Key, valueSat: bigint): Promise<Prevout> {
  const { address, script } = p2wpkhOf(key);
  const { txid, vout } = await devnetFaucet(devnet.rpc, address, valueSat);
  return { txid, vout, valueSat, script };
}

function payTo(key: Key, valueSat: bigint): { script: Uint8Array; valueSat: bigint } {
  return { script: p2wpkhOf(key).script, valueSat };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'verdict-devnet-'));
  devnet = await startDevnet({ dataDir });
  // Lock FUNDING_SAT in the 2-of-2, paid from a P2WPKH coin signed by scure.
  const coin = await fund(alice, 1_000_000n);
  const raw = spendP2wpkh(alice, coin, [
    { script: funding.script, valueSat: FUNDING_SAT },
    payTo(alice, 1_000_000n - FUNDING_SAT - 1_000n),
  ]);
  const txid = await devnet.rpc.sendRawTransaction(raw);
  await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
  fundingPrev = { txid, vout: 0, valueSat: FUNDING_SAT, script: funding.script };
});

afterAll(async () => {
  await devnet.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('devnet through BitcoinRpcClient', () => {
  it('starts from the regtest genesis block and reports regtest', async () => {
    const info = await devnet.rpc.getBlockchainInfo();
    expect(info.chain).toBe('regtest');
    expect(await devnet.rpc.getBlockHash(0)).toBe(
      '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
    );
    expect(info.blocks).toBe(await devnet.rpc.getBlockCount());
    expect(info.bestBlockHash).toBe(await devnet.rpc.getBlockHash(info.blocks));
  });

  it('mines blocks whose header links, merkle root and coinbase are consistent', async () => {
    const before = await devnet.rpc.getBlockCount();
    const [hash] = await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
    const info = await devnet.rpc.getBlockInfo(hash!);
    expect(info.height).toBe(before + 1);
    expect(info.confirmations).toBe(1);
    expect(info.previousBlockHash).toBe(await devnet.rpc.getBlockHash(before));
    const block = decodeBlock(await devnet.rpc.getBlock(hash!));
    expect(block.hash).toBe(hash);
    expect(block.txs.map((t) => t.txid)).toEqual(info.txids);
    // The coinbase pays the 50 BTC subsidy (halving every 150 blocks) to the address.
    const coinbase = await devnet.rpc.getTxOut(info.txids[0]!, 0);
    expect(coinbase).toMatchObject({
      valueSat: before + 1 < 150 ? 5_000_000_000n : 2_500_000_000n,
      coinbase: true,
    });
    expect(hex.encode(coinbase!.scriptPubKey)).toBe(hex.encode(p2wpkhOf(miner).script));
  });

  it('funds a P2WPKH address from the faucet, confirmed', async () => {
    const coin = await fund(bob, 12_345n);
    const out = await devnet.rpc.getTxOut(coin.txid, coin.vout);
    expect(out).toEqual({
      valueSat: 12_345n,
      scriptPubKey: coin.script,
      confirmations: 1,
      coinbase: false,
    });
    expect(await devnet.rpc.getTransactionConfirmations(coin.txid)).toBe(1);
  });

  it('accepts a P2WPKH spend signed by @scure/btc-signer and confirms it', async () => {
    const coin = await fund(alice, 50_000n);
    const raw = spendP2wpkh(alice, coin, [payTo(bob, 49_000n)]);
    const check = await devnet.rpc.testMempoolAccept(raw);
    expect(check).toMatchObject({ allowed: true, rejectReason: null, feeSat: 1_000n });
    const txid = await devnet.rpc.sendRawTransaction(raw);
    expect(txid).toBe(check.txid);
    const entry = await devnet.rpc.getMempoolEntry(txid);
    expect(entry).toMatchObject({ feeSat: 1_000n, depends: [] });
    expect(await devnet.rpc.getTransactionConfirmations(txid)).toBe(0);
    expect(await devnet.rpc.getTxOut(coin.txid, coin.vout, true)).toBeNull();
    expect(await devnet.rpc.getTxOut(coin.txid, coin.vout, false)).not.toBeNull();
    expect((await devnet.rpc.getTxOut(txid, 0))?.confirmations).toBe(0);
    // Sending the same transaction again is not an error while it is in the mempool.
    expect(await devnet.rpc.sendRawTransaction(hex.encode(raw))).toBe(txid);
    await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
    expect(await devnet.rpc.getMempoolEntry(txid)).toBeNull();
    expect(await devnet.rpc.getTransactionConfirmations(txid)).toBe(1);
    expect(await devnet.rpc.getRawTransaction(txid)).toEqual(raw);
  });

  it('rejects a 2-of-2 spend with a wrong signature (NULLFAIL, as Core words it)', async () => {
    const raw = spendFunding(funding, fundingPrev, [payTo(alice, FUNDING_SAT - 500n)], {
      wrongSigner: mallory,
    });
    const error = await expectRejected(
      devnet.rpc.sendRawTransaction(raw),
      -26,
      'mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)',
    );
    expect(error.method).toBe('sendrawtransaction');
    expect(error.message).toBe(error.reason);
  });

  it('rejects a 2-of-2 spend with a non-empty CHECKMULTISIG dummy (BIP147 NULLDUMMY)', async () => {
    const raw = spendFunding(funding, fundingPrev, [payTo(alice, FUNDING_SAT - 500n)], {
      dummy: Uint8Array.of(1),
    });
    await expectRejected(
      devnet.rpc.sendRawTransaction(raw),
      -26,
      'mandatory-script-verify-flag-failed (Dummy CHECKMULTISIG argument must be zero)',
    );
  });

  it('rejects a spend whose nLockTime is in the future (a refund before its locktime)', async () => {
    const height = await devnet.rpc.getBlockCount();
    const raw = spendFunding(funding, fundingPrev, [payTo(alice, FUNDING_SAT - 500n)], {
      lockTime: height + 10,
    });
    await expectRejected(devnet.rpc.sendRawTransaction(raw), -26, 'non-final');
    // A time lock a day ahead of the median time past is not final either.
    const { medianTimeSec } = await devnet.rpc.getBlockchainInfo();
    const timeLocked = spendFunding(funding, fundingPrev, [payTo(alice, FUNDING_SAT - 500n)], {
      lockTime: medianTimeSec + 86_400,
    });
    await expectRejected(devnet.rpc.sendRawTransaction(timeLocked), -26, 'non-final');
  });

  it('rejects a transaction that creates value', async () => {
    const raw = spendFunding(funding, fundingPrev, [payTo(alice, FUNDING_SAT + 1n)]);
    const error = await expectRejected(
      devnet.rpc.sendRawTransaction(raw),
      -26,
      'bad-txns-in-belowout',
    );
    expect(error.message).toBe('bad-txns-in-belowout, value in (0.005) < value out (0.00500001)');
  });

  it('rejects a dust output (294 sat is the P2WPKH threshold)', async () => {
    const dusty = spendFunding(funding, fundingPrev, [
      payTo(alice, FUNDING_SAT - 1_000n),
      payTo(bob, 293n),
    ]);
    await expectRejected(devnet.rpc.sendRawTransaction(dusty), -26, 'dust');
    const atThreshold = spendFunding(funding, fundingPrev, [
      payTo(alice, FUNDING_SAT - 1_000n),
      payTo(bob, 294n),
    ]);
    expect((await devnet.rpc.testMempoolAccept(atThreshold)).allowed).toBe(true);
  });

  it('rejects a zero-fee transaction', async () => {
    const raw = spendFunding(funding, fundingPrev, [payTo(alice, FUNDING_SAT)]);
    const error = await expectRejected(
      devnet.rpc.sendRawTransaction(raw),
      -26,
      'min relay fee not met',
    );
    expect(error.message).toMatch(/^min relay fee not met, 0 < \d+$/);
    const check = await devnet.rpc.testMempoolAccept(raw);
    expect(check).toMatchObject({ allowed: false, rejectReason: 'min relay fee not met' });
  });

  it('accepts the correctly signed 2-of-2 spend, then refuses double spends in mempool and chain', async () => {
    const good = spendFunding(funding, fundingPrev, [
      payTo(alice, 300_000n),
      payTo(bob, FUNDING_SAT - 300_000n - 500n),
    ]);
    const txid = await devnet.rpc.sendRawTransaction(good);
    const other = spendFunding(funding, fundingPrev, [payTo(bob, FUNDING_SAT - 600n)]);
    // Full RBF (Core 28): a conflict is a replacement attempt, refused for paying too little.
    await expectRejected(devnet.rpc.sendRawTransaction(other), -26, 'insufficient fee');
    await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
    expect(await devnet.rpc.getTransactionConfirmations(txid)).toBe(1);
    await expectRejected(
      devnet.rpc.sendRawTransaction(other),
      -25,
      'bad-txns-inputs-missingorspent',
    );
    await expectRejected(
      devnet.rpc.sendRawTransaction(good),
      -27,
      'Transaction outputs already in utxo set',
    );
    expect(await devnet.rpc.getTxOut(fundingPrev.txid, fundingPrev.vout)).toBeNull();
  });

  it('rejects spending a coinbase before 100 confirmations', async () => {
    const [hash] = await devnet.rpc.generateToAddress(1, p2wpkhOf(alice).address);
    const { txids } = await devnet.rpc.getBlockInfo(hash!);
    const coinbase = await devnet.rpc.getTxOut(txids[0]!, 0);
    const prev = {
      txid: txids[0]!,
      vout: 0,
      valueSat: coinbase!.valueSat,
      script: coinbase!.scriptPubKey,
    };
    const raw = spendP2wpkh(alice, prev, [payTo(bob, prev.valueSat - 1_000n)]);
    const error = await expectRejected(
      devnet.rpc.sendRawTransaction(raw),
      -26,
      'bad-txns-premature-spend-of-coinbase',
    );
    expect(error.message).toBe(
      'bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 1',
    );
  });

  it('rejects an unknown input as missing (-25)', async () => {
    const raw = spendP2wpkh(
      alice,
      { txid: 'ab'.repeat(32), vout: 0, valueSat: 10_000n, script: p2wpkhOf(alice).script },
      [payTo(bob, 9_000n)],
    );
    await expectRejected(devnet.rpc.sendRawTransaction(raw), -25, 'bad-txns-inputs-missingorspent');
    expect(await devnet.rpc.testMempoolAccept(raw)).toMatchObject({
      allowed: false,
      rejectReason: 'missing-inputs',
    });
  });

  it('answers unknown transactions and bad parameters with Core error codes', async () => {
    expect(await devnet.rpc.getTransaction('00'.repeat(32))).toBeNull();
    expect(await devnet.rpc.getTransactionConfirmations('00'.repeat(32))).toBeNull();
    const error: unknown = await devnet.rpc.getBlockHash(1_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect(error).not.toBeInstanceOf(RpcRejectedError);
    expect(error).toMatchObject({ rpcCode: -8, message: 'Block height out of range' });
    await expect(devnet.rpc.call('nosuchmethod')).rejects.toMatchObject({ rpcCode: -32601 });
    await expect(devnet.rpc.generateToAddress(1, 'not-an-address')).rejects.toMatchObject({
      rpcCode: -5,
    });
    await expect(devnet.rpc.sendRawTransaction('00')).rejects.toMatchObject({ rpcCode: -22 });
  });

  it('estimates 1 sat/vB', async () => {
    expect(await devnet.rpc.estimateFeeRateSatPerVb(6)).toBe(1n);
  });
});

describe('devnet persistence', () => {
  it('keeps the chain and mempool across a restart, re-validating the stored blocks', async () => {
    const coin = await fund(bob, 40_000n);
    const pending = await devnet.rpc.sendRawTransaction(
      spendP2wpkh(bob, coin, [payTo(alice, 39_000n)]),
    );
    const before = await devnet.rpc.getBlockchainInfo();
    await devnet.stop();

    devnet = await startDevnet({ dataDir });
    const after = await devnet.rpc.getBlockchainInfo();
    expect(after.blocks).toBe(before.blocks);
    expect(after.bestBlockHash).toBe(before.bestBlockHash);
    expect(await devnet.rpc.getTxOut(fundingPrev.txid, 1)).not.toBeNull();
    expect(await devnet.rpc.getMempoolEntry(pending)).not.toBeNull();
    await devnet.rpc.generateToAddress(1, p2wpkhOf(miner).address);
    expect(await devnet.rpc.getTransactionConfirmations(pending)).toBe(1);
  });
});
