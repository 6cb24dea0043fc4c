/**
 * Executing a DLC (DLC-NOTES.md §4, §7.3, §7.4): from the oracles' attestations, pick the CET and
 * the adaptor signature that they unlock (with an oracle subset that actually attested), decrypt
 * the counterparty's adaptor signature with the sum of the attestation scalars, add our own
 * signature and produce the CET's witness. And the refund: sign, verify, complete.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { adaptorDecrypt, adaptorVerify } from '../crypto/ecdsa-adaptor.ts';
import type { HashConvention } from '../crypto/hash.ts';
import { bytesToBigInt, encodePoint, modN, mulBase, scalarToBytes } from '../crypto/secp.ts';
import type { Transaction } from '@scure/btc-signer';
import { InvalidCetAdaptorSignaturesError } from './adaptor-set.ts';
import { verifyAttestation } from './attestation.ts';
import {
  oraclesOf,
  type AdaptorPointEntry,
  type BuiltCet,
  type ContractCets,
  type ContractInfo,
} from './contract.ts';
import type { OracleAnnouncement, OracleAttestation } from './oracle-types.ts';
import {
  cetSighash,
  finalizeCetWitness,
  refundSighash,
  signLowR,
  verifyFundingSpendSignature,
} from './transactions.ts';

/** No adaptor point of the contract is unlocked by the given attestations. */
export class NoMatchingCetError extends Error {
  override readonly name = 'NoMatchingCetError';
  readonly code = 'no_matching_cet';
}

/** A counterparty's refund signature does not verify. */
export class InvalidRefundSignatureError extends Error {
  override readonly name = 'InvalidRefundSignatureError';
  readonly code = 'invalid_refund_signature';
}

