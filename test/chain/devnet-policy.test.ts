/**
 * devnet's finality, relative lock-time, standardness and script rules, on a devnet with an
 * injected clock so that time locks can be crossed without waiting.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevnetStateError, devnetFaucet, startDevnet } from '../../src/chain/devnet/index.ts';
import type { Devnet } from '../../src/chain/devnet/index.ts';
import { scriptToAddress } from '../../src/chain/devnet/regtest.ts';
import { RpcRejectedError } from '../../src/chain/errors.ts';
import type { Key, Prevout } from './tx-builders.ts';
import {
  ecdsaSig,
  fundingOutput,
  keyFromSeed,
  p2wpkhOf,
  p2wpkhScriptCode,
  spendFunding,
  spendP2wpkh,
  spendWithWitness,
} from './tx-builders.ts';

const alice = keyFromSeed(21);
const bob = keyFromSeed(22);
const miner = p2wpkhOf(keyFromSeed(23)).address;

let nowSec = 1_900_000_000;
let dataDir: string;
let devnet: Devnet;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'verdict-devnet-policy-'));
  devnet = await startDevnet({ dataDir, nowSec: () => nowSec });
});

afterAll(async () => {
  await devnet.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function fund(key: Key, valueSat: bigint): Promise<Prevout> {
  const { address, script } = p2wpkhOf(key);
  const { txid, vout } = await devnetFaucet(devnet.rpc, address, valueSat);
  return { txid, vout, valueSat, script };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcRejectedError);
  return (error as RpcRejectedError).reason;
}

const payBob = (valueSat: bigint): { script: Uint8Array; valueSat: bigint } => ({
  script: p2wpkhOf(bob).script,
  valueSat,
});

describe('devnet finality', () => {
  it('accepts a height-locked refund exactly when the next block may include it', async () => {
    const funding = fundingOutput(alice, bob);
    const coin = await fund(alice, 100_000n);
    await devnet.rpc.sendRawTransaction(
      spendP2wpkh(alice, coin, [{ script: funding.script, valueSat: 99_000n }]),
    );
    const [hash] = await devnet.rpc.generateToAddress(1, miner);
    const { txids } = await devnet.rpc.getBlockInfo(hash!);
    const prev = { txid: txids[1]!, vout: 0, valueSat: 99_000n, script: funding.script };
    const height = await devnet.rpc.getBlockCount();
    const refund = spendFunding(funding, prev, [payBob(98_000n)], { lockTime: height + 2 });
    expect(await reason(devnet.rpc.sendRawTransaction(refund))).toBe('non-final');
    await devnet.rpc.generateToAddress(1, miner);
    // nLockTime must be below the height of the block that would include it.
    expect(await reason(devnet.rpc.sendRawTransaction(refund))).toBe('non-final');
    await devnet.rpc.generateToAddress(1, miner);
    expect(await devnet.rpc.sendRawTransaction(refund)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a time-locked refund once the median time past has passed it (BIP113)', async () => {
    const funding = fundingOutput(alice, bob);
    const coin = await fund(alice, 100_000n);
    const fundTxid = await devnet.rpc.sendRawTransaction(
      spendP2wpkh(alice, coin, [{ script: funding.script, valueSat: 99_000n }]),
    );
    await devnet.rpc.generateToAddress(1, miner);
    const prev = { txid: fundTxid, vout: 0, valueSat: 99_000n, script: funding.script };
    const { medianTimeSec } = await devnet.rpc.getBlockchainInfo();
    const refund = spendFunding(funding, prev, [payBob(98_000n)], {
      lockTime: medianTimeSec + 3_600,
    });
    expect(await reason(devnet.rpc.sendRawTransaction(refund))).toBe('non-final');
    nowSec += 7_200;
    // The wall clock alone is not enough: the median of the last 11 block times must pass.
    expect(await reason(devnet.rpc.sendRawTransaction(refund))).toBe('non-final');
    await devnet.rpc.generateToAddress(11, miner);
    expect(await devnet.rpc.sendRawTransaction(refund)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('enforces BIP68 relative lock-times on version 2 transactions', async () => {
    const coin = await fund(alice, 50_000n);
    // Relative lock of 5 blocks: spendable in the 5th block after the one confirming the coin.
    const raw = spendP2wpkh(alice, coin, [payBob(49_000n)], { sequence: 5 });
    expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe('non-BIP68-final');
    await devnet.rpc.generateToAddress(3, miner);
    expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe('non-BIP68-final');
    await devnet.rpc.generateToAddress(1, miner);
    expect(await devnet.rpc.sendRawTransaction(raw)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('devnet script rules', () => {
  it('rejects a P2WPKH spend with a key that does not match the program', async () => {
    const coin = await fund(alice, 30_000n);
    const raw = spendWithWitness(coin, [payBob(29_000n)], (sighash) => [
      ecdsaSig(bob, sighash(p2wpkhScriptCode(bob), 1), 1),
      bob.pub,
    ]);
    expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe(
      'mandatory-script-verify-flag-failed (Script failed an OP_EQUALVERIFY operation)',
    );
  });

  it('rejects a P2WPKH signature over the wrong hash (NULLFAIL)', async () => {
    const coin = await fund(alice, 30_000n);
    const raw = spendWithWitness(coin, [payBob(29_000n)], () => [
      ecdsaSig(alice, sha256(Uint8Array.of(1)), 1),
      alice.pub,
    ]);
    expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe(
      'mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)',
    );
  });

  it('refuses a high-S signature as policy, not consensus', async () => {
    const coin = await fund(alice, 30_000n);
    const raw = spendWithWitness(coin, [payBob(29_000n)], (sighash) => [
      ecdsaSig(alice, sighash(p2wpkhScriptCode(alice), 1), 1, true),
      alice.pub,
    ]);
    expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe(
      'non-mandatory-script-verify-flag (Non-canonical signature: S value is unnecessarily high)',
    );
  });

  it('refuses an undefined sighash type as policy', async () => {
    const coin = await fund(alice, 30_000n);
    const raw = spendWithWitness(coin, [payBob(29_000n)], (sighash) => [
      ecdsaSig(alice, sighash(p2wpkhScriptCode(alice), 5), 5),
      alice.pub,
    ]);
    expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe(
      'non-mandatory-script-verify-flag (Signature hash type missing or not understood)',
    );
  });

  it.each([
    ['SINGLE|ANYONECANPAY', 0x83],
    ['NONE', 0x02],
    ['ALL|ANYONECANPAY', 0x81],
  ])(
    'accepts a BIP143 signature with SIGHASH_%s (hash computed by scure)',
    async (_name, hashType) => {
      const coin = await fund(alice, 30_000n);
      const raw = spendWithWitness(coin, [payBob(29_000n)], (sighash) => [
        ecdsaSig(alice, sighash(p2wpkhScriptCode(alice), hashType), hashType),
        alice.pub,
      ]);
      expect((await devnet.rpc.testMempoolAccept(raw)).allowed).toBe(true);
    },
  );

  it('executes other P2WSH scripts made of supported opcodes, within the witness limits', async () => {
    const secret80 = new Uint8Array(80).fill(7);
    const secret81 = new Uint8Array(81).fill(7);
    // <secret> OP_EQUAL, paid to P2WSH
    const hashLock = (s: Uint8Array): Uint8Array => Uint8Array.of(0x4c, s.length, ...s, 0x87);
    for (const [secret, expected] of [
      [secret80, null],
      [secret81, 'bad-witness-nonstandard'],
    ] as const) {
      const script = hashLock(secret);
      const wsh = Uint8Array.of(0x00, 0x20, ...sha256(script));
      const { txid, vout } = await devnetFaucet(devnet.rpc, scriptToAddress(wsh)!, 20_000n);
      const raw = spendWithWitness(
        { txid, vout, valueSat: 20_000n, script: wsh },
        [payBob(19_000n)],
        () => [secret, script],
      );
      if (expected === null) {
        expect(await devnet.rpc.sendRawTransaction(raw)).toMatch(/^[0-9a-f]{64}$/);
      } else {
        expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe(expected);
      }
    }
  });
});

describe('devnet standardness', () => {
  it('rejects a transaction heavier than 400 000 weight units (tx-size)', async () => {
    const coin = await fund(alice, 2_000_000n);
    const { script } = fundingOutput(alice, bob);
    const outputs = Array.from({ length: 2_400 }, () => ({ script, valueSat: 330n }));
    const raw = spendP2wpkh(alice, coin, outputs);
    expect(await reason(devnet.rpc.sendRawTransaction(raw))).toBe('tx-size');
  });

  it('uses 330 sat as the P2WSH dust threshold', async () => {
    const funding = fundingOutput(alice, bob);
    const coin = await fund(alice, 30_000n);
    const dusty = spendP2wpkh(alice, coin, [
      payBob(28_000n),
      { script: funding.script, valueSat: 329n },
    ]);
    expect(await reason(devnet.rpc.sendRawTransaction(dusty))).toBe('dust');
    const fine = spendP2wpkh(alice, coin, [
      payBob(28_000n),
      { script: funding.script, valueSat: 330n },
    ]);
    expect((await devnet.rpc.testMempoolAccept(fine)).allowed).toBe(true);
  });

  it('refuses a faucet payment below dust', async () => {
    expect(await reason(devnetFaucet(devnet.rpc, p2wpkhOf(bob).address, 100n))).toBe('dust');
  });
});

describe('devnet UTXO scan', () => {
  it('finds confirmed outputs by scriptPubKey, as scantxoutset does', async () => {
    const carol = keyFromSeed(24);
    const a = await fund(carol, 11_000n);
    const b = await fund(carol, 12_000n);
    const found = await devnet.rpc.scanUtxos([p2wpkhOf(carol).script]);
    expect(found.map((u) => [u.txid, u.vout, u.valueSat]).sort()).toEqual(
      [
        [a.txid, a.vout, 11_000n],
        [b.txid, b.vout, 12_000n],
      ].sort(),
    );
    expect(
      found.every(
        (u) => !u.coinbase && hex.encode(u.scriptPubKey) === hex.encode(p2wpkhOf(carol).script),
      ),
    ).toBe(true);
  });
});

describe('devnet chain file', () => {
  it('refuses to start from a chain file whose blocks no longer validate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-devnet-tamper-'));
    try {
      const first = await startDevnet({ dataDir: dir });
      const coin = await devnetFaucet(first.rpc, p2wpkhOf(alice).address, 10_000n);
      await first.stop();
      const file = join(dir, 'devnet-chain.json');
      const state = JSON.parse(readFileSync(file, 'utf8')) as { blocks: string[] };
      const last = state.blocks.length - 1;
      // Raise the faucet payment's value inside the stored block: its signature no longer holds.
      const oldValue = '1027000000000000';
      expect(state.blocks[last]).toContain(oldValue);
      state.blocks[last] = state.blocks[last]!.replace(oldValue, '2027000000000000');
      writeFileSync(file, JSON.stringify(state));
      await expect(startDevnet({ dataDir: dir })).rejects.toBeInstanceOf(DevnetStateError);
      expect(coin.txid).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mines on its own every autoMineSec', async () => {
    const auto = await startDevnet({ autoMineSec: 0.02 });
    try {
      let height = 0;
      while (height < 2) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        height = await auto.rpc.getBlockCount();
      }
      expect(height).toBeGreaterThanOrEqual(2);
    } finally {
      await auto.stop();
    }
  });
});
