/**
 * Contract descriptors (dlcspecs Messaging.md "contract_descriptor", protocol version 1;
 * DLC-NOTES.md §5): the offerer's payout per enum outcome, or a numeric payout function with its
 * rounding intervals. Only the offerer's payout is stated; the accepter gets
 * `total_collateral − payout`.
 *
 * Also here: validation against the oracle event and the collateral, the enum CET list, the wire
 * codec, and the conversion to and from @node-dlc/messaging 1.1.7 classes.
 *
 * Why a codec of our own beside node-dlc's classes: node-dlc 1.1.7 writes the six hyperbola
 * parameters as raw IEEE-754 f64, while the spec (and its rust-dlc-made vectors) writes each as
 * `bool sign ‖ u64 integer ‖ u16 fraction/2^16`; it writes an enum outcome's UTF-16 length
 * instead of its UTF-8 byte length; and its numeric decoder does not report where the descriptor
 * ends. Polynomial and enum descriptors are byte-identical both ways (tested).
 */
import {
  EnumeratedDescriptor,
  HyperbolaPayoutCurvePiece as NodeDlcHyperbolaPiece,
  NumericalDescriptor,
  PayoutFunction as NodeDlcPayoutFunction,
  PolynomialPayoutCurvePiece as NodeDlcPolynomialPiece,
  RoundingIntervals as NodeDlcRoundingIntervals,
  type ContractDescriptor as NodeDlcContractDescriptor,
} from '@node-dlc/messaging';
import { outcomeCount } from './digit-decomposition.ts';
import type { EventDescriptor } from './oracle-types.ts';
import {
  computeRangePayouts,
  firstPoint,
  InvalidPayoutFunctionError,
  lastPoint,
  validatePayoutFunction,
  type HyperbolaPayoutCurvePiece,
  type PayoutFunction,
  type PayoutFunctionPiece,
  type PayoutPoint,
  type RangePayout,
} from './payout-curve.ts';
import {
  InvalidRoundingIntervalsError,
  validateRoundingIntervals,
  type RoundingIntervals,
} from './rounding.ts';
import { DESCRIPTOR_RULES, DecodeError, U64_MAX, WireReader, WireWriter } from './wire.ts';

/** The offerer's payout when the oracle attests `outcome`. */
export type EnumOutcomePayout = { outcome: string; offerPayout: bigint };

/** `enumerated_contract_descriptor`: one payout per outcome of an enum event, in CET order. */
export type EnumContractDescriptor = { kind: 'enum'; payouts: readonly EnumOutcomePayout[] };

/** `numeric_outcome_contract_descriptor`. */
export type NumericContractDescriptor = {
  kind: 'numeric';
  /** `num_digits`: the number of digits the oracle(s) attest. */
  nbDigits: number;
  payoutFunction: PayoutFunction;
  roundingIntervals: RoundingIntervals;
};

export type ContractDescriptor = EnumContractDescriptor | NumericContractDescriptor;

/** A descriptor that cannot be used with the given event or collateral. */
export class InvalidContractDescriptorError extends Error {
  readonly code = 'invalid_contract_descriptor';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidContractDescriptorError';
  }
}

/** The descriptor cannot be expressed with @node-dlc/messaging 1.1.7 classes. */
export class UnsupportedByNodeDlcError extends Error {
  readonly code = 'unsupported_by_node_dlc';
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedByNodeDlcError';
  }
}

function checkCollateral(totalCollateral: bigint): void {
  if (totalCollateral < 0n || totalCollateral > U64_MAX) {
    throw new RangeError(`total collateral ${totalCollateral} is not a u64`);
  }
}

/**
 * Messaging.md / #187: exactly one payout for every outcome the oracle can attest (rust-dlc:
 * the descriptor's outcomes equal the event's as a set), and no payout above the collateral.
 */
