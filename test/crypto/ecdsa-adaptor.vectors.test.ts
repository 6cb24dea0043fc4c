// Spec vectors for src/crypto/ecdsa-adaptor.ts: dlcspecs test/ecdsa_adaptor.json and the
// secp256k1-zkp transcription (with per-operation expectations), one case per vector.
import { bytesToHex, hexToBytes } from '@noble/curves/utils.js';
import { describe, expect, it } from 'vitest';
import {
  __TEST,
  ADAPTOR_SIGNATURE_LENGTH,
  adaptorDecrypt,
  adaptorRecover,
  adaptorVerify,
  InvalidAdaptorSignatureError,
  parseAdaptorSignature,
  serializeAdaptorSignature,
  type InvalidAdaptorSignatureReason,
} from '../../src/crypto/ecdsa-adaptor.ts';
import { loadVector } from '../helpers/vectors.ts';

const h = hexToBytes;

/** The parse failure each vector `error` text names. */
const PARSE_ERROR_REASON: Record<string, InvalidAdaptorSignatureReason> = {
  's_a too high': 's_a_out_of_range',
};

// ---------------------------------------------------------------------------------------------
// dlcspecs/test/ecdsa_adaptor.json

interface SpecVerification {
  kind: 'verification';
  adaptor_sig: string;
  message_hash: string;
  public_signing_key: string;
  encryption_key: string;
  decryption_key: string;
  signature: string;
  comment?: string;
  error?: string;
}
interface SpecRecovery {
  kind: 'recovery';
  adaptor_sig: string;
  encryption_key: string;
  signature: string;
  decryption_key: string | null;
  comment?: string;
  error?: string;
}
interface SpecSerialization {
  kind: 'serialization';
  adaptor_sig: string;
  error: string | null;
  comment?: string;
}
type SpecEntry = SpecVerification | SpecRecovery | SpecSerialization;

const spec = loadVector<SpecEntry[]>('dlcspecs/test/ecdsa_adaptor.json');
const label = (e: SpecEntry, i: number): string =>
  [`#${i} ${e.kind}`, e.comment, e.error ? `(error: ${e.error})` : undefined]
    .filter((part) => part)
    .join(' ');
const specOf = <K extends SpecEntry['kind']>(kind: K) =>
  spec
    .map((e, i) => ({ e, name: label(e, i) }))
    .filter((x): x is { e: Extract<SpecEntry, { kind: K }>; name: string } => x.e.kind === kind);

