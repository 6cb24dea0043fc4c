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

/** JSON's number grammar (RFC 8259 §6). */
const JSON_NUMBER = /^(-)?(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a BTC amount written as any valid JSON number ("0.00000001", "1E-8", "5e-7", "21000000",
 * "2.1e7", "0.50000000e1") into satoshis, exactly: the digits are shifted by the exponent as
 * text, never through a float. Throws RangeError if the text is not a JSON number, if the value
 * is not a whole number of satoshis, or if its magnitude exceeds 10^30 satoshis (the exponent of
 * a hostile reply is bounded before any arithmetic).
 */
export function jsonBtcToSats(text: string): bigint {
  const m = JSON_NUMBER.exec(text);
  if (m === null) throw new RangeError(`amount: not a JSON number: ${text.slice(0, 40)}`);
  const [, sign, whole = '0', frac = '', expText = '0'] = m;
  if (expText.length > 6) throw new RangeError(`amount: exponent out of range: ${text}`);
  const digits = (whole + frac).replace(/^0+(?=\d)/, '');
  // value = digits × 10^(exp − |frac|) BTC = digits × 10^(exp − |frac| + 8) sat
  const shift = Number(expText) - frac.length + 8;
  let sats: bigint;
  if (/^0+$/.test(digits)) sats = 0n;
  else if (shift >= 0) {
    if (digits.length + shift > 31) throw new RangeError(`amount: out of range: ${text}`);
    sats = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const cut = -shift;
    const kept = digits.length > cut ? digits.slice(0, digits.length - cut) : '0';
    const dropped = digits.length > cut ? digits.slice(digits.length - cut) : digits;
    if (!/^0*$/.test(dropped)) {
      throw new RangeError(`amount: finer than a satoshi: ${text}`);
    }
    if (kept.length > 31) throw new RangeError(`amount: out of range: ${text}`);
    sats = BigInt(kept);
  }
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
