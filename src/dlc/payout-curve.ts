/**
 * Payout functions of numeric contracts and their range payouts (dlcspecs PayoutCurve.md and
 * NumericOutcome.md; DLC-NOTES.md §5).
 *
 * Pieces use rust-dlc's in-memory shape: every piece carries both of its end points (the wire
 * format shares the end point between neighbouring pieces; `contract-descriptor.ts` converts).
 * Evaluation is in f64 exactly as rust-dlc `dlc-manager/src/payout_curve.rs` does it, so that the
 * range payouts (and therefore the CETs and adaptor signatures) match rust-dlc and the spec's
 * protocol-v1 vectors bit for bit.
 */
import { roundingModAt, roundPayout, type RoundingIntervals } from './rounding.ts';

/** A point of a payout curve. The payout is `outcomePayout + extraPrecision / 2^16`. */
export type PayoutPoint = { eventOutcome: bigint; outcomePayout: bigint; extraPrecision: number };

/** `polynomial_payout_curve_piece`: Lagrange interpolation through all `payoutPoints`. */
export type PolynomialPayoutCurvePiece = {
  kind: 'polynomial';
  /** Both end points and the interior points, outcomes strictly increasing. */
  payoutPoints: readonly PayoutPoint[];
};

/**
 * `hyperbola_payout_curve_piece`: with `x' = x − translateOutcome` and
 * `r = ±sqrt(x'² − 4ab)`, `y = c·(x' + r)/(2a) + 2ad/(x' + r) + translatePayout`.
 */
export type HyperbolaPayoutCurvePiece = {
  kind: 'hyperbola';
  leftEndPoint: PayoutPoint;
  rightEndPoint: PayoutPoint;
  usePositivePiece: boolean;
  translateOutcome: number;
  translatePayout: number;
  a: number;
  b: number;
  c: number;
  d: number;
};

export type PayoutFunctionPiece = PolynomialPayoutCurvePiece | HyperbolaPayoutCurvePiece;

/** `payout_function`: continuous pieces, each starting where the previous one ends. */
export type PayoutFunction = { payoutFunctionPieces: readonly PayoutFunctionPiece[] };

/**
 * A maximal run of consecutive outcomes `[start, start + count − 1]` that pay the offerer the
 * same amount: one CET (DLC-NOTES.md §5 "range payout").
 */
export type RangePayout = { start: bigint; count: bigint; offerPayout: bigint };

/** A payout function or piece that the spec (or rust-dlc) rejects. */
export class InvalidPayoutFunctionError extends Error {
  readonly code = 'invalid_payout_function';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPayoutFunctionError';
  }
}

/** Evaluating the payout function gave a negative, infinite or NaN payout. */
export class PayoutEvaluationError extends Error {
  readonly code = 'payout_evaluation_failed';
  constructor(
    message: string,
    readonly outcome: bigint,
  ) {
    super(message);
    this.name = 'PayoutEvaluationError';
  }
}

const U64_MAX = (1n << 64n) - 1n;

/** Default cap on outcomes evaluated by {@link computeRangePayouts}: 2^22, four times a 20-digit binary event. */
export const DEFAULT_MAX_EVALUATED_OUTCOMES = 1n << 22n;

function checkPoint(p: PayoutPoint): void {
  if (p.eventOutcome < 0n || p.eventOutcome > U64_MAX) {
    throw new InvalidPayoutFunctionError(`event_outcome ${p.eventOutcome} is not a u64`);
  }
  if (p.outcomePayout < 0n || p.outcomePayout > U64_MAX) {
    throw new InvalidPayoutFunctionError(`outcome_payout ${p.outcomePayout} is not a u64`);
  }
  if (!Number.isInteger(p.extraPrecision) || p.extraPrecision < 0 || p.extraPrecision > 0xffff) {
    throw new InvalidPayoutFunctionError(`extra_precision ${p.extraPrecision} is not a u16`);
  }
}

/** rust-dlc `PolynomialPayoutCurvePiece::new`: at least two points, outcomes strictly increasing. */
export function validatePolynomialPiece(piece: PolynomialPayoutCurvePiece): void {
  if (piece.payoutPoints.length < 2) {
    throw new InvalidPayoutFunctionError('a polynomial piece needs at least two points');
  }
  piece.payoutPoints.forEach(checkPoint);
  for (let i = 1; i < piece.payoutPoints.length; i++) {
    if (piece.payoutPoints[i]!.eventOutcome <= piece.payoutPoints[i - 1]!.eventOutcome) {
      throw new InvalidPayoutFunctionError('polynomial point outcomes must strictly increase');
    }
  }
}

