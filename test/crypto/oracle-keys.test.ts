import { inspect } from 'node:util';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { InvalidMnemonicError } from '../../src/crypto/errors.ts';
import { deriveNonceSecret, publicNonce } from '../../src/crypto/nonces.ts';
import {
  ATTESTATION_KEY_PATH,
  eventNonces,
  generateOracleMnemonic,
  NONCE_KEY_PATH,
  oracleKeysFromMnemonic,
} from '../../src/crypto/oracle-keys.ts';
import { CURVE_ORDER, mulBase, bytesToBigInt, encodeXOnly } from '../../src/crypto/secp.ts';

// The BIP39 "abandon … art" 24-word test mnemonic (all-zero entropy).
const ZERO_MNEMONIC = `${'abandon '.repeat(23)}art`;

describe('oracle keys', () => {
  it('generates 24-word mnemonics', () => {
    expect(generateOracleMnemonic().split(' ')).toHaveLength(24);
  });

  it('derives the attestation key at ATTESTATION_KEY_PATH', () => {
    const keys = oracleKeysFromMnemonic(ZERO_MNEMONIC);
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(ZERO_MNEMONIC));
    const sk = root.derive(ATTESTATION_KEY_PATH).privateKey;
    if (sk === null) throw new Error('no key');
    expect(bytesToHex(keys.publicKey)).toBe(bytesToHex(encodeXOnly(mulBase(bytesToBigInt(sk)))));
    expect(ATTESTATION_KEY_PATH).not.toBe(NONCE_KEY_PATH);
  });

  it('is deterministic and tolerant of surrounding whitespace', () => {
    const a = oracleKeysFromMnemonic(ZERO_MNEMONIC);
    const b = oracleKeysFromMnemonic(`  ${ZERO_MNEMONIC.replaceAll(' ', '\n')} `);
    expect(a.publicKey).toEqual(b.publicKey);
  });

  it.each([
    ['empty', ''],
    ['12 words', `${'abandon '.repeat(11)}about`],
    ['bad checksum', `${'abandon '.repeat(23)}abandon`],
    ['unknown word', `${'abandon '.repeat(23)}bitcoinz`],
  ])('rejects an invalid mnemonic (%s) with InvalidMnemonicError', (_n, m) => {
    expect(() => oracleKeysFromMnemonic(m)).toThrow(InvalidMnemonicError);
  });

  it('exposes no secret: only publicKey is enumerable, serialized or inspected', () => {
    const keys = oracleKeysFromMnemonic(ZERO_MNEMONIC);
    expect(Object.keys(keys)).toEqual(['publicKey']);
    expect(Reflect.ownKeys(keys)).toEqual(['publicKey']);
    expect(Object.keys(JSON.parse(JSON.stringify(keys)) as object)).toEqual(['publicKey']);
    expect(inspect(keys, { depth: 5, showHidden: true })).toBe(
      inspect(Object.freeze({ publicKey: keys.publicKey }), { depth: 5, showHidden: true }),
    );
    expect(Object.isFrozen(keys)).toBe(true);
  });

  it('nonces follow the documented HMAC layout', () => {
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(ZERO_MNEMONIC));
    const nonceKey = root.derive(NONCE_KEY_PATH).privateKey;
    if (nonceKey === null) throw new Error('no key');
    const eventId = 'verdict/c1/0/0123456789abcdef';
    const input = new Uint8Array([
      ...new TextEncoder().encode('verdict/nonce/v1'),
      ...new TextEncoder().encode(eventId),
      0,
      0,
      0,
      2,
    ]);
    const k = bytesToBigInt(hmac(sha256, nonceKey, input)) % CURVE_ORDER;
    expect(deriveNonceSecret(nonceKey, eventId, 2)).toBe(k);
    const keys = oracleKeysFromMnemonic(ZERO_MNEMONIC);
    const nonces = eventNonces(keys, eventId, 3);
    expect(nonces[2]).toEqual(publicNonce(k));
    // distinct per position and per event
    expect(new Set(nonces.map((n) => bytesToHex(n))).size).toBe(3);
    expect(eventNonces(keys, `${eventId}x`, 1)[0]).not.toEqual(nonces[0]);
  });
});
