/**
 * The CET adaptor signatures of a whole contract (dlcspecs Protocol.md `cet_adaptor_signatures`,
 * DLC-NOTES.md §6, §8): one ECDSA adaptor signature per adaptor point, over the sighash of the CET
 * that point unlocks, in signing order. The accepter sends its set in `accept_dlc`, the offerer in
 * `sign_dlc`; each MUST verify every signature of the other's set (Protocol.md).
 */
import {
  ADAPTOR_SIGNATURE_LENGTH,
  nobleEcdsaAdaptor,
  type EcdsaAdaptor,
} from '../crypto/ecdsa-adaptor.ts';
import type { AdaptorPointEntry, ContractCets } from './contract.ts';

/**
 * Signatures created per `adaptorEncryptMany` call: progress is reported after each chunk.
 * Batching only saves modular inversions, so chunking costs nothing measurable.
 */
export const ENCRYPT_CHUNK_SIZE = 64;
/**
 * Signatures verified per `adaptorVerifyMany` call. Each call decodes the signer key and, from
 * `PREPARE_SIGNER_KEY_AFTER` (64) jobs on, prepares it (noble: precomputed tables, ≈ 50 ms
 * each time); with 256 that preparation is ≈ 5 % of a pure-JS chunk (measured: 1,024
 * signatures, noble, 3.50 s in chunks of 256 vs 3.33 s in one call, 4.60 s in chunks of 64;
 * native libsecp256k1 is the same in any chunking).
 */
export const VERIFY_CHUNK_SIZE = 256;

/** One adaptor signature to create or check: the CET sighash and the point it is encrypted to. */
export interface AdaptorSigningItem {
  readonly sighash: Uint8Array;
  /** 33-byte compressed adaptor point. */
  readonly point: Uint8Array;
}

/**
 * Called once per signature, `done` of `total` (for a progress bar): the calls for a chunk come
 * together when the chunk is done.
 */
export type ProgressCallback = (done: number, total: number) => void;

/**
 * A counterparty's `cet_adaptor_signatures` failed verification: the first failing `index`
 * (position in signing order), or a wrong count (`index` = the expected count).
 */
export class InvalidCetAdaptorSignaturesError extends Error {
  override readonly name = 'InvalidCetAdaptorSignaturesError';
  readonly code = 'invalid_cet_adaptor_signature';
  readonly index: number;
  constructor(message: string, index: number) {
    super(message);
    this.index = index;
  }
}

/** The signing items of a contract: for each adaptor point, its CET's sighash, in signing order. */
export function adaptorSigningItems(contract: ContractCets): AdaptorSigningItem[] {
  return contract.adaptorPoints.map((entry: AdaptorPointEntry) => {
    const cet = contract.cets[entry.cetIndex];
    if (cet === undefined)
      throw new RangeError(`adaptor point ${entry.adaptorIndex}: no CET ${entry.cetIndex}`);
    return { sighash: cet.sighash, point: entry.point };
  });
}

/**
 * Creates this party's adaptor signatures of every CET (ECDSA adaptor `encrypt` with the funding
 * secret key, fresh auxiliary randomness per signature), in signing order, with `scheme`
 * (default: the pure-JS reference; node callers pass `ecdsaAdaptor()` of `src/native` for
 * libsecp256k1, same bytes for the same randomness). Not self-verified (see the DEVIATION note
 * in `ecdsa-adaptor.ts`: a verify costs as much again, and the counterparty verifies every one).
 * @throws RangeError for an invalid key or point.
 */
export function createAdaptorSignatures(
  fundingSecretKey: Uint8Array,
  items: readonly AdaptorSigningItem[],
  onProgress?: ProgressCallback,
  scheme: EcdsaAdaptor = nobleEcdsaAdaptor,
): Uint8Array[] {
  const total = items.length;
  const sigs: Uint8Array[] = [];
  for (let start = 0; start < total; start += ENCRYPT_CHUNK_SIZE) {
    const chunk = items.slice(start, start + ENCRYPT_CHUNK_SIZE);
    sigs.push(
      ...scheme.adaptorEncryptMany(
        fundingSecretKey,
        chunk.map((item) => ({ encryptionKey: item.point, msgHash: item.sighash })),
      ),
    );
    for (let done = start + 1; done <= sigs.length; done++) onProgress?.(done, total);
  }
  return sigs;
}

/** Whether one signature verifies; a malformed argument counts as invalid, not as an error. */
function verifyOne(
  scheme: EcdsaAdaptor,
  pubkey: Uint8Array,
  item: AdaptorSigningItem,
  sig: Uint8Array,
): boolean {
  try {
    return (
      sig.length === ADAPTOR_SIGNATURE_LENGTH &&
      scheme.adaptorVerify(sig, pubkey, item.point, item.sighash)
    );
  } catch {
    return false;
  }
}

