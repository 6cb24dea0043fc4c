/**
 * Contract info and the CET list of a DLC (dlcspecs Messaging.md `contract_info` / `oracle_info`,
 * protocol version 1; DLC-NOTES.md §4–§6): one or several contract parts (disjoint), each a
 * contract descriptor (enum or numeric) on a single oracle or on t-of-n oracles.
 *
 * From it: the CETs (index, payouts) and the adaptor points in the exact order in which adaptor
 * signatures are exchanged (DLC-NOTES.md §6):
 * ```
 * enum:    for each outcome (descriptor order): for each t-subset (lexicographic): Σ_j S_j(o)
 * numeric: for each range: for each cover prefix: for each t-subset: Σ_j Σ_i S_{j,i}(prefix_i)
 * disjoint: part 1's list, then part 2's, … (CET indices continue)
 * ```
 * Per-digit points are computed once per announcement (NumericOutcomeCompression.md
 * "Pre-computing"); a prefix point is a sum of them, a multi-oracle point the sum over its subset.
 *
 * Not supported: numeric multi-oracle contracts with an allowed difference (`oracle_params`;
 * dlcspecs MultiOracle.md): {@link UnsupportedContractError}.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Transaction } from '@scure/btc-signer';
import { attestationPoint, precomputeDigitPoints } from '../crypto/attestation-points.ts';
import type { HashConvention } from '../crypto/hash.ts';
import { decodePoint, encodePoint, type SecpPoint } from '../crypto/secp.ts';
import { cetsForNumeric } from './cet-compression.ts';
import {
  cetsForEnum,
  decodeContractDescriptorAt,
  numericRangePayouts,
  serializeContractDescriptor,
  validateContractDescriptor,
  type ContractDescriptor,
} from './contract-descriptor.ts';
import { decodeAnnouncement, encodeAnnouncement } from './oracle-codec.ts';
import type { OracleAnnouncement } from './oracle-types.ts';
import { buildCet, cetSighashFn } from './transactions.ts';
import { CONTRACT_RULES, DecodeError, WireReader, WireWriter } from './wire.ts';

// ---------------------------------------------------------------------------------------------
// Types

/** `oracle_params` (multi-oracle numeric contracts with an allowed difference). */
export interface OracleParams {
  readonly maxErrorExp: number;
  readonly minFailExp: number;
  readonly maximizeCoverage: boolean;
}

/**
 * `oracle_info`: one oracle, or `threshold`-of-n oracles. The order of `announcements` is the
 * oracle preference order and fixes the order of the oracle subsets (DLC-NOTES.md §5).
 */
export type OracleInfo =
  | { readonly kind: 'single'; readonly announcement: OracleAnnouncement }
  | {
      readonly kind: 'multi';
      readonly threshold: number;
      readonly announcements: readonly OracleAnnouncement[];
      readonly oracleParams?: OracleParams;
    };

/** One `contract_descriptor ‖ oracle_info` pair. */
export interface ContractPart {
  readonly descriptor: ContractDescriptor;
  readonly oracleInfo: OracleInfo;
}

/**
 * `contract_info`: `single_contract_info` (exactly one part) or `disjoint_contract_info` (the
 * CETs of the parts are concatenated in order).
 */
export interface ContractInfo {
  readonly kind: 'single' | 'disjoint';
  readonly totalCollateral: bigint;
  readonly parts: readonly ContractPart[];
}

/** What the oracle(s) must attest for a CET (or an adaptor signature) to apply. */
export type CetOutcome =
  | { readonly kind: 'enum'; readonly outcome: string }
  /** Every value in `[start, end]` (inclusive) pays the same. */
  | { readonly kind: 'numeric'; readonly start: bigint; readonly end: bigint };

/** One CET of the contract. `cetIndex` runs over all parts (DLC-NOTES.md §6). */
export interface ContractCet {
  readonly cetIndex: number;
  readonly partIndex: number;
  readonly outcome: CetOutcome;
  readonly offerPayout: bigint;
  readonly acceptPayout: bigint;
}

/** What a single adaptor signature is encrypted to: an enum outcome or a digit prefix. */
export type AdaptorMatch =
  | { readonly kind: 'enum'; readonly outcome: string }
  | { readonly kind: 'numeric'; readonly prefix: readonly number[] };

