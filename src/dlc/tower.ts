/**
 * A DLC watchtower's pure part (issue 16; DESIGN.md "Watchtower"). A party hands a tower the
 * contract's three messages and its own plain signature on every CET. The messages already hold
 * the counterparty's adaptor signature for every CET and both refund signatures, so the tower can:
 *
 * - complete exactly one CET, the one whose outcome the oracle attests: the counterparty's
 *   adaptor signature decrypts only with the attestation's scalars (ECDSA-adaptor.md
 *   "Decryption"), and the party's own signature commits to that CET's outputs;
 * - complete the refund transaction, which the node accepts only after `refund_locktime`.
 *
 * It learns no secret key, cannot change an output, and cannot pick another outcome. Everything
 * is verified before a tower stores it ({@link verifyTowerUpload}); a failure is an
 * {@link InvalidTowerUploadError} with a stable code.
 */
import type { Transaction } from '@scure/btc-signer';
import { adaptorDecrypt, adaptorVerify } from '../crypto/ecdsa-adaptor.ts';
import type { EcdsaAdaptor } from '../crypto/ecdsa-adaptor.ts';
import type { HashConvention } from '../crypto/hash.ts';
import { verifyAdaptorSignatures } from './adaptor-set.ts';
import { verifyAnnouncement } from './announcement.ts';
import { verifyAttestation } from './attestation.ts';
import { oraclesOf } from './contract.ts';
import { selectCet, verifyRefundSignature } from './execution.ts';
import { bytesEqual } from './funding-input.ts';
import type { AcceptDlc, OfferDlc, SignDlc } from './messages.ts';
import type { OracleAttestation } from './oracle-types.ts';
import {
  deriveContract,
  InvalidAttestationError,
  UnexpectedOracleError,
  type DlcContract,
} from './protocol.ts';
import { finalizeCetWitness, signLowR, verifyFundingSpendSignature } from './transactions.ts';

/** Which side of the DLC a tower upload signs for. */
export type TowerSide = 'offer' | 'accept';

/** What a party hands a tower for one DLC. */
export interface TowerUpload {
  readonly offer: OfferDlc;
  readonly accept: AcceptDlc;
  readonly sign: SignDlc;
  /** The uploading party's side: whose funding key made `cetSignatures`. */
  readonly side: TowerSide;
  /** The uploading party's 64-byte compact signature of every CET, in CET order. */
  readonly cetSignatures: readonly Uint8Array[];
}

/** What the tower expects the contract to be built on (the milestone it holds). */
export interface TowerExpectation {
  /** The oracle's x-only public key. */
  readonly oraclePublicKey: Uint8Array;
  readonly eventId: string;
  readonly convention: HashConvention;
}

declare const verifiedBrand: unique symbol;

/** An upload whose every signature was checked against the rebuilt contract: the only input the
 * completion functions take. */
export interface VerifiedTowerUpload extends TowerUpload {
  readonly contract: DlcContract;
  readonly [verifiedBrand]: true;
}

export type InvalidTowerUploadCode =
  | 'tower_contract_mismatch'
  | 'tower_wrong_oracle'
  | 'invalid_cet_signature'
  | 'invalid_cet_adaptor_signature'
  | 'invalid_refund_signature';

/** An upload refused: nothing of it may be stored. `index`: the failing signature, if one. */
export class InvalidTowerUploadError extends Error {
  override readonly name = 'InvalidTowerUploadError';
  constructor(
    readonly code: InvalidTowerUploadCode,
    message: string,
    readonly index?: number,
  ) {
    super(message);
  }
}

function sidePubkey(contract: DlcContract, side: TowerSide): Uint8Array {
  return side === 'offer' ? contract.offer.fundingPubkey : contract.accept.fundingPubkey;
}

const otherSide = (side: TowerSide): TowerSide => (side === 'offer' ? 'accept' : 'offer');

