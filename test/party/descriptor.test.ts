/**
 * BIP380 descriptor checksums on the BIP's own test vectors (bitcoin/bips bip-0380.mediawiki,
 * "Test Vectors"), and the wallet's BIP84 descriptors against BIP84's published account key.
 */
import { describe, expect, it } from 'vitest';
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import {
  bip84Descriptors,
  descriptorChecksum,
  verifyDescriptorChecksum,
  withChecksum,
} from '../../src/party/descriptor.ts';

describe('BIP380 checksum vectors', () => {
  it('computes the checksum of raw(deadbeef)', () => {
    expect(descriptorChecksum('raw(deadbeef)')).toBe('89f8spxm');
    expect(withChecksum('raw(deadbeef)')).toBe('raw(deadbeef)#89f8spxm');
  });

  it.each([
    ['Valid checksum', 'raw(deadbeef)#89f8spxm'],
    ['No checksum (optional in BIP380)', 'raw(deadbeef)'],
  ])('valid: %s', (_name, text) => {
    expect(verifyDescriptorChecksum(text, false)).toBe(true);
  });

  it('a missing checksum fails where one is required', () => {
    expect(verifyDescriptorChecksum('raw(deadbeef)', true)).toBe(false);
  });

  it.each([
    ['Missing checksum', 'raw(deadbeef)#'],
    ['Too long checksum (9 chars)', 'raw(deadbeef)#89f8spxmx'],
    ['Too short checksum (7 chars)', 'raw(deadbeef)#89f8spx'],
    ['Error in payload', 'raw(deedbeef)#89f8spxm'],
    ['Error in checksum', 'raw(deedbeef)##9f8spxm'],
    ['Invalid characters in payload', 'raw(Ü)#00000000'],
  ])('invalid: %s', (_name, text) => {
    expect(verifyDescriptorChecksum(text, false)).toBe(false);
    expect(verifyDescriptorChecksum(text, true)).toBe(false);
  });

  it('refuses to add a checksum to a descriptor with a character outside the charset', () => {
    expect(() => withChecksum('raw(Ü)')).toThrow(RangeError);
  });
});

describe('BIP84 descriptors', () => {
  // BIP84 "Test vectors": mnemonic, account 0 key as zpub (m/84'/0'/0').
  const MNEMONIC =
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
  const BIP84_ACCOUNT_ZPUB =
    'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';

  it('writes the account xpub BIP84 publishes (as xpub), with the master fingerprint', () => {
    const b58 = createBase58check(sha256);
    const payload = b58.decode(BIP84_ACCOUNT_ZPUB);
    payload.set([0x04, 0x88, 0xb2, 0x1e], 0); // zpub → xpub version bytes, same key
    const xpub = b58.encode(payload);
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
    const account = root.derive("m/84'/0'/0'");
    expect(account.publicExtendedKey).toBe(xpub);
    const d = bip84Descriptors({
      masterFingerprint: root.fingerprint,
      coinType: 0,
      accountXpub: account.publicExtendedKey,
    });
    expect(d.receive).toBe(withChecksum(`wpkh([73c5da0a/84'/0'/0']${xpub}/0/*)`));
    expect(d.change).toBe(withChecksum(`wpkh([73c5da0a/84'/0'/0']${xpub}/1/*)`));
    expect(verifyDescriptorChecksum(d.receive)).toBe(true);
  });
});
