/**
 * Digit decomposition of numeric outcomes and the CET-compression cover of an interval
 * (dlcspecs NumericOutcomeCompression.md; DLC-NOTES.md §6; rust-dlc
 * `dlc-trie/src/digit_decomposition.rs`).
 *
 * Digits are most significant first and zero-padded to `nbDigits`, the order in which a
 * digit-decomposition oracle attests them.
 */

function checkBase(base: number, nbDigits: number): void {
  if (!Number.isSafeInteger(base) || base < 2)
    throw new RangeError(`base must be an integer ≥ 2, got ${base}`);
  if (!Number.isSafeInteger(nbDigits) || nbDigits < 1) {
    throw new RangeError(`nbDigits must be an integer ≥ 1, got ${nbDigits}`);
  }
}

/** `base^nbDigits`: the number of outcomes of a `nbDigits`-digit event. */
export function outcomeCount(base: number, nbDigits: number): bigint {
  checkBase(base, nbDigits);
  return BigInt(base) ** BigInt(nbDigits);
}

/** The `nbDigits` base-`base` digits of `value`, most significant first, zero-padded. */
export function decompose(value: bigint, base: number, nbDigits: number): number[] {
  checkBase(base, nbDigits);
  if (value < 0n || value >= BigInt(base) ** BigInt(nbDigits)) {
    throw new RangeError(`value ${value} does not fit in ${nbDigits} base-${base} digits`);
  }
  const b = BigInt(base);
  const digits = new Array<number>(nbDigits);
  let rest = value;
  for (let i = nbDigits - 1; i >= 0; i--) {
    digits[i] = Number(rest % b);
    rest /= b;
  }
  return digits;
}

/** The value of base-`base` digits, most significant first. Inverse of {@link decompose}. */
export function compose(digits: readonly number[], base: number): bigint {
  checkBase(base, Math.max(digits.length, 1));
  const b = BigInt(base);
  let value = 0n;
  for (const d of digits) {
    if (!Number.isSafeInteger(d) || d < 0 || d >= base)
      throw new RangeError(`digit ${d} is not a base-${base} digit`);
    value = value * b + BigInt(d);
  }
  return value;
}

/** Drops trailing digits equal to `t`, keeping at least one digit. */
function trimTrailing(digits: readonly number[], t: number): number[] {
  let len = digits.length;
  while (len > 1 && digits[len - 1] === t) len--;
  return digits.slice(0, len);
}

/**
 * The minimal list of digit prefixes that together match exactly the outcomes in the inclusive
 * interval `[start, end]`, in the order of NumericOutcomeCompression.md (the order in which
 * adaptor signatures are exchanged): the block starting at `start`, the "front" groups, the
 * "middle" groups, the "back" groups, the block ending at `end`. DLC-NOTES.md §6 `cover`.
 */
export function coverInterval(
  start: bigint,
  end: bigint,
  base: number,
  nbDigits: number,
): number[][] {
  if (start > end) throw new RangeError(`interval start ${start} is after its end ${end}`);
  const s = decompose(start, base, nbDigits);
  const e = decompose(end, base, nbDigits);
  if (start === end) return [s];

  let p = 0;
  while (s[p] === e[p]) p++;
  const pre = s.slice(0, p);
  const S = s.slice(p);
  const E = e.slice(p);
  const S0 = S[0] ?? 0;
  const E0 = E[0] ?? 0;

  // The interval is one whole block under a (non-empty) common prefix. The whole outcome space
  // has no common prefix; it is covered by the one-digit prefixes, as in rust-dlc, because an
  // empty prefix would have no adaptor point.
  if (p > 0 && S.every((d) => d === 0) && E.every((d) => d === base - 1)) return [pre];

  // Only the last digit differs: one prefix per value of that digit.
  if (p === nbDigits - 1) {
    const out: number[][] = [];
    for (let d = S0; d <= E0; d++) out.push([...pre, d]);
    return out;
  }

  const out: number[][] = [];
  // The block starting exactly at `start`.
  const tS = trimTrailing(S, 0);
  out.push(tS);
  // "Front" groups: complete the blocks to the right of `start`, deepest digit first.
  for (let i = tS.length - 1; i >= 1; i--) {
    for (let d = (S[i] ?? 0) + 1; d < base; d++) out.push([...S.slice(0, i), d]);
  }
  // "Middle" groups: whole blocks of the first differing digit.
  for (let d = S0 + 1; d < E0; d++) out.push([d]);
  // "Back" groups: the blocks to the left of `end`, shallowest digit first.
  const tE = trimTrailing(E, base - 1);
  for (let i = 1; i < tE.length; i++) {
    for (let d = 0; d < (E[i] ?? 0); d++) out.push([...E.slice(0, i), d]);
  }
  // The block ending exactly at `end`.
  out.push(tE);
  return out.map((x) => [...pre, ...x]);
}

/** The inclusive interval `[first, last]` of outcomes that a digit prefix matches. */
export function prefixInterval(
  prefix: readonly number[],
  base: number,
  nbDigits: number,
): { first: bigint; last: bigint } {
  if (prefix.length > nbDigits) throw new RangeError(`prefix longer than ${nbDigits} digits`);
  const scale = BigInt(base) ** BigInt(nbDigits - prefix.length);
  const first = compose(prefix, base) * scale;
  return { first, last: first + scale - 1n };
}
