import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { bip340Sign, bip340Verify, xOnlyPublicKey } from '../../src/crypto/bip340.ts';
import { signWithExplicitNonce } from '../../src/crypto/nonces.ts';
import { encodePoint, mulBase, bytesToBigInt, decodePoint, liftX } from '../../src/crypto/secp.ts';
import { bip340Challenge } from '../../src/crypto/bip340.ts';
import { loadVectorEntries, ownVectorsDir } from '../helpers/vectors.ts';

interface Bip340Row {
  index: number;
  secretKey: string;
  publicKey: string;
  auxRand: string;
  message: string;
  signature: string;
  result: boolean;
  comment: string;
}

function loadBip340Rows(): Bip340Row[] {
  const text = readFileSync(join(ownVectorsDir, 'bip340', 'test-vectors.csv'), 'utf8');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  expect(header).toBe(
    'index,secret key,public key,aux_rand,message,signature,verification result,comment',
  );
  return lines.map((line) => {
    const cols = line.split(',');
    const col = (i: number): string => cols[i] ?? '';
    return {
      index: Number(col(0)),
      secretKey: col(1).toLowerCase(),
      publicKey: col(2).toLowerCase(),
      auxRand: col(3).toLowerCase(),
      message: col(4).toLowerCase(),
      signature: col(5).toLowerCase(),
      result: col(6) === 'TRUE',
      comment: cols.slice(7).join(','),
    };
  });
}

const rows = loadBip340Rows();

describe('BIP340 official vectors (bitcoin/bips bip-0340/test-vectors.csv)', () => {
  it('has every row', () => {
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: rows.length }, (_, i) => i));
    expect(rows.length).toBeGreaterThanOrEqual(15);
  });

  it.each(
    rows.map((r) => [`#${r.index} ${r.result ? 'valid' : 'invalid'} ${r.comment}`, r] as const),
  )('%s', (_name, row) => {
    const message = hexToBytes(row.message);
    if (row.secretKey !== '') {
      const sk = hexToBytes(row.secretKey);
      expect(bytesToHex(xOnlyPublicKey(sk))).toBe(row.publicKey);
      expect(bytesToHex(bip340Sign(message, sk, hexToBytes(row.auxRand)))).toBe(row.signature);
    }
    expect(bip340Verify(hexToBytes(row.signature), message, hexToBytes(row.publicKey))).toBe(
      row.result,
    );
  });
});

interface SchnorrVector {
  inputs: { privKey: string; privNonce: string; msgHash: string };
  pubKey: string;
  pubNonce: string;
  signature: string;
  sigPoint: string;
}

// Every dlc_schnorr_test*.json file.
const schnorrVectors = loadVectorEntries<SchnorrVector>('schnorr');

describe('dlcspecs dlc_schnorr_test.json (explicit nonce, signature point from public data)', () => {
  it.each(schnorrVectors.map((x) => [x.name, x.entry] as const))('%s', (_name, v) => {
    const sk = hexToBytes(v.inputs.privKey);
    const msg = hexToBytes(v.inputs.msgHash);
    expect(bytesToHex(xOnlyPublicKey(sk))).toBe(v.pubKey);
    const sig = signWithExplicitNonce(msg, sk, hexToBytes(v.inputs.privNonce));
    expect(bytesToHex(sig)).toBe(v.signature);
    expect(bip340Verify(sig, msg, hexToBytes(v.pubKey))).toBe(true);
    // s·G from the signature …
    expect(bytesToHex(encodePoint(mulBase(bytesToBigInt(sig.subarray(32)))))).toBe(v.sigPoint);
    // … equals lift_x(R) + e·lift_x(P) computed from public data only.
    const R = liftX(hexToBytes(v.pubNonce));
    const P = liftX(hexToBytes(v.pubKey));
    const e = bip340Challenge(hexToBytes(v.pubNonce), hexToBytes(v.pubKey), msg);
    expect(bytesToHex(encodePoint(R.add(P.multiply(e))))).toBe(v.sigPoint);
    expect(decodePoint(hexToBytes(v.sigPoint)).equals(R.add(P.multiply(e)))).toBe(true);
  });
});