/** One adaptor point, in `cet_adaptor_signatures` order. */
export interface AdaptorPointEntry {
  /** Position in `cet_adaptor_signatures`. */
  readonly adaptorIndex: number;
  readonly cetIndex: number;
  readonly partIndex: number;
  readonly match: AdaptorMatch;
  /** Indices into the part's announcements (one index, 0, for a single oracle). */
  readonly oracleIndices: readonly number[];
  /** 33-byte compressed adaptor point. */
  readonly point: Uint8Array;
}

/** The contract's CETs and its adaptor points, in signing order. */
export interface ContractLayout {
  readonly cets: readonly ContractCet[];
  readonly adaptorPoints: readonly AdaptorPointEntry[];
}

/** The contract cannot be handled by this implementation (not: the contract is invalid). */
export class UnsupportedContractError extends Error {
  override readonly name = 'UnsupportedContractError';
  readonly code = 'unsupported_contract';
}

/** The contract info is invalid (bad threshold, event mismatch between oracles, …). */
export class InvalidContractInfoError extends Error {
  override readonly name = 'InvalidContractInfoError';
  readonly code = 'invalid_contract_info';
}

// ---------------------------------------------------------------------------------------------
// Oracle subsets

/**
 * All `t`-element subsets of `0 … n−1` in lexicographic order (`[0,1,2], [0,1,3], …`): the order
 * of adaptor signatures per outcome in a t-of-n contract (rust-dlc
 * `dlc-trie/src/combination_iterator.rs`; DLC-NOTES.md §4).
 */
export function oracleSubsets(n: number, t: number): number[][] {
  if (!Number.isInteger(n) || !Number.isInteger(t) || t < 1 || t > n) {
    throw new RangeError(`no ${t}-of-${n} subsets`);
  }
  const out: number[][] = [];
  const current = Array.from({ length: t }, (_, i) => i);
  for (;;) {
    out.push(current.slice());
    // Advance the rightmost index that can still move, reset the ones after it.
    let i = t - 1;
    while (i >= 0 && current[i] === n - t + i) i--;
    if (i < 0) return out;
    current[i] = (current[i] as number) + 1;
    for (let j = i + 1; j < t; j++) current[j] = (current[j - 1] as number) + 1;
  }
}

/** The announcements of an `oracle_info` with its threshold (1 for a single oracle). */
export function oraclesOf(info: OracleInfo): {
  announcements: readonly OracleAnnouncement[];
  threshold: number;
} {
  return info.kind === 'single'
    ? { announcements: [info.announcement], threshold: 1 }
    : { announcements: info.announcements, threshold: info.threshold };
}

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Checks a contract info: a single contract has one part; every multi-oracle part has
 * `1 ≤ threshold ≤ n` and n ≥ 1; each part's descriptor is valid against *every* announcement
 * of the part (same outcomes / base / digits, payouts within the total collateral;
 * {@link validateContractDescriptor}); no numeric part with an allowed difference (unsupported).
 * Does not verify the announcements' signatures (see `verifyAnnouncement`).
 * @throws InvalidContractInfoError, InvalidContractDescriptorError, UnsupportedContractError
 */
