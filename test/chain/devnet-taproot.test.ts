/**
 * Devnet validation of taproot key-path spends (BIP341 sighash, BIP340 signature), as Bitcoin
 * Core does, with transactions built and signed by @scure/btc-signer's own taproot code: a valid
 * spend (SIGHASH_DEFAULT and ALL|ANYONECANPAY) is accepted and mined; a bad signature, a 65-byte
 * signature with hash type 0 and a script-path spend are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p2tr, SigHash, Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devnetFaucet, REGTEST_NETWORK, startDevnet } from '../../src/chain/devnet/index.ts';
import type { Devnet } from '../../src/chain/devnet/index.ts';
import { RpcRejectedError } from '../../src/chain/errors.ts';
import { keyFromSeed, p2wpkhOf } from './tx-builders.ts';

const alice = keyFromSeed(41);
const bob = keyFromSeed(42);

let dataDir: string;
let devnet: Devnet;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'verdict-devnet-taproot-'));
  devnet = await startDevnet({ dataDir });
});

afterAll(async () => {
  await devnet.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const tr = p2tr(alice.pub.subarray(1), undefined, REGTEST_NETWORK);

async function spend(sighashType?: number): Promise<Transaction> {
  const valueSat = 50_000n;
  const { txid, vout } = await devnetFaucet(devnet.rpc, tr.address, valueSat);
  const tx = new Transaction({ allowUnknownOutputs: true });
  tx.addInput({
    txid,
    index: vout,
    witnessUtxo: { script: tr.script, amount: valueSat },
    tapInternalKey: alice.pub.subarray(1),
    ...(sighashType === undefined ? {} : { sighashType }),
  });
  tx.addOutput({ script: p2wpkhOf(bob).script, amount: valueSat - 1_000n });
  if (sighashType === undefined) tx.sign(alice.priv);
  else tx.sign(alice.priv, [sighashType]);
  tx.finalize();
  return tx;
}

function withWitness(tx: Transaction, witness: Uint8Array[]): Uint8Array {
  const copy = tx.clone();
  copy.updateInput(0, { finalScriptWitness: witness }, true);
  return copy.extract();
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcRejectedError);
  return (error as RpcRejectedError).reason;
}

describe('devnet taproot key-path spends', () => {
  it('accepts and mines a key-path spend (SIGHASH_DEFAULT, 64-byte signature)', async () => {
    const tx = await spend();
    expect(tx.getInput(0).finalScriptWitness![0]).toHaveLength(64);
    const txid = await devnet.rpc.sendRawTransaction(tx.extract());
    expect(txid).toBe(tx.id);
    await devnet.rpc.generateToAddress(1, p2wpkhOf(keyFromSeed(43)).address);
    expect(await devnet.rpc.getRawTransaction(txid)).toEqual(tx.extract());
  });

  it('accepts SIGHASH_ALL|ANYONECANPAY (65-byte signature)', async () => {
    const tx = await spend(SigHash.ALL_ANYONECANPAY);
    expect(tx.getInput(0).finalScriptWitness![0]).toHaveLength(65);
    expect(await devnet.rpc.sendRawTransaction(tx.extract())).toBe(tx.id);
  });

  it('refuses a bad signature, hash type 0 spelled out, and a script-path spend', async () => {
    const tx = await spend();
    const sig = tx.getInput(0).finalScriptWitness![0]!;
    const flipped = Uint8Array.from(sig);
    flipped[10] = flipped[10]! ^ 1;
    expect(await reason(devnet.rpc.sendRawTransaction(withWitness(tx, [flipped])))).toBe(
      'mandatory-script-verify-flag-failed (Invalid Schnorr signature)',
    );
    expect(
      await reason(devnet.rpc.sendRawTransaction(withWitness(tx, [Uint8Array.of(...sig, 0)]))),
    ).toBe('mandatory-script-verify-flag-failed (Invalid Schnorr signature hash type)');
    expect(
      await reason(devnet.rpc.sendRawTransaction(withWitness(tx, [sig.subarray(0, 63)]))),
    ).toBe('mandatory-script-verify-flag-failed (Invalid Schnorr signature size)');
    expect(
      await reason(
        devnet.rpc.sendRawTransaction(withWitness(tx, [Uint8Array.of(0x51), Uint8Array.of(0xc0)])),
      ),
    ).toBe('bad-txns-nonstandard-inputs');
    // The untouched spend is valid.
    expect(await devnet.rpc.sendRawTransaction(tx.extract())).toBe(tx.id);
  });
});