export function validateEnumDescriptor(
  d: EnumContractDescriptor,
  eventOutcomes: readonly string[],
  totalCollateral: bigint,
): void {
  checkCollateral(totalCollateral);
  const expected = new Set(eventOutcomes);
  const seen = new Set<string>();
  for (const { outcome, offerPayout } of d.payouts) {
    if (!expected.has(outcome)) {
      throw new InvalidContractDescriptorError(
        `outcome "${outcome}" is not an outcome of the event`,
      );
    }
    if (seen.has(outcome))
      throw new InvalidContractDescriptorError(`outcome "${outcome}" has two payouts`);
    seen.add(outcome);
    if (offerPayout < 0n || offerPayout > totalCollateral) {
      throw new InvalidContractDescriptorError(
        `payout ${offerPayout} for "${outcome}" is outside [0, total collateral ${totalCollateral}]`,
      );
    }
  }
  for (const outcome of expected) {
    if (!seen.has(outcome))
      throw new InvalidContractDescriptorError(`outcome "${outcome}" has no payout`);
  }
}

function allPoints(piece: PayoutFunctionPiece): readonly PayoutPoint[] {
  return piece.kind === 'polynomial'
    ? piece.payoutPoints
    : [piece.leftEndPoint, piece.rightEndPoint];
}

/**
 * A numeric descriptor is usable with a `base`-digit event of `nbDigits` digits (rust-dlc
 * `NumericalDescriptor::validate`, DLC-NOTES.md §5): the payout function is valid and continuous,
 * starts at outcome 0 and ends at `base^nbDigits − 1`, its end points strictly increase, no point
 * pays more than the collateral, and the rounding intervals are valid.
 */
export function validateNumericDescriptor(
  d: NumericContractDescriptor,
  base: number,
  totalCollateral: bigint,
): void {
  checkCollateral(totalCollateral);
  if (!Number.isInteger(d.nbDigits) || d.nbDigits < 1 || d.nbDigits > 0xffff) {
    throw new InvalidContractDescriptorError(`num_digits ${d.nbDigits} is not a u16 ≥ 1`);
  }
  try {
    validatePayoutFunction(d.payoutFunction);
    validateRoundingIntervals(d.roundingIntervals);
  } catch (e) {
    if (e instanceof InvalidPayoutFunctionError || e instanceof InvalidRoundingIntervalsError) {
      throw new InvalidContractDescriptorError(e.message);
    }
    throw e;
  }
  const pieces = d.payoutFunction.payoutFunctionPieces;
  const start = firstPoint(pieces[0]!).eventOutcome;
  const end = lastPoint(pieces[pieces.length - 1]!).eventOutcome;
  const maxOutcome = outcomeCount(base, d.nbDigits) - 1n;
  if (start !== 0n)
    throw new InvalidContractDescriptorError(`the payout function starts at ${start}, not 0`);
  if (end !== maxOutcome) {
    throw new InvalidContractDescriptorError(
      `the payout function ends at ${end}, not ${maxOutcome}`,
    );
  }
  for (const piece of pieces) {
    for (const p of allPoints(piece)) {
      if (p.outcomePayout > totalCollateral) {
        throw new InvalidContractDescriptorError(
          `the payout ${p.outcomePayout} at outcome ${p.eventOutcome} exceeds the total collateral ${totalCollateral}`,
        );
      }
    }
  }
}

/**
 * Validates a descriptor against the event it is built on: enum descriptors need an enum event,
 * numeric ones a digit-decomposition event with the same number of digits. Signed numeric events
 * are not supported (the spec's numeric contracts are unsigned).
 */
export function validateContractDescriptor(
  d: ContractDescriptor,
  event: EventDescriptor,
  totalCollateral: bigint,
): void {
  if (d.kind === 'enum') {
    if (event.kind !== 'enum')
      throw new InvalidContractDescriptorError('an enum descriptor needs an enum event');
    validateEnumDescriptor(d, event.outcomes, totalCollateral);
    return;
  }
  if (event.kind !== 'digits') {
    throw new InvalidContractDescriptorError(
      'a numeric descriptor needs a digit-decomposition event',
    );
  }
  if (event.isSigned)
    throw new InvalidContractDescriptorError(
      'numeric descriptors on signed events are not supported',
    );
  if (event.nbDigits !== d.nbDigits) {
    throw new InvalidContractDescriptorError(
      `num_digits ${d.nbDigits} differs from the event's ${event.nbDigits}`,
    );
  }
  validateNumericDescriptor(d, event.base, totalCollateral);
}

