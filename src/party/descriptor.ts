/**
 * Output script descriptors (BIP380) for the wallet: the checksum, and the `wpkh(...)` receive and
 * change descriptors (BIP382 with a BIP32 key origin) that Bitcoin Core (`importdescriptors`) or
 * Sparrow import to watch the wallet. Pure.
 */

/** BIP380: "the character set used for the input", in groups of 32. */
const INPUT_CHARSET =
  '0123456789()[],\'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';
/** BIP380: the checksum characters (the bech32 character set). */
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATORS = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];

/** BIP380 `polymod`: one step of the BCH code over GF(32). */
function polymod(c: bigint, value: number): bigint {
  const c0 = c >> 35n;
  let next = ((c & 0x7ffffffffn) << 5n) ^ BigInt(value);
  GENERATORS.forEach((g, i) => {
    if ((c0 >> BigInt(i)) & 1n) next ^= g;
  });
  return next;
}

/**
 * The 8-character BIP380 checksum of a descriptor (without `#`), or null when the descriptor has a
 * character outside the input character set.
 */
export function descriptorChecksum(descriptor: string): string | null {
  let c = 1n;
  let cls = 0;
  let clsCount = 0;
  for (const ch of descriptor) {
    const pos = INPUT_CHARSET.indexOf(ch);
    if (pos === -1) return null;
    // BIP380: "Emit a symbol for the position inside the group, for every character."
    c = polymod(c, pos & 31);
    // "Accumulate the group numbers", and emit them three at a time.
    cls = cls * 3 + (pos >> 5);
    if (++clsCount === 3) {
      c = polymod(c, cls);
      cls = 0;
      clsCount = 0;
    }
  }
  if (clsCount > 0) c = polymod(c, cls);
  for (let j = 0; j < 8; j++) c = polymod(c, 0); // "Shift further to determine the checksum."
  c ^= 1n; // "Prevent appending zeroes from not affecting the checksum."
  let out = '';
  for (let j = 0; j < 8; j++) out += CHECKSUM_CHARSET[Number((c >> BigInt(5 * (7 - j))) & 31n)];
  return out;
}

/** `descriptor#checksum`. Throws a RangeError on a character outside the input character set. */
export function withChecksum(descriptor: string): string {
  const sum = descriptorChecksum(descriptor);
  if (sum === null) throw new RangeError('descriptor: character outside the BIP380 charset');
  return `${descriptor}#${sum}`;
}

/**
 * Checks a descriptor's checksum. With `requireChecksum` false a descriptor without `#` passes
 * (BIP380 makes the checksum optional); a `#` must always be followed by exactly the right 8
 * characters.
 */
export function verifyDescriptorChecksum(text: string, requireChecksum = true): boolean {
  const hash = text.indexOf('#');
  if (hash === -1) return !requireChecksum && descriptorChecksum(text) !== null;
  const body = text.slice(0, hash);
  const given = text.slice(hash + 1);
  if (given.length !== 8) return false;
  const sum = descriptorChecksum(body);
  return sum !== null && sum === given;
}

/**
 * The wallet's BIP84 descriptors: `wpkh([fingerprint/84h/coin h/0h]xpub/branch/*)#checksum` for
 * receive (branch 0) and change (branch 1). Written with `'` for hardened steps, as Core prints.
 */
export function bip84Descriptors(params: {
  masterFingerprint: number;
  coinType: number;
  accountXpub: string;
}): { receive: string; change: string } {
  const fp = params.masterFingerprint.toString(16).padStart(8, '0');
  const origin = `[${fp}/84'/${params.coinType}'/0']${params.accountXpub}`;
  return {
    receive: withChecksum(`wpkh(${origin}/0/*)`),
    change: withChecksum(`wpkh(${origin}/1/*)`),
  };
}