/** The counterparty's adaptor signatures, from the message it sent: accept_dlc or sign_dlc. */
function counterpartyAdaptorSignatures(upload: TowerUpload): readonly Uint8Array[] {
  return upload.side === 'offer'
    ? upload.accept.cetAdaptorSignatures
    : upload.sign.cetAdaptorSignatures;
}

/**
 * The signatures a party uploads: its plain low-R signature of every CET's sighash (BIP143 over
 * the funding output), made with its funding key. Each is verified before it is returned.
 */
export function towerCetSignatures(
  contract: DlcContract,
  side: TowerSide,
  fundingSecretKey: Uint8Array,
): Uint8Array[] {
  const pubkey = sidePubkey(contract, side);
  const { fundingScript, fundOutputValue } = contract.funding;
  return contract.cets.cets.map((cet, i) => {
    const sig = signLowR(cet.sighash, fundingSecretKey);
    if (!verifyFundingSpendSignature(cet.tx, fundingScript, fundOutputValue, sig, pubkey)) {
      throw new TypeError(`fundingSecretKey is not the ${side} funding key (CET ${i})`);
    }
    return sig;
  });
}

/**
 * Rebuilds the contract from the messages and checks, before anything is stored: the sign
 * message is for this contract; every announcement is the expected oracle's, for the expected
 * event, and verifies; every counterparty adaptor signature verifies against its CET and the
 * announcement's adaptor point; every own CET signature verifies; both refund signatures verify.
 * @throws InvalidTowerUploadError
 */
export function verifyTowerUpload(
  upload: TowerUpload,
  expected: TowerExpectation,
  /** Adaptor-signature backend; default pure JS (node: `src/native` `ecdsaAdaptor()`). */
  scheme?: EcdsaAdaptor,
): VerifiedTowerUpload {
  let contract: DlcContract;
  try {
    contract = deriveContract(upload.offer, upload.accept, expected.convention);
  } catch (e) {
    throw new InvalidTowerUploadError(
      'tower_contract_mismatch',
      `the messages do not make a contract: ${(e as Error).message}`,
    );
  }
  if (!bytesEqual(upload.sign.contractId, contract.contractId)) {
    throw new InvalidTowerUploadError(
      'tower_contract_mismatch',
      'sign_dlc is for another contract id',
    );
  }
  const announcements = upload.offer.contractInfo.parts.flatMap(
    (part) => oraclesOf(part.oracleInfo).announcements,
  );
  for (const a of announcements) {
    if (
      !bytesEqual(a.oraclePublicKey, expected.oraclePublicKey) ||
      a.event.eventId !== expected.eventId ||
      !verifyAnnouncement(a, expected.convention)
    ) {
      throw new InvalidTowerUploadError(
        'tower_wrong_oracle',
        `the contract is not built on ${expected.eventId} of this oracle`,
      );
    }
  }
  const theirs = verifyAdaptorSignatures(
    sidePubkey(contract, otherSide(upload.side)),
    contract.adaptorItems,
    counterpartyAdaptorSignatures(upload),
    undefined,
    scheme,
  );
  if (!theirs.ok) {
    throw new InvalidTowerUploadError(
      'invalid_cet_adaptor_signature',
      theirs.reason === 'count'
        ? `expected ${contract.adaptorItems.length} counterparty adaptor signatures`
        : `counterparty adaptor signature ${theirs.index} does not verify`,
      theirs.index,
    );
  }
  const { fundingScript, fundOutputValue } = contract.funding;
  const cets = contract.cets.cets;
  if (upload.cetSignatures.length !== cets.length) {
    throw new InvalidTowerUploadError(
      'invalid_cet_signature',
      `expected ${cets.length} CET signatures, got ${upload.cetSignatures.length}`,
      cets.length,
    );
  }
  const own = sidePubkey(contract, upload.side);
  cets.forEach((cet, i) => {
    const sig = upload.cetSignatures[i] as Uint8Array;
    let ok = false;
    try {
      ok =
        sig.length === 64 &&
        verifyFundingSpendSignature(cet.tx, fundingScript, fundOutputValue, sig, own);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new InvalidTowerUploadError(
        'invalid_cet_signature',
        `CET signature ${i} does not verify`,
        i,
      );
    }
  });
  for (const [sig, pub] of [
    [upload.accept.refundSignature, contract.accept.fundingPubkey],
    [upload.sign.refundSignature, contract.offer.fundingPubkey],
  ] as const) {
    if (!verifyRefundSignature(contract.refundTx, fundingScript, fundOutputValue, sig, pub)) {
      throw new InvalidTowerUploadError(
        'invalid_refund_signature',
        'a refund signature does not verify',
      );
    }
  }
  return { ...upload, contract } as VerifiedTowerUpload;
}

