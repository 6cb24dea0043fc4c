/**
 * ECDSA adaptor signature micro-benchmark: the per-operation cost of src/crypto/ecdsa-adaptor.ts,
 * next to the cost of one variable-base secp256k1 point multiplication measured in the same run
 * with the same library (@noble/curves), and with native libsecp256k1 (`secp256k1` addon,
 * `publicKeyTweakMul`) as the later performance target. Per-contract figures go in other modules.
 */
import { createRequire } from 'node:module';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type * as NativeSecp256k1 from 'secp256k1';
import {
  adaptorDecrypt,
  adaptorEncrypt,
  adaptorRecover,
  adaptorVerify,
} from '../../src/crypto/ecdsa-adaptor.ts';
import { measure, printMeasurements, type Bench, type Measurement } from './harness.ts';

const POOL = 16;
const N = secp256k1.Point.Fn.ORDER;

/** Deterministic, distinct test scalars in [1, n). */
function scalar(label: string, i: number): bigint {
  return (
    (BigInt('0x' + Buffer.from(sha256(Buffer.from(`${label}/${i}`))).toString('hex')) % (N - 1n)) +
    1n
  );
}
const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);

/** The native addon itself (the package silently falls back to elliptic.js when it is not built). */
function loadNative(): typeof NativeSecp256k1 | string {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings.js') as typeof NativeSecp256k1;
  } catch (e) {
    return `native secp256k1 addon not built (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); try: npm rebuild secp256k1`;
  }
}

function run(): void {
  const G = secp256k1.Point.BASE;
  const signer = Array.from({ length: POOL }, (_, i) => be32(scalar('signer', i)));
  const deckeys = Array.from({ length: POOL }, (_, i) => be32(scalar('deckey', i)));
  const enckeys = deckeys.map((y) => secp256k1.getPublicKey(y, true));
  const msgs = Array.from({ length: POOL }, (_, i) => sha256(Buffer.from(`cet sighash ${i}`)));
  const pubkeys = signer.map((x) => secp256k1.getPublicKey(x, true));
  const points = Array.from({ length: POOL }, (_, i) => G.multiply(scalar('point', i)));
  const scalars = Array.from({ length: POOL }, (_, i) => scalar('tweak', i));
  const sigs = signer.map((x, i) => adaptorEncrypt(x, enckeys[i]!, msgs[i]!));
  const decrypted = sigs.map((a, i) => adaptorDecrypt(a, deckeys[i]!));
  let i = 0;
  const next = (): number => (i = (i + 1) % POOL);

  const mulNoble = measure('noble P·k', () => points[next()]!.multiply(scalars[i]!));
  const rows: Measurement[] = [
    mulNoble,
    measure('noble P·k (multiplyUnsafe, public k)', () =>
      points[next()]!.multiplyUnsafe(scalars[i]!),
    ),
    measure('noble point decompression (fromBytes)', () =>
      secp256k1.Point.fromBytes(enckeys[next()]!),
    ),
  ];
  const notes: string[] = [];
  const native = loadNative();
  if (typeof native === 'string') {
    notes.push(native);
  } else {
    const tweaks = scalars.map(be32);
    const nativeMul = measure('native publicKeyTweakMul (33-byte in/out)', () =>
      native.publicKeyTweakMul(enckeys[next()]!, tweaks[i]!, true),
    );
    rows.push(nativeMul);
    notes.push(
      `native libsecp256k1 P·k is ${(mulNoble.cpuUsPerOp / nativeMul.cpuUsPerOp).toFixed(1)}× faster than noble P·k (CPU time)`,
    );
  }
  const aux = new Uint8Array(32).fill(7);
  rows.push(
    measure('adaptorEncrypt', () => adaptorEncrypt(signer[next()]!, enckeys[i]!, msgs[i]!, aux)),
    measure('adaptorVerify', () => {
      if (!adaptorVerify(sigs[next()]!, pubkeys[i]!, enckeys[i]!, msgs[i]!))
        throw new Error('verify failed');
    }),
    measure('adaptorDecrypt', () => adaptorDecrypt(sigs[next()]!, deckeys[i]!)),
    measure('adaptorRecover', () => adaptorRecover(sigs[next()]!, decrypted[i]!, enckeys[i]!)),
  );
  printMeasurements(
    'ECDSA adaptor signatures, per operation (@noble/curves backend)',
    rows,
    mulNoble,
    notes,
  );
}

export const bench: Bench = {
  description:
    'ECDSA adaptor encrypt/verify/decrypt/recover vs one variable-base point multiplication',
  run,
};
