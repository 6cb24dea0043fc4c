/**
 * The oracle's mnemonic encrypted at rest (DESIGN.md "Nonces and keys"): scrypt derives a key
 * from the passphrase, AES-256-GCM encrypts the mnemonic. Pure: the caller reads and writes the
 * file (mode 0600) and passes its parsed JSON here. `node:crypto` is used for scrypt and
 * AES-GCM because they must be synchronous; it does no I/O.
 *
 * File format, version 1 (all binary fields lowercase hex):
 * - `kdf`: scrypt with `N`, `r`, `p` and a 16-byte `salt`; it derives 64 bytes: the first 32 are
 *   the AES-256-GCM key, the last 32 the key of `check`.
 * - `check`: the first 16 bytes of HMAC-SHA256(check key, "verdict/keystore/check/v1"). It tells a
 *   wrong passphrase ({@link WrongPassphraseError}) from damaged ciphertext
 *   ({@link CorruptKeystoreError}); it helps a guesser no more than the GCM tag already does.
 * - `iv` (12 bytes), `ciphertext`, `tag` (16 bytes): AES-256-GCM of the UTF-8 mnemonic, with the
 *   header `verdict-keystore/v1|scrypt|N|r|p|salt|aes-256-gcm` as additional authenticated data.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { z } from 'zod';
import { CorruptKeystoreError, InvalidMnemonicError, WrongPassphraseError } from './errors.ts';
import { oracleKeysFromMnemonic } from './oracle-keys.ts';

export interface KeystoreFile {
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  ciphertext: string;
  tag: string;
  check: string;
}

/** Default scrypt cost N = 2^15 (r = 8, p = 1): about 32 MiB and 0.1 s per open. */
export const DEFAULT_SCRYPT_N = 2 ** 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;

const hex = (min: number, max: number) =>
  z
    .string()
    .regex(/^(?:[0-9a-f]{2})+$/, 'lowercase hex')
    .refine((s) => s.length >= 2 * min && s.length <= 2 * max, `between ${min} and ${max} bytes`);

const keystoreSchema = z
  .object({
    version: z.literal(1),
    kdf: z
      .object({
        name: z.literal('scrypt'),
        // Bounded so that a hostile file cannot make opening it take gigabytes of memory.
        N: z
          .number()
          .int()
          .min(2 ** 10)
          .max(2 ** 20)
          .refine((n) => (n & (n - 1)) === 0, 'a power of two'),
        r: z.number().int().min(1).max(32),
        p: z.number().int().min(1).max(16),
        salt: hex(16, 64),
      })
      .strict(),
    cipher: z.literal('aes-256-gcm'),
    iv: hex(12, 12),
    ciphertext: hex(1, 1024),
    tag: hex(16, 16),
    check: hex(16, 16),
  })
  .strict();

function deriveKeys(
  passphrase: string,
  kdf: KeystoreFile['kdf'],
): { encKey: Buffer; check: Buffer } {
  const salt = Buffer.from(kdf.salt, 'hex');
  const material = scryptSync(passphrase.normalize('NFC'), salt, 64, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
  const check = createHmac('sha256', material.subarray(32))
    .update('verdict/keystore/check/v1')
    .digest()
    .subarray(0, 16);
  return { encKey: material.subarray(0, 32), check };
}

function header(kdf: KeystoreFile['kdf']): Buffer {
  return Buffer.from(
    `verdict-keystore/v1|scrypt|${kdf.N}|${kdf.r}|${kdf.p}|${kdf.salt}|aes-256-gcm`,
    'utf8',
  );
}

/**
 * Encrypts a mnemonic under a passphrase. `scryptN` (a power of two, 2^10 … 2^20) defaults to
 * {@link DEFAULT_SCRYPT_N}; tests pass a smaller one.
 * @throws InvalidMnemonicError if the mnemonic is not a valid 24-word mnemonic.
 */
export function sealMnemonic(
  mnemonic: string,
  passphrase: string,
  opts?: { scryptN?: number },
): KeystoreFile {
  oracleKeysFromMnemonic(mnemonic); // validates (InvalidMnemonicError)
  const normalized = mnemonic.normalize('NFKD').trim().split(/\s+/).join(' ');
  const N = opts?.scryptN ?? DEFAULT_SCRYPT_N;
  if (!Number.isInteger(N) || N < 2 ** 10 || N > 2 ** 20 || (N & (N - 1)) !== 0) {
    throw new RangeError('scryptN must be a power of two between 2^10 and 2^20');
  }
  const kdf: KeystoreFile['kdf'] = {
    name: 'scrypt',
    N,
    r: SCRYPT_R,
    p: SCRYPT_P,
    salt: randomBytes(16).toString('hex'),
  };
  const { encKey, check } = deriveKeys(passphrase, kdf);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encKey, iv);
  cipher.setAAD(header(kdf));
  const ciphertext = Buffer.concat([cipher.update(normalized, 'utf8'), cipher.final()]);
  return {
    version: 1,
    kdf,
    cipher: 'aes-256-gcm',
    iv: iv.toString('hex'),
    ciphertext: ciphertext.toString('hex'),
    tag: cipher.getAuthTag().toString('hex'),
    check: check.toString('hex'),
  };
}

/** Validates the shape of a keystore file. @throws CorruptKeystoreError */
function parseKeystore(file: unknown): KeystoreFile {
  const parsed = keystoreSchema.safeParse(file);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new CorruptKeystoreError(`not a Verdict keystore: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/**
 * Decrypts a keystore (the parsed JSON of the file) and returns the mnemonic.
 * @throws CorruptKeystoreError if the file is not a version-1 keystore or its contents are damaged.
 * @throws WrongPassphraseError if the passphrase is wrong (or the KDF parameters were altered).
 */
export function openKeystore(file: unknown, passphrase: string): string {
  const ks = parseKeystore(file);
  const { encKey, check } = deriveKeys(passphrase, ks.kdf);
  if (!timingSafeEqual(check, Buffer.from(ks.check, 'hex'))) throw new WrongPassphraseError();
  let plaintext: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', encKey, Buffer.from(ks.iv, 'hex'));
    decipher.setAAD(header(ks.kdf));
    decipher.setAuthTag(Buffer.from(ks.tag, 'hex'));
    const bytes = Buffer.concat([
      decipher.update(Buffer.from(ks.ciphertext, 'hex')),
      decipher.final(),
    ]);
    plaintext = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CorruptKeystoreError('keystore ciphertext fails authentication: the file is damaged');
  }
  try {
    oracleKeysFromMnemonic(plaintext);
  } catch (e) {
    if (e instanceof InvalidMnemonicError)
      throw new CorruptKeystoreError('keystore does not contain a valid mnemonic');
    throw e;
  }
  return plaintext;
}

/**
 * Re-encrypts a keystore under a new passphrase (fresh salt and IV, same scrypt cost).
 * @throws WrongPassphraseError | CorruptKeystoreError as {@link openKeystore}.
 */
export function changeKeystorePassphrase(
  file: unknown,
  oldPass: string,
  newPass: string,
): KeystoreFile {
  const mnemonic = openKeystore(file, oldPass);
  return sealMnemonic(mnemonic, newPass, { scryptN: parseKeystore(file).kdf.N });
}