export function validateContractInfo(info: ContractInfo): void {
  if (info.parts.length === 0) throw new InvalidContractInfoError('contract info without parts');
  if (info.kind === 'single' && info.parts.length !== 1) {
    throw new InvalidContractInfoError('a single contract info has exactly one part');
  }
  info.parts.forEach((part, p) => {
    const { announcements, threshold } = oraclesOf(part.oracleInfo);
    if (announcements.length === 0) {
      throw new InvalidContractInfoError(`part ${p}: no oracle announcement`);
    }
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > announcements.length) {
      throw new InvalidContractInfoError(
        `part ${p}: threshold ${threshold} of ${announcements.length} oracles`,
      );
    }
    if (
      part.oracleInfo.kind === 'multi' &&
      part.oracleInfo.oracleParams !== undefined &&
      part.descriptor.kind === 'numeric'
    ) {
      throw new UnsupportedContractError(
        `part ${p}: numeric multi-oracle contracts with an allowed difference (oracle_params) are not supported`,
      );
    }
    for (const a of announcements) {
      validateContractDescriptor(part.descriptor, a.event.descriptor, info.totalCollateral);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The layout: CETs and adaptor points

/**
 * The point arithmetic of {@link contractLayout}: per-digit and enum-outcome attestation points
 * and their sums. The default is @noble/curves ({@link nobleLayoutPoints}, the reference);
 * `src/native` has one over libsecp256k1. Every backend gives the same encoded points (a point
 * is a group element: the encoding of a sum does not depend on how it was added up).
 */
export interface LayoutPointOps<P> {
  /** `points[i][j]` of `precomputeDigitPoints` (position i, j-th outcome there). */
  digitPoints(a: OracleAnnouncement, convention: HashConvention): readonly (readonly P[])[];
  /** The attestation point of an enum outcome (its announcement's single nonce). */
  enumPoint(a: OracleAnnouncement, outcome: string, convention: HashConvention): P;
  /** `a + b`; either may be {@link zero}, and so may the result. */
  add(a: P, b: P): P;
  /** The point at infinity. */
  readonly zero: P;
  /** 33-byte compressed encoding. @throws RangeError at infinity */
  encode(p: P): Uint8Array;
}

/** {@link LayoutPointOps} over @noble/curves: the reference. */
export const nobleLayoutPoints: LayoutPointOps<SecpPoint> = {
  digitPoints: (a, convention) => precomputeDigitPoints(a, convention).points,
  enumPoint: (a, outcome, convention) => enumOutcomePoint(a, outcome, convention),
  add: (a, b) => a.add(b),
  zero: secp256k1.Point.ZERO,
  encode: encodePoint,
};

/** DLC-NOTES.md §4: `S(o) = lift_x(R) + e·lift_x(P)` of an enum announcement's single nonce. */
function enumOutcomePoint(
  a: OracleAnnouncement,
  outcome: string,
  convention: HashConvention,
): SecpPoint {
  const nonce = a.event.nonces[0];
  if (nonce === undefined) throw new InvalidContractInfoError('enum announcement without nonce');
  return decodePoint(
    attestationPoint(a.oraclePublicKey, nonce, outcome.normalize('NFC'), convention),
  );
}

/**
 * The CETs and adaptor points of a contract, in the order of DLC-NOTES.md §6. `convention` is the
 * oracles' hashing convention (`tagged` for Verdict, `sha256` for rust-dlc oracles and the
 * dlcspecs protocol-v1 vectors).
 * @throws as {@link validateContractInfo}
 */
export function contractLayout(
  info: ContractInfo,
  convention: HashConvention,
  points: LayoutPointOps<unknown> = nobleLayoutPoints,
): ContractLayout {
  return layoutWith(info, convention, points);
}

function layoutWith<P>(
  info: ContractInfo,
  convention: HashConvention,
  ops: LayoutPointOps<P>,
): ContractLayout {
  validateContractInfo(info);
  const sum = (terms: readonly P[]): P => terms.reduce((acc, p) => ops.add(acc, p), ops.zero);
  const cets: ContractCet[] = [];
  const adaptorPoints: AdaptorPointEntry[] = [];
  const push = (
    cetIndex: number,
    partIndex: number,
    match: AdaptorMatch,
    oracleIndices: readonly number[],
    point: P,
  ): void => {
    adaptorPoints.push({
      adaptorIndex: adaptorPoints.length,
      cetIndex,
      partIndex,
      match,
      oracleIndices,
      point: ops.encode(point),
    });
  };

  info.parts.forEach((part, partIndex) => {
    const { announcements, threshold } = oraclesOf(part.oracleInfo);
    const subsets = oracleSubsets(announcements.length, threshold);
    const d = part.descriptor;
    if (d.kind === 'enum') {
      for (const { outcome, offerPayout } of cetsForEnum(d)) {
        const cetIndex = cets.length;
        cets.push({
          cetIndex,
          partIndex,
          outcome: { kind: 'enum', outcome },
          offerPayout,
          acceptPayout: info.totalCollateral - offerPayout,
        });
        const perOracle = announcements.map((a) => ops.enumPoint(a, outcome, convention));
        for (const subset of subsets) {
          push(
            cetIndex,
            partIndex,
            { kind: 'enum', outcome },
            subset,
            sum(subset.map((j) => perOracle[j] as P)),
          );
        }
      }
      return;
    }
    // Numeric: every oracle has a digits event with the descriptor's base and nbDigits
    // (validated above); its per-digit points are computed once.
    const digitPoints = announcements.map((a) => ops.digitPoints(a, convention));
    const first = announcements[0]!.event.descriptor;
    if (first.kind !== 'digits') throw new InvalidContractInfoError('numeric part on enum event');
    const ranges = numericRangePayouts(d, info.totalCollateral);
    const cetBase = cets.length;
    ranges.forEach((r, i) => {
      cets.push({
        cetIndex: cetBase + i,
        partIndex,
        outcome: { kind: 'numeric', start: r.start, end: r.start + r.count - 1n },
        offerPayout: r.offerPayout,
        acceptPayout: info.totalCollateral - r.offerPayout,
      });
    });
    // Σ_i S_{j,i}(prefix_i) per oracle j, then the sum over each subset. The prefixes come in
    // order, so consecutive ones share a head: its partial sums (per oracle) are kept and only
    // the differing tail is added (a trie walk: about one addition per prefix and oracle).
    const partial: P[][] = digitPoints.map(() => []);
    let previous: readonly number[] = [];
    for (const { cetIndex, prefix } of cetsForNumeric(ranges, first.base, d.nbDigits)) {
      let shared = 0;
      while (
        shared < previous.length &&
        shared < prefix.length &&
        previous[shared] === prefix[shared]
      ) {
        shared++;
      }
      const perOracle = digitPoints.map((dp, j) => {
        const sums = partial[j]!;
        sums.length = shared;
        for (let i = shared; i < prefix.length; i++) {
          const term = dp[i]?.[prefix[i]!];
          if (term === undefined) throw new RangeError(`digit ${prefix[i]} out of range at ${i}`);
          sums.push(ops.add(i === 0 ? ops.zero : sums[i - 1]!, term));
        }
        return sums[prefix.length - 1]!;
      });
      previous = prefix;
      for (const subset of subsets) {
        push(
          cetBase + cetIndex,
          partIndex,
          { kind: 'numeric', prefix },
          subset,
          sum(subset.map((j) => perOracle[j] as P)),
        );
      }
    }
  });
  return { cets, adaptorPoints };
}

// ---------------------------------------------------------------------------------------------
// CET transactions

/** Everything besides the contract info that the CETs depend on (offer_dlc / accept_dlc fields). */
export interface BuildContractCetsParams {
  readonly contractInfo: ContractInfo;
  readonly convention: HashConvention;
  /** Funding txid, display order. */
  readonly fundingTxid: string | Uint8Array;
  readonly fundOutputIndex: number;
  readonly fundOutputValue: bigint;
  /** The 2-of-2 funding script (BIP143 script code of every CET). */
  readonly fundingScript: Uint8Array;
  readonly offerPayoutSpk: Uint8Array;
  readonly acceptPayoutSpk: Uint8Array;
  readonly offerPayoutSerialId: bigint;
  readonly acceptPayoutSerialId: bigint;
  readonly cetLocktime: number;
  /** Point arithmetic of the adaptor points (default {@link nobleLayoutPoints}; same result). */
  readonly points?: LayoutPointOps<unknown>;
}

/**
 * A CET with its unsigned transaction and BIP143 sighash. The sighash is computed up front; the
 * transaction object is built on first read (only execution and watching need it).
 */
export interface BuiltCet extends ContractCet {
  readonly tx: Transaction;
  readonly sighash: Uint8Array;
}

/** The CETs of a contract and the adaptor points; `adaptorPoints[k].cetIndex` indexes `cets`. */
export interface ContractCets {
  readonly cets: readonly BuiltCet[];
  readonly adaptorPoints: readonly AdaptorPointEntry[];
}

/**
 * Builds every CET of the contract (Transactions.md "Contract Execution Transaction") with its
 * sighash, and the adaptor points in signing order: what both parties need to create and verify
 * `cet_adaptor_signatures`.
 */
export function buildContractCets(params: BuildContractCetsParams): ContractCets {
  const layout = contractLayout(params.contractInfo, params.convention, params.points);
  // One BIP143 preimage for all CETs, only hashOutputs differs (transactions.ts, same digest as
  // cetSighash(buildCet(…))); the Transaction object is built when first read.
  const sighashOf = cetSighashFn(params);
  const cets = layout.cets.map((cet): BuiltCet => {
    const sighash = sighashOf(cet.offerPayout, cet.acceptPayout);
    let tx: Transaction | undefined;
    return {
      ...cet,
      sighash,
      get tx(): Transaction {
        tx ??= buildCet({
          fundingTxid: params.fundingTxid,
          fundOutputIndex: params.fundOutputIndex,
          offerPayout: cet.offerPayout,
          acceptPayout: cet.acceptPayout,
          offerPayoutSpk: params.offerPayoutSpk,
          acceptPayoutSpk: params.acceptPayoutSpk,
          offerPayoutSerialId: params.offerPayoutSerialId,
          acceptPayoutSerialId: params.acceptPayoutSerialId,
          cetLocktime: params.cetLocktime,
        });
        return tx;
      },
    };
  });
  return { cets, adaptorPoints: layout.adaptorPoints };
}

// ---------------------------------------------------------------------------------------------
// Wire codec (protocol v1, DLC-NOTES.md §5): sibling sub-types are a bigsize variant index,
// Optional(x) is 00 | 01 ‖ x, the announcements are whole TLV records.

function writeOracleInfo(w: WireWriter, info: OracleInfo): void {
  if (info.kind === 'single') {
    w.bigsize(0).raw(encodeAnnouncement(info.announcement));
    return;
  }
  w.bigsize(1).u16(info.threshold).bigsize(info.announcements.length);
  for (const a of info.announcements) w.raw(encodeAnnouncement(a));
  if (info.oracleParams === undefined) {
    w.bool(false);
  } else {
    const p = info.oracleParams;
    w.bool(true).u16(p.maxErrorExp).u16(p.minFailExp).bool(p.maximizeCoverage);
  }
}

function readOracleInfo(r: WireReader): OracleInfo {
  const variant = r.bigsize('oracle_info type');
  if (variant === 0) {
    return { kind: 'single', announcement: decodeAnnouncement(r.tlvRecord('oracle_announcement')) };
  }
  if (variant !== 1) throw new DecodeError(`unknown oracle_info type ${variant}`);
  const threshold = r.u16('threshold');
  const n = r.bigsize('number of oracles');
  const announcements = Array.from({ length: n }, () =>
    decodeAnnouncement(r.tlvRecord('oracle_announcement')),
  );
  const present = r.bool('oracle_params present');
  if (!present) return { kind: 'multi', threshold, announcements };
  const oracleParams: OracleParams = {
    maxErrorExp: r.u16('maxErrorExp'),
    minFailExp: r.u16('minFailExp'),
    maximizeCoverage: r.bool('maximize_coverage'),
  };
  return { kind: 'multi', threshold, announcements, oracleParams };
}

/** Serializes a `contract_info` (variant 0 single, 1 disjoint). */
export function encodeContractInfo(info: ContractInfo): Uint8Array {
  const w = new WireWriter(CONTRACT_RULES);
  if (info.kind === 'single') {
    const part = info.parts[0];
    if (part === undefined || info.parts.length !== 1) {
      throw new InvalidContractInfoError('a single contract info has exactly one part');
    }
    w.bigsize(0).u64(info.totalCollateral).raw(serializeContractDescriptor(part.descriptor));
    writeOracleInfo(w, part.oracleInfo);
    return w.finish();
  }
  w.bigsize(1).u64(info.totalCollateral).bigsize(info.parts.length);
  for (const part of info.parts) {
    w.raw(serializeContractDescriptor(part.descriptor));
    writeOracleInfo(w, part.oracleInfo);
  }
  return w.finish();
}

/**
 * Decodes a `contract_info` starting at `offset` (e.g. inside an `offer_dlc`) and returns the
 * offset just past it. Structural only: call {@link validateContractInfo}.
 * @throws DecodeError
 */
export function decodeContractInfoAt(
  bytes: Uint8Array,
  offset = 0,
): { info: ContractInfo; end: number } {
  const r = new WireReader(bytes, CONTRACT_RULES, offset);
  const variant = r.bigsize('contract_info type');
  if (variant !== 0 && variant !== 1)
    throw new DecodeError(`unknown contract_info type ${variant}`);
  const totalCollateral = r.u64('total_collateral');
  const count = variant === 0 ? 1 : r.bigsize('number of contract infos');
  const parts: ContractPart[] = [];
  for (let i = 0; i < count; i++) {
    const { descriptor, end } = decodeContractDescriptorAt(bytes, r.pos);
    r.pos = end;
    parts.push({ descriptor, oracleInfo: readOracleInfo(r) });
  }
  return {
    info: { kind: variant === 0 ? 'single' : 'disjoint', totalCollateral, parts },
    end: r.pos,
  };
}

/** Decodes a `contract_info` that fills `bytes` exactly. @throws DecodeError */
export function decodeContractInfo(bytes: Uint8Array): ContractInfo {
  const { info, end } = decodeContractInfoAt(bytes, 0);
  if (end !== bytes.length)
    throw new DecodeError(`${bytes.length - end} trailing bytes after contract_info`);
  return info;
}
