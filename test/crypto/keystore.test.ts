import { describe, expect, it } from 'vitest';
import {
  CorruptKeystoreError,
  InvalidMnemonicError,
  WrongPassphraseError,
} from '../../src/crypto/errors.ts';
import {
  changeKeystorePassphrase,
  DEFAULT_SCRYPT_N,
  openKeystore,
  sealMnemonic,
} from '../../src/crypto/keystore.ts';
import type { KeystoreFile } from '../../src/crypto/keystore.ts';
import { generateOracleMnemonic, oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import { encodeAnnouncement } from '../../src/dlc/oracle-codec.ts';

const N = 2 ** 10; // small scrypt cost keeps the tests fast
const mnemonic = generateOracleMnemonic();
const sealed = sealMnemonic(mnemonic, 'correct horse', { scryptN: N });

/** A JSON round trip, as the file adapter does. */
const viaJson = (k: unknown): unknown => JSON.parse(JSON.stringify(k));

function flipHexChar(hex: string, at: number): string {
  const c = hex[at] === '0' ? '1' : '0';
  return hex.slice(0, at) + c + hex.slice(at + 1);
}

describe('keystore', () => {
  it('seals and opens (through JSON)', () => {
    expect(sealed.version).toBe(1);
    expect(sealed.kdf).toMatchObject({ name: 'scrypt', N, r: 8, p: 1 });
    expect(JSON.stringify(sealed)).not.toContain(mnemonic.split(' ')[0] + ' ');
    expect(openKeystore(viaJson(sealed), 'correct horse')).toBe(mnemonic);
  });

  it('works at the default scrypt cost (N = 2^15)', () => {
    const file = sealMnemonic(mnemonic, 'p');
    expect(file.kdf.N).toBe(DEFAULT_SCRYPT_N);
    expect(DEFAULT_SCRYPT_N).toBe(2 ** 15);
    expect(openKeystore(file, 'p')).toBe(mnemonic);
  });

  it('uses a fresh salt and IV each time', () => {
    const again = sealMnemonic(mnemonic, 'correct horse', { scryptN: N });
    expect(again.kdf.salt).not.toBe(sealed.kdf.salt);
    expect(again.iv).not.toBe(sealed.iv);
  });

  it('a wrong passphrase is WrongPassphraseError', () => {
    expect(() => openKeystore(sealed, 'wrong horse')).toThrow(WrongPassphraseError);
  });

  it('refuses to seal an invalid mnemonic', () => {
    expect(() => sealMnemonic('abandon abandon', 'x', { scryptN: N })).toThrow(
      InvalidMnemonicError,
    );
  });

  const corruptions: [string, unknown][] = [
    ['not an object', 'hello'],
    ['null', null],
    ['empty object', {}],
    ['wrong version', { ...sealed, version: 2 }],
    ['unknown cipher', { ...sealed, cipher: 'aes-128-cbc' }],
    ['extra field', { ...sealed, extra: 1 }],
    ['salt not hex', { ...sealed, kdf: { ...sealed.kdf, salt: 'zz' } }],
    ['N not a power of two', { ...sealed, kdf: { ...sealed.kdf, N: 1000 } }],
    ['N absurdly large', { ...sealed, kdf: { ...sealed.kdf, N: 2 ** 30 } }],
    ['iv truncated', { ...sealed, iv: sealed.iv.slice(2) }],
    ['tag truncated', { ...sealed, tag: sealed.tag.slice(2) }],
    ['ciphertext empty', { ...sealed, ciphertext: '' }],
    ['ciphertext bit flipped', { ...sealed, ciphertext: flipHexChar(sealed.ciphertext, 5) }],
    ['tag bit flipped', { ...sealed, tag: flipHexChar(sealed.tag, 0) }],
    ['iv bit flipped', { ...sealed, iv: flipHexChar(sealed.iv, 3) }],
  ];

  it.each(corruptions)('a corrupted file (%s) is CorruptKeystoreError', (_name, file) => {
    expect(() => openKeystore(file, 'correct horse')).toThrow(CorruptKeystoreError);
  });

  it('altered KDF parameters read as a wrong passphrase, never a crash', () => {
    const altered: KeystoreFile = {
      ...sealed,
      kdf: { ...sealed.kdf, salt: flipHexChar(sealed.kdf.salt, 0) },
    };
    expect(() => openKeystore(altered, 'correct horse')).toThrow(WrongPassphraseError);
  });

  it('changes the passphrase', () => {
    const changed = changeKeystorePassphrase(viaJson(sealed), 'correct horse', 'battery staple');
    expect(changed.kdf.N).toBe(N);
    expect(openKeystore(changed, 'battery staple')).toBe(mnemonic);
    expect(() => openKeystore(changed, 'correct horse')).toThrow(WrongPassphraseError);
    expect(() => changeKeystorePassphrase(sealed, 'nope', 'x')).toThrow(WrongPassphraseError);
  });

  it('restore from the mnemonic gives the same key and the same announcements', () => {
    const params = {
      eventId: 'verdict/c1/0/0123456789abcdef',
      maturityEpochSec: 1767225600,
      descriptor: { kind: 'enum', outcomes: ['accepted', 'rejected'] },
    } as const;
    const original = oracleKeysFromMnemonic(mnemonic);
    const restored = oracleKeysFromMnemonic(
      openKeystore(sealMnemonic(mnemonic, 'new', { scryptN: N }), 'new'),
    );
    expect(restored.publicKey).toEqual(original.publicKey);
    expect(encodeAnnouncement(createAnnouncement(restored, params))).toEqual(
      encodeAnnouncement(createAnnouncement(original, params)),
    );
  });
});