/** The first index of `items[start..]` (one chunk) whose signature does not verify, or -1. */
function firstInvalidInChunk(
  scheme: EcdsaAdaptor,
  pubkey: Uint8Array,
  items: readonly AdaptorSigningItem[],
  signatures: readonly Uint8Array[],
  start: number,
): number {
  const end = Math.min(items.length, start + VERIFY_CHUNK_SIZE);
  for (let i = start; i < end; i++) {
    if (signatures[i]!.length !== ADAPTOR_SIGNATURE_LENGTH) {
      // A wrong length is a counterparty error: find whichever failure comes first.
      return firstInvalidOneByOne(scheme, pubkey, items, signatures, start, end);
    }
  }
  let results: boolean[];
  try {
    results = scheme.adaptorVerifyMany(
      pubkey,
      items.slice(start, end).map((item, k) => ({
        adaptorSig: signatures[start + k]!,
        encryptionKey: item.point,
        msgHash: item.sighash,
      })),
    );
  } catch {
    // A malformed key or item: the one-by-one path says which index (as invalid).
    return firstInvalidOneByOne(scheme, pubkey, items, signatures, start, end);
  }
  const k = results.indexOf(false);
  return k === -1 ? -1 : start + k;
}

function firstInvalidOneByOne(
  scheme: EcdsaAdaptor,
  pubkey: Uint8Array,
  items: readonly AdaptorSigningItem[],
  signatures: readonly Uint8Array[],
  start: number,
  end: number,
): number {
  for (let i = start; i < end; i++) {
    if (!verifyOne(scheme, pubkey, items[i]!, signatures[i]!)) return i;
  }
  return -1;
}

/**
 * Verifies a counterparty's complete set against its funding public key with `scheme` (default:
 * the pure-JS reference; the same results with any backend): exactly one signature per item,
 * each valid for the item's sighash and point. Returns the first failing index; progress counts
 * the valid signatures before it.
 */
export function verifyAdaptorSignatures(
  counterpartyFundingPubkey: Uint8Array,
  items: readonly AdaptorSigningItem[],
  signatures: readonly Uint8Array[],
  onProgress?: ProgressCallback,
  scheme: EcdsaAdaptor = nobleEcdsaAdaptor,
): { ok: true } | { ok: false; index: number; reason: 'count' | 'invalid' } {
  if (signatures.length !== items.length)
    return { ok: false, index: items.length, reason: 'count' };
  const total = items.length;
  for (let start = 0; start < total; start += VERIFY_CHUNK_SIZE) {
    const index = firstInvalidInChunk(scheme, counterpartyFundingPubkey, items, signatures, start);
    const valid = index === -1 ? Math.min(total, start + VERIFY_CHUNK_SIZE) : index;
    for (let done = start + 1; done <= valid; done++) onProgress?.(done, total);
    if (index !== -1) return { ok: false, index, reason: 'invalid' };
  }
  return { ok: true };
}

/**
 * {@link verifyAdaptorSignatures} that throws {@link InvalidCetAdaptorSignaturesError} instead of
 * returning a failure (for the party protocol: reject the message).
 */
export function assertAdaptorSignatures(
  counterpartyFundingPubkey: Uint8Array,
  items: readonly AdaptorSigningItem[],
  signatures: readonly Uint8Array[],
  onProgress?: ProgressCallback,
  scheme: EcdsaAdaptor = nobleEcdsaAdaptor,
): void {
  const result = verifyAdaptorSignatures(
    counterpartyFundingPubkey,
    items,
    signatures,
    onProgress,
    scheme,
  );
  throwIfInvalid(result, items.length, signatures.length);
}

/**
 * Throws the {@link InvalidCetAdaptorSignaturesError} of a failed
 * {@link verifyAdaptorSignatures} result (nothing for `ok`).
 */
export function throwIfInvalid(
  result: ReturnType<typeof verifyAdaptorSignatures>,
  expected: number,
  got: number,
): void {
  if (result.ok) return;
  if (result.reason === 'count') {
    throw new InvalidCetAdaptorSignaturesError(
      `expected ${expected} CET adaptor signatures, got ${got}`,
      result.index,
    );
  }
  throw new InvalidCetAdaptorSignaturesError(
    `CET adaptor signature ${result.index} does not verify`,
    result.index,
  );
}

/**
 * Where a contract's adaptor signatures are created and verified when not on the calling thread
 * (the `*Async` functions of `protocol.ts`; `src/native` `adaptorRunner()` spreads them over a
 * worker pool). Same bytes for the same randomness and the same errors as
 * {@link createAdaptorSignatures} and {@link assertAdaptorSignatures}.
 */
export interface AdaptorRunner {
  create(
    fundingSecretKey: Uint8Array,
    items: readonly AdaptorSigningItem[],
    onProgress?: ProgressCallback,
  ): Promise<Uint8Array[]>;
  /** @throws InvalidCetAdaptorSignaturesError (the first failing index, or a wrong count) */
  assertValid(
    counterpartyFundingPubkey: Uint8Array,
    items: readonly AdaptorSigningItem[],
    signatures: readonly Uint8Array[],
    onProgress?: ProgressCallback,
  ): Promise<void>;
}

/** An {@link AdaptorRunner} on the calling thread with `scheme` (what the sync functions do). */
export function inlineAdaptorRunner(scheme: EcdsaAdaptor = nobleEcdsaAdaptor): AdaptorRunner {
  return {
    create: (key, items, onProgress) =>
      Promise.resolve(createAdaptorSignatures(key, items, onProgress, scheme)),
    assertValid: (pubkey, items, signatures, onProgress) => {
      assertAdaptorSignatures(pubkey, items, signatures, onProgress, scheme);
      return Promise.resolve();
    },
  };
}