/** The adaptor signature (and so the CET) the attestations unlock, with its decryption key. */
export interface CetSelection {
  readonly adaptorIndex: number;
  readonly cetIndex: number;
  readonly partIndex: number;
  /** The oracles (indices into the part's announcements) whose attestations are used. */
  readonly oracleIndices: readonly number[];
  /** `y = Σ s` over those attestations' signatures on the matched outcome/prefix (32 bytes). */
  readonly decryptionKey: Uint8Array;
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** For each oracle of a part, a valid attestation of its event among `attestations`, if any. */
function attestationsFor(
  announcements: readonly OracleAnnouncement[],
  attestations: readonly OracleAttestation[],
  convention: HashConvention,
): (OracleAttestation | undefined)[] {
  return announcements.map((a) =>
    attestations.find(
      (att) =>
        bytesEqual(att.oraclePublicKey, a.oraclePublicKey) &&
        // Oracle-Validation.md: the attestation's key, event and nonces match the announcement
        // and every signature is valid under the oracle's convention.
        verifyAttestation(a, att, convention),
    ),
  );
}

/** Whether an oracle's attested outcome strings fall under `entry`'s outcome or prefix. */
function matches(entry: AdaptorPointEntry, att: OracleAttestation): boolean {
  if (entry.match.kind === 'enum') {
    return att.outcomes[0]?.normalize('NFC') === entry.match.outcome.normalize('NFC');
  }
  // DLC-NOTES.md §4: a prefix d_0…d_{k−1} matches every value whose first k digits equal it.
  return entry.match.prefix.every((digit, i) => att.outcomes[i] === String(digit));
}

/** The scalar that decrypts `entry`: Σ over its oracles of the `s` of the first k signatures. */
function decryptionScalar(entry: AdaptorPointEntry, atts: readonly OracleAttestation[]): bigint {
  const k = entry.match.kind === 'enum' ? 1 : entry.match.prefix.length;
  let y = 0n;
  for (const att of atts) {
    for (let i = 0; i < k; i++) {
      // BIP340 signature = R.x ‖ s.
      y = modN(y + bytesToBigInt(att.signatures[i]!.subarray(32, 64)));
    }
  }
  return y;
}

/**
 * Picks the adaptor signature that the attestations unlock: the first entry, in signing order,
 * whose oracles all have a valid attestation (under `convention`) of the entry's outcome or
 * prefix. For t-of-n contracts that is the lexicographically first oracle subset that attested
 * consistently. The decryption key is checked against the adaptor point (`y·G = S`).
 * @throws NoMatchingCetError if no entry is unlocked (too few oracles, or oracles disagreeing).
 */
export function selectCet(
  contractInfo: ContractInfo,
  adaptorPoints: readonly AdaptorPointEntry[],
  attestations: readonly OracleAttestation[],
  convention: HashConvention,
): CetSelection {
  const perPart = contractInfo.parts.map((part) =>
    attestationsFor(oraclesOf(part.oracleInfo).announcements, attestations, convention),
  );
  for (const entry of adaptorPoints) {
    const partAtts = perPart[entry.partIndex];
    if (partAtts === undefined)
      throw new RangeError(`adaptor point of unknown part ${entry.partIndex}`);
    const atts = entry.oracleIndices.map((j) => partAtts[j]);
    if (!atts.every((a): a is OracleAttestation => a !== undefined && matches(entry, a))) continue;
    const y = decryptionScalar(entry, atts);
    // The attestations are valid and match, so y·G is the adaptor point; a mismatch means the
    // contract was built with another hashing convention than the oracles use.
    if (y === 0n || !bytesEqual(encodePoint(mulBase(y)), entry.point)) {
      throw new NoMatchingCetError(
        `attestation scalars do not give adaptor point ${entry.adaptorIndex}: wrong hashing convention?`,
      );
    }
    return {
      adaptorIndex: entry.adaptorIndex,
      cetIndex: entry.cetIndex,
      partIndex: entry.partIndex,
      oracleIndices: entry.oracleIndices,
      decryptionKey: scalarToBytes(y),
    };
  }
  throw new NoMatchingCetError('the attestations unlock no CET of this contract');
}

/** What completing a CET needs besides the CET itself. */
export interface CompleteCetParams {
  readonly cet: Pick<BuiltCet, 'tx' | 'sighash'>;
  readonly fundingScript: Uint8Array;
  readonly fundOutputValue: bigint;
  readonly ownFundingSecretKey: Uint8Array;
  readonly counterpartyFundingPubkey: Uint8Array;
  /** The counterparty's adaptor signature for the selected entry, and its point. */
  readonly counterpartyAdaptorSignature: Uint8Array;
  readonly adaptorPoint: Uint8Array;
  readonly decryptionKey: Uint8Array;
}

/**
 * The fully signed CET (DLC-NOTES.md §7.3 "Execution"): the counterparty's adaptor signature
 * decrypted with `y`, our own low-R signature, witness `[<>, sig(pk1), sig(pk2), script]`. Both
 * signatures are verified over the BIP143 sighash before the transaction is returned.
 * @throws InvalidCetAdaptorSignaturesError if the counterparty's adaptor signature is invalid or
 * `y` does not decrypt it (index -1: the set index is the caller's).
 */
export function completeCet(p: CompleteCetParams): Transaction {
  const sighash = cetSighash(p.cet.tx, p.fundingScript, p.fundOutputValue);
  if (!bytesEqual(sighash, p.cet.sighash))
    throw new RangeError('cet.sighash is not the CET’s sighash');
  if (
    !adaptorVerify(
      p.counterpartyAdaptorSignature,
      p.counterpartyFundingPubkey,
      p.adaptorPoint,
      sighash,
    )
  ) {
    throw new InvalidCetAdaptorSignaturesError(
      'the counterparty’s adaptor signature does not verify',
      -1,
    );
  }
  // ECDSA-adaptor.md "Decryption": s = s_a·y⁻¹ (low s).
  const theirs = adaptorDecrypt(p.counterpartyAdaptorSignature, p.decryptionKey);
  const ownPubkey = secp256k1.getPublicKey(p.ownFundingSecretKey, true);
  const own = signLowR(sighash, p.ownFundingSecretKey);
  const check = (sig: Uint8Array, pub: Uint8Array): boolean =>
    verifyFundingSpendSignature(p.cet.tx, p.fundingScript, p.fundOutputValue, sig, pub);
  if (!check(theirs, p.counterpartyFundingPubkey)) {
    throw new InvalidCetAdaptorSignaturesError(
      'the decryption key does not decrypt the counterparty’s adaptor signature',
      -1,
    );
  }
  if (!check(own, ownPubkey)) throw new Error('completeCet: produced an invalid signature');
  return finalizeCetWitness(
    p.cet.tx,
    p.fundingScript,
    own,
    ownPubkey,
    theirs,
    p.counterpartyFundingPubkey,
  );
}

/** Everything {@link executeContract} needs. */
export interface ExecuteContractParams {
  readonly contractInfo: ContractInfo;
  readonly contract: ContractCets;
  readonly convention: HashConvention;
  readonly attestations: readonly OracleAttestation[];
  /** The counterparty's `cet_adaptor_signatures`, in signing order. */
  readonly counterpartyAdaptorSignatures: readonly Uint8Array[];
  readonly fundingScript: Uint8Array;
  readonly fundOutputValue: bigint;
  readonly ownFundingSecretKey: Uint8Array;
  readonly counterpartyFundingPubkey: Uint8Array;
}

/**
 * {@link selectCet} then {@link completeCet}: the CET to broadcast after the oracle(s) attested.
 * @throws NoMatchingCetError, InvalidCetAdaptorSignaturesError (with the signature's index)
 */
export function executeContract(p: ExecuteContractParams): {
  selection: CetSelection;
  cet: BuiltCet;
  tx: Transaction;
} {
  const selection = selectCet(
    p.contractInfo,
    p.contract.adaptorPoints,
    p.attestations,
    p.convention,
  );
  const cet = p.contract.cets[selection.cetIndex];
  const entry = p.contract.adaptorPoints[selection.adaptorIndex];
  const sig = p.counterpartyAdaptorSignatures[selection.adaptorIndex];
  if (cet === undefined || entry === undefined)
    throw new RangeError('contract CETs and layout disagree');
  if (sig === undefined) {
    throw new InvalidCetAdaptorSignaturesError(
      `no counterparty adaptor signature at index ${selection.adaptorIndex}`,
      selection.adaptorIndex,
    );
  }
  try {
    const tx = completeCet({
      cet,
      fundingScript: p.fundingScript,
      fundOutputValue: p.fundOutputValue,
      ownFundingSecretKey: p.ownFundingSecretKey,
      counterpartyFundingPubkey: p.counterpartyFundingPubkey,
      counterpartyAdaptorSignature: sig,
      adaptorPoint: entry.point,
      decryptionKey: selection.decryptionKey,
    });
    return { selection, cet, tx };
  } catch (e) {
    if (e instanceof InvalidCetAdaptorSignaturesError) {
      throw new InvalidCetAdaptorSignaturesError(e.message, selection.adaptorIndex);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Refund (Transactions.md "Refund Transaction"; DLC-NOTES.md §7.4)

/**
 * Our refund signature (`refund_signature`, 64-byte compact, low-R low-s) over the refund
 * transaction's BIP143 sighash. Verified before it is returned.
 */
export function signRefund(
  refundTx: Transaction,
  fundingScript: Uint8Array,
  fundOutputValue: bigint,
  fundingSecretKey: Uint8Array,
): Uint8Array {
  const sig = signLowR(refundSighash(refundTx, fundingScript, fundOutputValue), fundingSecretKey);
  const pub = secp256k1.getPublicKey(fundingSecretKey, true);
  if (!verifyFundingSpendSignature(refundTx, fundingScript, fundOutputValue, sig, pub)) {
    throw new Error('signRefund: produced an invalid signature');
  }
  return sig;
}

/** Whether a counterparty's 64-byte compact refund signature is valid (Protocol.md: MUST reject otherwise). */
export function verifyRefundSignature(
  refundTx: Transaction,
  fundingScript: Uint8Array,
  fundOutputValue: bigint,
  signature: Uint8Array,
  counterpartyFundingPubkey: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  try {
    return verifyFundingSpendSignature(
      refundTx,
      fundingScript,
      fundOutputValue,
      signature,
      counterpartyFundingPubkey,
    );
  } catch {
    return false;
  }
}

/**
 * The fully signed refund transaction: the counterparty's refund signature (checked) and ours.
 * Broadcastable once its nLockTime has passed.
 * @throws InvalidRefundSignatureError
 */
export function completeRefund(p: {
  readonly refundTx: Transaction;
  readonly fundingScript: Uint8Array;
  readonly fundOutputValue: bigint;
  readonly ownFundingSecretKey: Uint8Array;
  readonly counterpartyFundingPubkey: Uint8Array;
  readonly counterpartyRefundSignature: Uint8Array;
}): Transaction {
  if (
    !verifyRefundSignature(
      p.refundTx,
      p.fundingScript,
      p.fundOutputValue,
      p.counterpartyRefundSignature,
      p.counterpartyFundingPubkey,
    )
  ) {
    throw new InvalidRefundSignatureError('the counterparty’s refund signature does not verify');
  }
  const own = signRefund(p.refundTx, p.fundingScript, p.fundOutputValue, p.ownFundingSecretKey);
  return finalizeCetWitness(
    p.refundTx,
    p.fundingScript,
    own,
    secp256k1.getPublicKey(p.ownFundingSecretKey, true),
    p.counterpartyRefundSignature,
    p.counterpartyFundingPubkey,
  );
}