/** rust-dlc `HyperbolaPayoutCurvePiece::new` plus finiteness of the parameters. */
export function validateHyperbolaPiece(piece: HyperbolaPayoutCurvePiece): void {
  checkPoint(piece.leftEndPoint);
  checkPoint(piece.rightEndPoint);
  const { translateOutcome, translatePayout, a, b, c, d } = piece;
  for (const [name, v] of Object.entries({ translateOutcome, translatePayout, a, b, c, d })) {
    if (!Number.isFinite(v))
      throw new InvalidPayoutFunctionError(`hyperbola parameter ${name} is not finite`);
  }
  // PayoutCurve.md: "a*d != b*c" (otherwise the curve degenerates to a constant).
  if (a * d === b * c)
    throw new InvalidPayoutFunctionError('hyperbola parameters must satisfy a*d != b*c');
  if (piece.leftEndPoint.eventOutcome >= piece.rightEndPoint.eventOutcome) {
    throw new InvalidPayoutFunctionError(
      'the left end point outcome must be strictly less than the right end point outcome',
    );
  }
}

/** The point a piece starts at (its left end point). */
export function firstPoint(piece: PayoutFunctionPiece): PayoutPoint {
  return piece.kind === 'polynomial' ? piece.payoutPoints[0]! : piece.leftEndPoint;
}

/** The point a piece ends at (its right end point). */
export function lastPoint(piece: PayoutFunctionPiece): PayoutPoint {
  return piece.kind === 'polynomial'
    ? piece.payoutPoints[piece.payoutPoints.length - 1]!
    : piece.rightEndPoint;
}

function samePoint(x: PayoutPoint, y: PayoutPoint): boolean {
  return (
    x.eventOutcome === y.eventOutcome &&
    x.outcomePayout === y.outcomePayout &&
    x.extraPrecision === y.extraPrecision
  );
}

/**
 * Validates every piece and that the function is continuous (rust-dlc `PayoutFunction::new`):
 * at least one piece, each starting at the previous one's last point.
 */
export function validatePayoutFunction(fn: PayoutFunction): void {
  const pieces = fn.payoutFunctionPieces;
  if (pieces.length === 0)
    throw new InvalidPayoutFunctionError('a payout function needs at least one piece');
  for (const piece of pieces) {
    if (piece.kind === 'polynomial') validatePolynomialPiece(piece);
    else validateHyperbolaPiece(piece);
  }
  for (let i = 1; i < pieces.length; i++) {
    if (!samePoint(lastPoint(pieces[i - 1]!), firstPoint(pieces[i]!))) {
      throw new InvalidPayoutFunctionError(
        `payout function pieces must be continuous: piece ${i} does not start where piece ${i - 1} ends`,
      );
    }
  }
}

function pointPayout(p: PayoutPoint): number {
  return Number(p.outcomePayout) + p.extraPrecision / 65536;
}

/** A 2-point polynomial piece with equal payouts: one range, never evaluated (rust-dlc). */
function isFlat(piece: PayoutFunctionPiece): piece is PolynomialPayoutCurvePiece {
  return (
    piece.kind === 'polynomial' &&
    piece.payoutPoints.length === 2 &&
    piece.payoutPoints[0]!.outcomePayout === piece.payoutPoints[1]!.outcomePayout
  );
}

/**
 * The unrounded payout of a piece at `outcome`, in f64, as rust-dlc `Evaluable::evaluate`
 * computes it (including its shortcuts for 2-point pieces, which ignore `extra_precision`).
 */
export function evaluatePiece(piece: PayoutFunctionPiece, outcome: bigint): number {
  if (piece.kind === 'hyperbola') {
    const x = Number(outcome) - piece.translateOutcome;
    const abs = Math.sqrt(x * x - 4 * piece.a * piece.b);
    const sqrtTerm = piece.usePositivePiece ? abs : -abs;
    const first = (piece.c * (x + sqrtTerm)) / (2 * piece.a);
    const second = (2 * piece.a * piece.d) / (x + sqrtTerm);
    return first + second + piece.translatePayout;
  }
  const pts = piece.payoutPoints;
  if (pts.length === 2) {
    const [left, right] = [pts[0]!, pts[1]!];
    if (left.outcomePayout === right.outcomePayout) return Number(right.outcomePayout);
    // rust-dlc subtracts in u64 (so only increasing lines work there); the difference is taken
    // exactly here and then converted, which gives the same f64 for increasing lines.
    const slope =
      Number(right.outcomePayout - left.outcomePayout) /
      Number(right.eventOutcome - left.eventOutcome);
    return Number(outcome - left.eventOutcome) * slope + Number(left.outcomePayout);
  }
  // Lagrange interpolation (PayoutCurve.md "Polynomial Interpolation"), in rust-dlc's order.
  const x = Number(outcome);
  let result = 0;
  for (let i = 0; i < pts.length; i++) {
    let l = pointPayout(pts[i]!);
    const xi = Number(pts[i]!.eventOutcome);
    for (let j = 0; j < pts.length; j++) {
      if (i === j) continue;
      const xj = Number(pts[j]!.eventOutcome);
      l *= (x - xj) / (xi - xj);
    }
    result += l;
  }
  return result;
}