/**
 * The range payouts of a numeric descriptor (one CET each; DLC-NOTES.md §5). See
 * {@link computeRangePayouts} for the cap on evaluated outcomes.
 */
export function numericRangePayouts(
  d: NumericContractDescriptor,
  totalCollateral: bigint,
  maxEvaluatedOutcomes?: bigint,
): RangePayout[] {
  return computeRangePayouts(
    d.payoutFunction,
    d.roundingIntervals,
    totalCollateral,
    maxEvaluatedOutcomes,
  );
}

/** One CET of an enum contract. */
export type EnumCet = { cetIndex: number; outcome: string; offerPayout: bigint };

/** The CETs of an enum contract: CET index = the outcome's position in the descriptor (DLC-NOTES.md §6). */
export function cetsForEnum(d: EnumContractDescriptor): EnumCet[] {
  return d.payouts.map(({ outcome, offerPayout }, cetIndex) => ({
    cetIndex,
    outcome,
    offerPayout,
  }));
}

// ---------------------------------------------------------------------------------------------
// Wire codec (Messaging.md, protocol version 1; DLC-NOTES.md §5)

/** PayoutCurve.md: a hyperbola parameter is `bool sign (true = ≥ 0) ‖ u64 integer ‖ u16 fraction/2^16`. */
function writeF64Param(w: WireWriter, v: number): void {
  if (!Number.isFinite(v)) throw new RangeError(`hyperbola parameter ${v} is not finite`);
  const abs = Math.abs(v);
  const int = Math.floor(abs);
  w.bool(v >= 0);
  w.u64(BigInt(int));
  // Fractions finer than 2^-16 cannot be sent; they are truncated toward zero.
  w.u16(Math.floor((abs - int) * 65536));
}

function readF64Param(r: WireReader, what: string): number {
  const positive = r.bool(`${what} sign`);
  const abs = Number(r.u64(what)) + r.u16(`${what} fraction`) / 65536;
  return positive ? abs : -abs;
}

function writePoint(w: WireWriter, p: PayoutPoint): void {
  w.u64(p.eventOutcome);
  w.u64(p.outcomePayout);
  w.u16(p.extraPrecision);
}

function readPoint(r: WireReader): PayoutPoint {
  return {
    eventOutcome: r.u64('event_outcome'),
    outcomePayout: r.u64('outcome_payout'),
    extraPrecision: r.u16('extra_precision'),
  };
}

function writeNumeric(w: WireWriter, d: NumericContractDescriptor): void {
  w.u16(d.nbDigits);
  const pieces = d.payoutFunction.payoutFunctionPieces;
  if (pieces.length === 0)
    throw new InvalidContractDescriptorError('a payout function needs at least one piece');
  w.bigsize(pieces.length);
  for (const piece of pieces) {
    writePoint(w, firstPoint(piece));
    if (piece.kind === 'polynomial') {
      w.bigsize(0);
      const interior = piece.payoutPoints.slice(1, -1);
      w.bigsize(interior.length);
      interior.forEach((p) => writePoint(w, p));
    } else {
      w.bigsize(1);
      w.bool(piece.usePositivePiece);
      for (const v of [
        piece.translateOutcome,
        piece.translatePayout,
        piece.a,
        piece.b,
        piece.c,
        piece.d,
      ]) {
        writeF64Param(w, v);
      }
    }
  }
  writePoint(w, lastPoint(pieces[pieces.length - 1]!));
  w.bigsize(d.roundingIntervals.length);
  for (const { beginInterval, roundingMod } of d.roundingIntervals) {
    w.u64(beginInterval);
    w.u64(roundingMod);
  }
}

/**
 * Serializes a contract descriptor as protocol v1 `contract_descriptor`: a bigsize variant
 * (0 enum, 1 numeric) followed by its fields. Neighbouring pieces share their end point on the
 * wire; a hyperbola parameter is written at 1/2^16 resolution.
 */
export function serializeContractDescriptor(d: ContractDescriptor): Uint8Array {
  const w = new WireWriter(DESCRIPTOR_RULES);
  if (d.kind === 'enum') {
    w.bigsize(0);
    w.bigsize(d.payouts.length);
    for (const { outcome, offerPayout } of d.payouts) {
      w.string(outcome);
      w.u64(offerPayout);
    }
  } else {
    w.bigsize(1);
    writeNumeric(w, d);
  }
  return w.finish();
}

