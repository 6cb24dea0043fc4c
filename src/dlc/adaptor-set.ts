/**
 * The CET adaptor signatures of a whole contract (dlcspecs Protocol.md `cet_adaptor_signatures`,
 * DLC-NOTES.md §6, §8): one ECDSA adaptor signature per adaptor point, over the sighash of the CET
 * that point unlocks, in signing order. The accepter sends its set in `accept_dlc`, the offerer in
 * `sign_dlc`; each MUST verify every signature of the other's set (Protocol.md).
 */
import { adaptorEncrypt, adaptorVerify } from '../crypto/ecdsa-adaptor.ts';
import type { AdaptorPointEntry, ContractCets } from './contract.ts';

/** One adaptor signature to create or check: the CET sighash and the point it is encrypted to. */
export interface AdaptorSigningItem {
  readonly sighash: Uint8Array;
  /** 33-byte compressed adaptor point. */
  readonly point: Uint8Array;
}

/** Called after each signature: `done` of `total` (for a progress bar). */
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
 * secret key, fresh auxiliary randomness per signature), in signing order. Not self-verified
 * (see the DEVIATION note in `ecdsa-adaptor.ts`: a verify costs as much again, and the
 * counterparty verifies every one).
 * @throws RangeError for an invalid key or point.
 */
export function createAdaptorSignatures(
  fundingSecretKey: Uint8Array,
  items: readonly AdaptorSigningItem[],
  onProgress?: ProgressCallback,
): Uint8Array[] {
  const total = items.length;
  return items.map((item, i) => {
    const sig = adaptorEncrypt(fundingSecretKey, item.point, item.sighash);
    onProgress?.(i + 1, total);
    return sig;
  });
}

/**
 * Verifies a counterparty's complete set against its funding public key: exactly one signature
 * per item, each valid for the item's sighash and point. Returns the first failing index.
 */
export function verifyAdaptorSignatures(
  counterpartyFundingPubkey: Uint8Array,
  items: readonly AdaptorSigningItem[],
  signatures: readonly Uint8Array[],
  onProgress?: ProgressCallback,
): { ok: true } | { ok: false; index: number; reason: 'count' | 'invalid' } {
  if (signatures.length !== items.length)
    return { ok: false, index: items.length, reason: 'count' };
  const total = items.length;
  for (let i = 0; i < total; i++) {
    const item = items[i]!;
    const sig = signatures[i]!;
    let ok: boolean;
    try {
      ok =
        sig.length === 162 &&
        adaptorVerify(sig, counterpartyFundingPubkey, item.point, item.sighash);
    } catch {
      ok = false;
    }
    if (!ok) return { ok: false, index: i, reason: 'invalid' };
    onProgress?.(i + 1, total);
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
): void {
  const result = verifyAdaptorSignatures(counterpartyFundingPubkey, items, signatures, onProgress);
  if (result.ok) return;
  if (result.reason === 'count') {
    throw new InvalidCetAdaptorSignaturesError(
      `expected ${items.length} CET adaptor signatures, got ${signatures.length}`,
      result.index,
    );
  }
  throw new InvalidCetAdaptorSignaturesError(
    `CET adaptor signature ${result.index} does not verify`,
    result.index,
  );
}
