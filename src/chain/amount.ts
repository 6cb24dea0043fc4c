/**
 * Exact conversion between Bitcoin Core's decimal BTC amounts and bigint satoshis. Core prints
 * amounts as JSON numbers with up to 8 decimals; they are read from the number's text, never
 * through a float.
 */

export const SATS_PER_BTC = 100_000_000n;

const DECIMAL_BTC = /^(-)?(\d+)(?:\.(\d{1,8}))?$/;

/**
 * Parses a decimal BTC amount ("0.00001", "50.00000000", "21") into satoshis.
 * Throws RangeError on anything else (exponents, more than 8 decimals, empty).
 */
export function btcToSats(text: string): bigint {
  const m = DECIMAL_BTC.exec(text);
  if (m === null)
    throw new RangeError(`amount: not a decimal BTC amount with ≤ 8 decimals: ${text}`);
  const [, sign, whole, frac] = m;
  const sats = BigInt(whole ?? '0') * SATS_PER_BTC + BigInt((frac ?? '').padEnd(8, '0'));
  return sign === '-' ? -sats : sats;
}

/** Formats satoshis as Core does (`ValueFromAmount`): always 8 decimals, e.g. "0.00001000". */
export function satsToBtc(sats: bigint): string {
  const negative = sats < 0n;
  const abs = negative ? -sats : sats;
  const whole = abs / SATS_PER_BTC;
  const frac = (abs % SATS_PER_BTC).toString().padStart(8, '0');
  return `${negative ? '-' : ''}${whole.toString()}.${frac}`;
}