/**
 * Decodes a `contract_descriptor` starting at `offset` and returns it with the offset just past
 * it (for use inside `contract_info`). Structural only: validate against the event separately.
 */
export function decodeContractDescriptorAt(
  bytes: Uint8Array,
  offset = 0,
): { descriptor: ContractDescriptor; end: number } {
  const r = new WireReader(bytes, DESCRIPTOR_RULES, offset);
  const variant = r.bigsize('contract_descriptor type');
  if (variant === 0) {
    const n = r.bigsize('number of outcomes');
    const payouts: EnumOutcomePayout[] = [];
    for (let i = 0; i < n; i++)
      payouts.push({ outcome: r.string('outcome'), offerPayout: r.u64('offer_payout') });
    return { descriptor: { kind: 'enum', payouts }, end: r.pos };
  }
  if (variant !== 1) throw new DecodeError(`unknown contract_descriptor type ${variant}`);
  const nbDigits = r.u16('num_digits');
  const nbPieces = r.bigsize('num_pieces');
  if (nbPieces === 0) throw new DecodeError('payout function without pieces');
  type Raw = {
    left: PayoutPoint;
    build: (left: PayoutPoint, right: PayoutPoint) => PayoutFunctionPiece;
  };
  const raws: Raw[] = [];
  for (let i = 0; i < nbPieces; i++) {
    const left = readPoint(r);
    const kind = r.bigsize('payout_curve_piece type');
    if (kind === 0) {
      const n = r.bigsize('num_points');
      const interior: PayoutPoint[] = [];
      for (let j = 0; j < n; j++) interior.push(readPoint(r));
      raws.push({
        left,
        build: (l, rt) => ({ kind: 'polynomial', payoutPoints: [l, ...interior, rt] }),
      });
    } else if (kind === 1) {
      const usePositivePiece = r.bool('use_positive_piece');
      const [translateOutcome, translatePayout, a, b, c, dd] = [
        'translate_outcome',
        'translate_payout',
        'a',
        'b',
        'c',
        'd',
      ].map((name) => readF64Param(r, name)) as [number, number, number, number, number, number];
      raws.push({
        left,
        build: (l, rt): HyperbolaPayoutCurvePiece => ({
          kind: 'hyperbola',
          leftEndPoint: l,
          rightEndPoint: rt,
          usePositivePiece,
          translateOutcome,
          translatePayout,
          a,
          b,
          c,
          d: dd,
        }),
      });
    } else throw new DecodeError(`unknown payout_curve_piece type ${kind}`);
  }
  const last = readPoint(r);
  const payoutFunctionPieces = raws.map((raw, i) => raw.build(raw.left, raws[i + 1]?.left ?? last));
  const nbIntervals = r.bigsize('number of rounding intervals');
  const roundingIntervals = [];
  for (let i = 0; i < nbIntervals; i++) {
    roundingIntervals.push({
      beginInterval: r.u64('begin_interval'),
      roundingMod: r.u64('rounding_mod'),
    });
  }
  return {
    descriptor: {
      kind: 'numeric',
      nbDigits,
      payoutFunction: { payoutFunctionPieces },
      roundingIntervals,
    },
    end: r.pos,
  };
}

/** Decodes a `contract_descriptor` that must fill `bytes` exactly. */
export function deserializeContractDescriptor(bytes: Uint8Array): ContractDescriptor {
  const { descriptor, end } = decodeContractDescriptorAt(bytes, 0);
  if (end !== bytes.length)
    throw new DecodeError(`${bytes.length - end} trailing bytes after contract_descriptor`);
  return descriptor;
}

// ---------------------------------------------------------------------------------------------
// @node-dlc/messaging 1.1.7

/**
 * The @node-dlc/messaging 1.1.7 class of a descriptor (`EnumeratedDescriptor` or
 * `NumericalDescriptor`), which serializes to the same bytes as {@link serializeContractDescriptor}.
 * @throws UnsupportedByNodeDlcError for hyperbola pieces (node-dlc writes them as raw f64) and for
 * non-ASCII enum outcomes (node-dlc writes the UTF-16 length).
 */
