import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { attestationMessage, sha256Bytes, taggedHash, utf8Nfc } from '../../src/crypto/hash.ts';
import { loadVectorEntries } from '../helpers/vectors.ts';

interface HashVector {
  Description: string;
  Variants: string[];
  Expected: string;
  SHA256: string;
}

// Every dlc_hash_test*.json file (vectors README: dlcspecs/test/dlc_hash_test.json).
const vectors = loadVectorEntries<HashVector>('nfc-hash');

describe('dlcspecs dlc_hash_test.json (NFC before hashing)', () => {
  it.each(vectors.map((x) => [`${x.name} ${x.entry.Description}`, x.entry] as const))(
    '%s',
    (_d, v) => {
      for (const variant of v.Variants) {
        expect(bytesToHex(utf8Nfc(variant))).toBe(v.Expected);
        expect(bytesToHex(attestationMessage(variant, 'sha256'))).toBe(v.SHA256);
      }
      expect(bytesToHex(sha256Bytes(hexToBytes(v.Expected)))).toBe(v.SHA256);
    },
  );
});

describe('taggedHash', () => {
  it('is SHA256(SHA256(tag) ‖ SHA256(tag) ‖ m)', () => {
    const tag = sha256Bytes(new TextEncoder().encode('DLC/oracle/attestation/v0'));
    const m = new TextEncoder().encode('accepted');
    const expected = sha256Bytes(new Uint8Array([...tag, ...tag, ...m]));
    expect(taggedHash('DLC/oracle/attestation/v0', m)).toEqual(expected);
    expect(attestationMessage('accepted', 'tagged')).toEqual(expected);
  });
});
