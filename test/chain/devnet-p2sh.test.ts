/**
 * Devnet spends of P2SH-wrapped segwit outputs (BIP16 + BIP141 nested P2WPKH and P2WSH), as
 * Bitcoin Core validates them: the scriptSig is exactly one push of the redeem script, whose
 * HASH160 is the output's, then the witness program rules. Transactions are built and signed
 * with @scure/btc-signer's own PSBT code; a wrong redeem script, extra scriptSig data and a bad
 * signature are refused with Core's reasons.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex } from '@scure/base';
import { p2ms, p2sh, p2wpkh, p2wsh, Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devnetFaucet, REGTEST_NETWORK, startDevnet } from '../../src/chain/devnet/index.ts';
import type { Devnet } from '../../src/chain/devnet/index.ts';
import { RpcRejectedError } from '../../src/chain/errors.ts';
import { keyFromSeed, p2wpkhOf, type Key } from './tx-builders.ts';

const alice = keyFromSeed(31);
const bob = keyFromSeed(32);

let dataDir: string;
let devnet: Devnet;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'verdict-devnet-p2sh-'));
  devnet = await startDevnet({ dataDir });
});

afterAll(async () => {
  await devnet.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Wrapped {
  script: Uint8Array;
  address: string;
  redeemScript: Uint8Array;
  witnessScript?: Uint8Array;
}

const nestedP2wpkh = (key: Key): Wrapped => {
  const p = p2sh(p2wpkh(key.pub, REGTEST_NETWORK), REGTEST_NETWORK);
  return { script: p.script, address: p.address, redeemScript: p.redeemScript };
};

const nestedP2wsh = (key: Key): Wrapped => {
  const p = p2sh(p2wsh(p2ms(1, [key.pub]), REGTEST_NETWORK), REGTEST_NETWORK);
  return {
    script: p.script,
    address: p.address,
    redeemScript: p.redeemScript,
    witnessScript: p.witnessScript,
  };
};

/** Funds `w` and spends it to bob with scure's signer and finalizer (scriptSig, witness). */
async function nestedSpend(w: Wrapped, signer: Key): Promise<Transaction> {
  const valueSat = 50_000n;
  const { txid, vout } = await devnetFaucet(devnet.rpc, w.address, valueSat);
  const tx = new Transaction({ allowUnknownOutputs: true });
  tx.addInput({
    txid,
    index: vout,
    witnessUtxo: { script: w.script, amount: valueSat },
    redeemScript: w.redeemScript,
    ...(w.witnessScript === undefined ? {} : { witnessScript: w.witnessScript }),
  });
  tx.addOutput({ script: p2wpkhOf(bob).script, amount: valueSat - 1_000n });
  tx.sign(signer.priv);
  tx.finalize();
  return tx;
}

/** The transaction with input 0's scriptSig replaced (segwit sighashes do not commit to it). */
function withScriptSig(tx: Transaction, scriptSig: Uint8Array): Uint8Array {
  const copy = tx.clone();
  copy.updateInput(0, { finalScriptSig: scriptSig }, true);
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

describe('devnet P2SH-wrapped segwit spends', () => {
  it('accepts and mines a P2SH-P2WPKH spend: scriptSig is the redeem script push', async () => {
    const w = nestedP2wpkh(alice);
    const tx = await nestedSpend(w, alice);
    expect(hex.encode(tx.getInput(0).finalScriptSig!)).toBe('16' + hex.encode(w.redeemScript));
    const txid = await devnet.rpc.sendRawTransaction(tx.extract());
    expect(txid).toBe(tx.id);
    await devnet.rpc.generateToAddress(1, p2wpkhOf(keyFromSeed(33)).address);
    const raw = await devnet.rpc.getRawTransaction(txid);
    expect(hex.encode(raw)).toBe(hex.encode(tx.extract()));
  });

  it('accepts a P2SH-P2WSH (1-of-1 CHECKMULTISIG) spend', async () => {
    const tx = await nestedSpend(nestedP2wsh(alice), alice);
    expect(await devnet.rpc.sendRawTransaction(tx.extract())).toBe(tx.id);
  });

  it('refuses a redeem script that does not hash to the output', async () => {
    const tx = await nestedSpend(nestedP2wpkh(alice), alice);
    const other = nestedP2wpkh(bob).redeemScript;
    expect(
      await reason(devnet.rpc.sendRawTransaction(withScriptSig(tx, Uint8Array.of(22, ...other)))),
    ).toBe(
      'mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)',
    );
  });

  it('refuses extra data in the scriptSig before the redeem script push', async () => {
    const w = nestedP2wpkh(alice);
    const tx = await nestedSpend(w, alice);
    expect(
      await reason(
        devnet.rpc.sendRawTransaction(
          withScriptSig(tx, Uint8Array.of(0x00, 22, ...w.redeemScript)),
        ),
      ),
    ).toBe('mandatory-script-verify-flag-failed (Witness requires only-redeemscript scriptSig)');
  });

  it('refuses a P2SH-P2WPKH spend signed by another key, and a P2SH spend with no scriptSig', async () => {
    const w = nestedP2wpkh(alice);
    // bob signs alice's input: scure signs with bob's key, the witness carries bob's pubkey.
    const valueSat = 40_000n;
    const { txid, vout } = await devnetFaucet(devnet.rpc, w.address, valueSat);
    const tx = new Transaction({ allowUnknownOutputs: true });
    tx.addInput({
      txid,
      index: vout,
      witnessUtxo: { script: w.script, amount: valueSat },
      redeemScript: w.redeemScript,
    });
    tx.addOutput({ script: p2wpkhOf(bob).script, amount: valueSat - 1_000n });
    const good = tx.clone();
    good.sign(alice.priv);
    good.finalize();
    const witness = good.getInput(0).finalScriptWitness!;
    // A signature of alice over another transaction (other output amount).
    const other = new Transaction({ allowUnknownOutputs: true });
    other.addInput({
      txid,
      index: vout,
      witnessUtxo: { script: w.script, amount: valueSat },
      redeemScript: w.redeemScript,
    });
    other.addOutput({ script: p2wpkhOf(bob).script, amount: valueSat - 2_000n });
    other.sign(alice.priv);
    other.finalize();
    const bad = good.clone();
    bad.updateInput(
      0,
      { finalScriptWitness: [other.getInput(0).finalScriptWitness![0]!, witness[1]!] },
      true,
    );
    expect(await reason(devnet.rpc.sendRawTransaction(bad.extract()))).toBe(
      'mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)',
    );
    expect(
      await reason(devnet.rpc.sendRawTransaction(withScriptSig(good, new Uint8Array(0)))),
    ).toBe('bad-txns-nonstandard-inputs');
    // The untouched spend is valid.
    expect(await devnet.rpc.sendRawTransaction(good.extract())).toBe(good.id);
  });
});