export function toNodeDlcContractDescriptor(
  d: ContractDescriptor,
): EnumeratedDescriptor | NumericalDescriptor {
  if (d.kind === 'enum') {
    const out = new EnumeratedDescriptor();
    out.outcomes = d.payouts.map(({ outcome, offerPayout }) => {
      // eslint-disable-next-line no-control-regex -- \x00-\x7f is the ASCII range on purpose, not a stray control character
      if (!/^[\x00-\x7f]*$/.test(outcome)) {
        throw new UnsupportedByNodeDlcError(
          `node-dlc 1.1.7 mis-encodes the non-ASCII outcome "${outcome}"`,
        );
      }
      return { outcome, localPayout: offerPayout };
    });
    return out;
  }
  const out = new NumericalDescriptor();
  out.numDigits = d.nbDigits;
  const fn = new NodeDlcPayoutFunction();
  const pieces = d.payoutFunction.payoutFunctionPieces;
  fn.payoutFunctionPieces = pieces.map((piece) => {
    if (piece.kind === 'hyperbola') {
      throw new UnsupportedByNodeDlcError(
        'node-dlc 1.1.7 serializes hyperbola parameters as raw f64, not per the spec',
      );
    }
    const p = new NodeDlcPolynomialPiece();
    p.points = piece.payoutPoints.slice(1, -1).map((x) => ({ ...x }));
    return { endPoint: { ...firstPoint(piece) }, payoutCurvePiece: p };
  });
  const lastPiece = pieces[pieces.length - 1];
  if (lastPiece === undefined)
    throw new InvalidContractDescriptorError('a payout function needs at least one piece');
  fn.lastEndpoint = { ...lastPoint(lastPiece) };
  out.payoutFunction = fn;
  const rounding = new NodeDlcRoundingIntervals();
  rounding.intervals = d.roundingIntervals.map((i) => ({ ...i }));
  out.roundingIntervals = rounding;
  return out;
}

/**
 * A descriptor from @node-dlc/messaging 1.1.7 classes (as `ContractDescriptor.deserialize` or
 * `fromJSON` return them). @throws UnsupportedByNodeDlcError for hyperbola pieces, whose
 * parameters node-dlc 1.1.7 does not decode per the spec; use {@link deserializeContractDescriptor}.
 */
export function fromNodeDlcContractDescriptor(d: NodeDlcContractDescriptor): ContractDescriptor {
  if (d instanceof EnumeratedDescriptor) {
    return {
      kind: 'enum',
      payouts: d.outcomes.map((o) => ({ outcome: o.outcome, offerPayout: o.localPayout })),
    };
  }
  if (!(d instanceof NumericalDescriptor))
    throw new TypeError('not a node-dlc contract descriptor');
  const pts = (p: {
    eventOutcome: bigint;
    outcomePayout: bigint;
    extraPrecision: number;
  }): PayoutPoint => ({
    eventOutcome: BigInt(p.eventOutcome),
    outcomePayout: BigInt(p.outcomePayout),
    extraPrecision: p.extraPrecision,
  });
  const src = d.payoutFunction.payoutFunctionPieces;
  const payoutFunctionPieces = src.map((piece, i): PayoutFunctionPiece => {
    if (
      piece.payoutCurvePiece instanceof NodeDlcHyperbolaPiece ||
      !(piece.payoutCurvePiece instanceof NodeDlcPolynomialPiece)
    ) {
      throw new UnsupportedByNodeDlcError(
        'node-dlc 1.1.7 does not decode hyperbola pieces per the spec',
      );
    }
    const right = src[i + 1]?.endPoint ?? d.payoutFunction.lastEndpoint;
    return {
      kind: 'polynomial',
      payoutPoints: [pts(piece.endPoint), ...piece.payoutCurvePiece.points.map(pts), pts(right)],
    };
  });
  return {
    kind: 'numeric',
    nbDigits: d.numDigits,
    payoutFunction: { payoutFunctionPieces },
    roundingIntervals: d.roundingIntervals.intervals.map((i) => ({
      beginInterval: BigInt(i.beginInterval),
      roundingMod: BigInt(i.roundingMod),
    })),
  };
}