const MIN_NORMAL = 2.2250738585072014e-308;

/** rust-dlc `get_rounded_payout`: reject negative and non-normal values, round, clamp. */
function roundedPieceValue(
  piece: PayoutFunctionPiece,
  outcome: bigint,
  rounding: RoundingIntervals,
  totalCollateral: bigint,
): bigint {
  const v = evaluatePiece(piece, outcome);
  if (
    v < 0 ||
    Object.is(v, -0) ||
    (v !== 0 && !(Number.isFinite(v) && Math.abs(v) >= MIN_NORMAL))
  ) {
    throw new PayoutEvaluationError(
      `the payout function evaluates to ${v} at outcome ${outcome}`,
      outcome,
    );
  }
  return roundPayout(v, roundingModAt(rounding, outcome), totalCollateral);
}

/**
 * The range payouts of a payout function (DLC-NOTES.md §5, rust-dlc
 * `PayoutFunction::to_range_payouts`): walk every outcome from the first end point to the last,
 * evaluate, round with the modulus in force there, clamp to `[0, totalCollateral]`, and start a
 * new range whenever the rounded payout changes. A piece's first outcome belongs to the previous
 * piece (they share it), so equal neighbours merge across pieces. A 2-point piece with equal
 * payouts extends the current range without being evaluated.
 *
 * The walk visits every outcome of every non-flat piece, like rust-dlc. A descriptor received
 * from a counterparty could make that walk endless (a sloped piece over 2^64 outcomes), so the
 * number of evaluated outcomes is capped by `maxEvaluatedOutcomes` (default
 * {@link DEFAULT_MAX_EVALUATED_OUTCOMES}); beyond it the function is rejected before any work.
 */
export function computeRangePayouts(
  fn: PayoutFunction,
  rounding: RoundingIntervals,
  totalCollateral: bigint,
  maxEvaluatedOutcomes: bigint = DEFAULT_MAX_EVALUATED_OUTCOMES,
): RangePayout[] {
  validatePayoutFunction(fn);
  const toEvaluate = fn.payoutFunctionPieces
    .filter((p) => !isFlat(p))
    .reduce((n, p) => n + lastPoint(p).eventOutcome - firstPoint(p).eventOutcome, 0n);
  if (toEvaluate > maxEvaluatedOutcomes) {
    throw new InvalidPayoutFunctionError(
      `the payout function needs ${toEvaluate} evaluations, more than the limit ${maxEvaluatedOutcomes}`,
    );
  }
  const ranges: RangePayout[] = [];
  for (const piece of fn.payoutFunctionPieces) {
    const first = firstPoint(piece).eventOutcome;
    const last = lastPoint(piece).eventOutcome;
    let cur = ranges.pop() ?? {
      start: first,
      count: 1n,
      offerPayout: roundedPieceValue(piece, first, rounding, totalCollateral),
    };
    if (isFlat(piece)) {
      cur = { ...cur, count: cur.count + (last - first) };
      ranges.push(cur);
      continue;
    }
    for (let outcome = first + 1n; outcome <= last; outcome++) {
      const payout = roundedPieceValue(piece, outcome, rounding, totalCollateral);
      if (payout === cur.offerPayout) {
        cur.count += 1n;
      } else {
        ranges.push(cur);
        cur = { start: outcome, count: 1n, offerPayout: payout };
      }
    }
    ranges.push(cur);
  }
  return ranges;
}

/**
 * The rounded payout at one outcome, computed on its own (not by the walk of
 * {@link computeRangePayouts}) with the same rules: the outcome belongs to the first piece that
 * contains it, and a flat 2-point piece pays what its first outcome pays. Useful to check range
 * payouts and to settle a single outcome.
 */
export function roundedPayoutAt(
  fn: PayoutFunction,
  rounding: RoundingIntervals,
  totalCollateral: bigint,
  outcome: bigint,
): bigint {
  const pieces = fn.payoutFunctionPieces;
  const index = pieces.findIndex(
    (p) => firstPoint(p).eventOutcome <= outcome && outcome <= lastPoint(p).eventOutcome,
  );
  const piece = pieces[index];
  if (piece === undefined)
    throw new RangeError(`outcome ${outcome} is outside the payout function`);
  if (isFlat(piece)) {
    const first = piece.payoutPoints[0]!.eventOutcome;
    return index === 0
      ? roundedPieceValue(piece, first, rounding, totalCollateral)
      : roundedPayoutAt(fn, rounding, totalCollateral, first);
  }
  return roundedPieceValue(piece, outcome, rounding, totalCollateral);
}
