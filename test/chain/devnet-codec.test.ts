/** devnet's transaction codec and BIP143 hash against @scure/btc-signer, on random transactions. */
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hex } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { describe, expect, it } from 'vitest';
import { merkleRoot } from '../../src/chain/devnet/block.ts';
import { classifyOutput, dustThresholdSat } from '../../src/chain/devnet/policy.ts';
import { sighashWitnessV0 } from '../../src/chain/devnet/sighash.ts';
import { decodeTx } from '../../src/chain/devnet/tx-codec.ts';
import {
  isValidSignatureEncoding,
  MANDATORY_FLAGS,
  STANDARD_FLAGS,
  verifyWitnessV0Input,
} from '../../src/chain/devnet/script-interpreter.ts';

const arbTx = fc.record({
  version: fc.constantFrom(1, 2),
  lockTime: fc.integer({ min: 0, max: 0xffffffff }),
  inputs: fc.array(
    fc.record({
      txid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      index: fc.integer({ min: 0, max: 1000 }),
      sequence: fc.integer({ min: 0, max: 0xffffffff }),
      witness: fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  outputs: fc.array(
    fc.record({
      amount: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
      script: fc.uint8Array({ minLength: 1, maxLength: 60 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

type TxShape = typeof arbTx extends fc.Arbitrary<infer T> ? T : never;

function build(t: TxShape): Transaction {
  const tx = new Transaction({
    version: t.version,
    lockTime: t.lockTime,
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
  });
  for (const i of t.inputs) {
    tx.addInput(
      { txid: i.txid, index: i.index, sequence: i.sequence, finalScriptWitness: i.witness },
      true,
    );
  }
  for (const o of t.outputs) tx.addOutput({ script: o.script, amount: o.amount }, true);
  return tx;
}

describe('devnet codec', () => {
  it('decodes what scure encodes, with the same txid, weight and bytes', () => {
    fc.assert(
      fc.property(arbTx, (t) => {
        const tx = build(t);
        const parsed = decodeTx(tx.toBytes(true, true));
        expect(parsed.txid).toBe(tx.id);
        expect(parsed.weight).toBe(tx.weight);
        expect(hex.encode(parsed.raw)).toBe(hex.encode(tx.toBytes(true, true)));
      }),
      { numRuns: 200 },
    );
  });

  it('computes the BIP143 hash scure computes, for every sighash type', () => {
    fc.assert(
      fc.property(
        arbTx,
        fc.nat(),
        fc.constantFrom(0x01, 0x02, 0x03, 0x81, 0x82, 0x83),
        fc.uint8Array({ maxLength: 80 }),
        fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
        (t, idx, hashType, scriptCode, amount) => {
          const tx = build(t);
          const i = idx % t.inputs.length;
          const ours = sighashWitnessV0(
            decodeTx(tx.toBytes(true, true)),
            i,
            scriptCode,
            amount,
            hashType,
          );
          expect(hex.encode(ours)).toBe(
            hex.encode(tx.preimageWitnessV0(i, scriptCode, hashType, amount)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses trailing bytes and truncated transactions', () => {
    const raw = build({
      version: 2,
      lockTime: 0,
      inputs: [
        { txid: new Uint8Array(32).fill(1), index: 0, sequence: 0, witness: [Uint8Array.of(1)] },
      ],
      outputs: [{ amount: 1n, script: Uint8Array.of(0x51) }],
    }).toBytes(true, true);
    expect(() => decodeTx(Uint8Array.of(...raw, 0))).toThrow(/trailing/);
    expect(() => decodeTx(raw.subarray(0, raw.length - 1))).toThrow(/end of data/);
  });

  it('computes merkle roots as Core (odd levels pair the last hash with itself)', () => {
    const a = 'aa'.repeat(32);
    expect(merkleRoot([a])).toBe(a);
    expect(merkleRoot([a, 'bb'.repeat(32), 'cc'.repeat(32)])).toBe(
      merkleRoot([a, 'bb'.repeat(32), 'cc'.repeat(32), 'cc'.repeat(32)]),
    );
  });
});

describe('script interpreter edges', () => {
  const noSighash = (): Uint8Array => new Uint8Array(32);

  it('checks BIP66 strict DER', () => {
    const key = new Uint8Array(32).fill(5);
    const good = Uint8Array.of(
      ...secp256k1.sign(new Uint8Array(32).fill(9), key, { prehash: false, format: 'der' }),
      0x01,
    );
    expect(isValidSignatureEncoding(good)).toBe(true);
    // A needlessly padded R (leading 0x00 before a byte < 0x80) is not strict DER.
    const padded = Uint8Array.of(0x30, 0x45, 0x02, 0x21, 0x00, ...good.subarray(4, -1), 0x01);
    padded[1] = padded.length - 3;
    expect(isValidSignatureEncoding(padded)).toBe(false);
    expect(isValidSignatureEncoding(good.subarray(0, 8))).toBe(false);
  });

  it('fails P2WSH inputs whose script does not hash to the program, or with no witness', () => {
    const program = new Uint8Array(32);
    expect(
      verifyWitnessV0Input(
        new Uint8Array(0),
        program,
        [Uint8Array.of(0x51)],
        STANDARD_FLAGS,
        noSighash,
      ),
    ).toBe('WITNESS_PROGRAM_MISMATCH');
    expect(verifyWitnessV0Input(new Uint8Array(0), program, [], STANDARD_FLAGS, noSighash)).toBe(
      'WITNESS_PROGRAM_WITNESS_EMPTY',
    );
    expect(verifyWitnessV0Input(Uint8Array.of(0x51), program, [], MANDATORY_FLAGS, noSighash)).toBe(
      'WITNESS_MALLEATED',
    );
  });
});

describe('output classification and dust', () => {
  const key = secp256k1.getPublicKey(new Uint8Array(32).fill(3), true);
  it.each([
    ['0014' + '11'.repeat(20), 'witness_v0_keyhash', 294n],
    ['0020' + '11'.repeat(32), 'witness_v0_scripthash', 330n],
    ['5120' + '11'.repeat(32), 'witness_v1_taproot', 330n],
    ['76a914' + '11'.repeat(20) + '88ac', 'pubkeyhash', 546n],
    ['a914' + '11'.repeat(20) + '87', 'scripthash', 540n],
    ['6a0401020304', 'nulldata', 0n],
    ['5121' + hex.encode(key) + '51ae', 'multisig', 0n],
    ['5221' + hex.encode(key) + '51ae', 'nonstandard', 0n],
    ['51' + '00'.repeat(40) + 'ae', 'nonstandard', 0n],
    ['51', 'nonstandard', 0n],
  ])('%s is %s', (scriptHex, type, dust) => {
    const script = hex.decode(scriptHex);
    expect(classifyOutput(script)).toBe(type);
    if (dust > 0n) expect(dustThresholdSat({ valueSat: 0n, scriptPubKey: script })).toBe(dust);
  });
});