describe('dlcspecs ecdsa_adaptor.json', () => {
  it('has every kind the README describes', () => {
    expect(new Set(spec.map((e) => e.kind))).toEqual(
      new Set(['verification', 'recovery', 'serialization']),
    );
  });

  it.each(specOf('verification'))('$name', ({ e }) => {
    const sig = h(e.adaptor_sig);
    const ok = adaptorVerify(sig, h(e.public_signing_key), h(e.encryption_key), h(e.message_hash));
    if (e.error === undefined) {
      expect(ok).toBe(true);
      expect(bytesToHex(adaptorDecrypt(sig, h(e.decryption_key)))).toBe(e.signature);
      const y = adaptorRecover(sig, h(e.signature), h(e.encryption_key));
      expect(y && bytesToHex(y)).toBe(e.decryption_key);
    } else {
      expect(ok).toBe(false);
    }
  });

  it.each(specOf('recovery'))('$name', ({ e }) => {
    const y = adaptorRecover(h(e.adaptor_sig), h(e.signature), h(e.encryption_key));
    if (e.error === undefined) expect(y && bytesToHex(y)).toBe(e.decryption_key);
    else expect(y).toBeNull();
  });

  it.each(specOf('serialization'))('$name', ({ e }) => {
    const bytes = h(e.adaptor_sig);
    if (e.error === null) {
      expect(serializeAdaptorSignature(parseAdaptorSignature(bytes))).toEqual(bytes);
    } else {
      const reason = PARSE_ERROR_REASON[e.error];
      expect(reason, `no parse reason mapped for "${e.error}"`).toBeDefined();
      expect(() => parseAdaptorSignature(bytes)).toThrow(
        expect.objectContaining({ name: 'InvalidAdaptorSignatureError', reason }),
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// secp256k1-zkp/ecdsa_adaptor_vectors.json

interface ZkpExpect {
  verify?: boolean;
  decrypt_equals_signature?: boolean;
  recover_succeeds_and_equals_decryption_key?: boolean;
  parse_succeeds_and_reserializes_identically?: boolean;
  encrypt_with_fixed_nonces_equals_adaptor_sig?: boolean;
}
interface ZkpVector {
  id: string;
  kind: string;
  comment: string | null;
  adaptor_sig: string;
  message_hash?: string;
  public_signing_key?: string;
  encryption_key?: string;
  decryption_key?: string;
  signature?: string;
  seckey?: string;
  nonce_k?: string;
  dleq_nonce?: string;
  expect: ZkpExpect;
}

const zkp = loadVector<{ vectors: ZkpVector[] }>('secp256k1-zkp/ecdsa_adaptor_vectors.json');
const KNOWN_EXPECT_KEYS = new Set<string>([
  'verify',
  'decrypt_equals_signature',
  'recover_succeeds_and_equals_decryption_key',
  'parse_succeeds_and_reserializes_identically',
  'encrypt_with_fixed_nonces_equals_adaptor_sig',
]);

function field(v: ZkpVector, name: keyof ZkpVector): Uint8Array {
  const value = v[name];
  if (typeof value !== 'string') throw new Error(`${v.id}: missing ${name}`);
  return h(value);
}

describe('secp256k1-zkp ecdsa_adaptor_vectors.json', () => {
  it.each(zkp.vectors.map((v) => ({ name: `${v.id}: ${v.comment ?? v.kind}`, v })))(
    '$name',
    ({ v }) => {
      const x = v.expect;
      // Every expectation must be one this test knows how to assert.
      expect(Object.keys(x).filter((k) => !KNOWN_EXPECT_KEYS.has(k))).toEqual([]);
      expect(Object.keys(x).length).toBeGreaterThan(0);
      const sig = h(v.adaptor_sig);
      expect(sig.length).toBe(ADAPTOR_SIGNATURE_LENGTH);

      if (x.encrypt_with_fixed_nonces_equals_adaptor_sig !== undefined) {
        const out = __TEST.encryptWithNonces(
          field(v, 'seckey'),
          field(v, 'encryption_key'),
          field(v, 'message_hash'),
          field(v, 'nonce_k'),
          field(v, 'dleq_nonce'),
        );
        expect(bytesToHex(out) === v.adaptor_sig).toBe(
          x.encrypt_with_fixed_nonces_equals_adaptor_sig,
        );
      }
      if (x.verify !== undefined) {
        const ok = adaptorVerify(
          sig,
          field(v, 'public_signing_key'),
          field(v, 'encryption_key'),
          field(v, 'message_hash'),
        );
        expect(ok).toBe(x.verify);
      }
      if (x.decrypt_equals_signature !== undefined) {
        // Decrypt always succeeds on a parsable signature; the flag says whether it gives `signature`.
        const s = adaptorDecrypt(sig, field(v, 'decryption_key'));
        expect(bytesToHex(s) === v.signature).toBe(x.decrypt_equals_signature);
      }
      if (x.recover_succeeds_and_equals_decryption_key !== undefined) {
        const y = adaptorRecover(sig, field(v, 'signature'), field(v, 'encryption_key'));
        if (x.recover_succeeds_and_equals_decryption_key) {
          expect(y && bytesToHex(y)).toBe(v.decryption_key);
        } else {
          expect(y).toBeNull();
        }
      }
      if (x.parse_succeeds_and_reserializes_identically !== undefined) {
        if (x.parse_succeeds_and_reserializes_identically) {
          expect(serializeAdaptorSignature(parseAdaptorSignature(sig))).toEqual(sig);
        } else {
          expect(() => parseAdaptorSignature(sig)).toThrow(InvalidAdaptorSignatureError);
        }
      }
    },
  );
});