/**
 * The CET the attestation unlocks, fully signed: the attestation must verify against the
 * contract's announcement; the counterparty's adaptor signature of the selected entry is
 * decrypted with the attestation's scalars and checked; the uploaded own signature is checked;
 * both go into the witness. There is no path to any other CET.
 * @throws InvalidAttestationError, UnexpectedOracleError, NoMatchingCetError
 */
export function completeAttestedCet(
  job: VerifiedTowerUpload,
  attestation: OracleAttestation,
): { cetIndex: number; outcome: string; tx: Transaction } {
  const { contract } = job;
  const info = contract.offer.contractInfo;
  const announcements = info.parts.flatMap((p) => oraclesOf(p.oracleInfo).announcements);
  const own = announcements.filter((a) =>
    bytesEqual(a.oraclePublicKey, attestation.oraclePublicKey),
  );
  if (own.length === 0) {
    throw new UnexpectedOracleError('the attestation is from an oracle the contract does not use');
  }
  if (!own.some((a) => verifyAttestation(a, attestation, contract.convention))) {
    throw new InvalidAttestationError(
      `attestation of ${attestation.eventId} does not verify against the contract's announcement`,
    );
  }
  const selection = selectCet(
    info,
    contract.cets.adaptorPoints,
    [attestation],
    contract.convention,
  );
  const cet = contract.cets.cets[selection.cetIndex];
  const entry = contract.cets.adaptorPoints[selection.adaptorIndex];
  const adaptorSig = counterpartyAdaptorSignatures(job)[selection.adaptorIndex];
  const ownSig = job.cetSignatures[selection.cetIndex];
  if (cet === undefined || entry === undefined || adaptorSig === undefined || ownSig === undefined)
    throw new RangeError('verified upload and contract layout disagree');
  const theirPub = sidePubkey(contract, otherSide(job.side));
  const ownPub = sidePubkey(contract, job.side);
  const { fundingScript, fundOutputValue } = contract.funding;
  if (!adaptorVerify(adaptorSig, theirPub, entry.point, cet.sighash)) {
    throw new InvalidAttestationError('the adaptor signature does not verify');
  }
  // ECDSA-adaptor.md "Decryption": s = s_a·y⁻¹ (low s).
  const theirSig = adaptorDecrypt(adaptorSig, selection.decryptionKey);
  const check = (sig: Uint8Array, pub: Uint8Array): boolean =>
    verifyFundingSpendSignature(cet.tx, fundingScript, fundOutputValue, sig, pub);
  if (!check(theirSig, theirPub) || !check(ownSig, ownPub)) {
    throw new InvalidAttestationError('the attestation does not complete the CET');
  }
  return {
    cetIndex: selection.cetIndex,
    outcome: attestation.outcomes.join(''),
    tx: finalizeCetWitness(cet.tx, fundingScript, ownSig, ownPub, theirSig, theirPub),
  };
}

/** The fully signed refund transaction (both refund signatures come from the messages). Valid on
 * chain only after `refund_locktime` (BIP113: below the median time past). */
export function completeTowerRefund(job: VerifiedTowerUpload): Transaction {
  const { contract } = job;
  return finalizeCetWitness(
    contract.refundTx,
    contract.funding.fundingScript,
    job.sign.refundSignature,
    contract.offer.fundingPubkey,
    job.accept.refundSignature,
    contract.accept.fundingPubkey,
  );
}
