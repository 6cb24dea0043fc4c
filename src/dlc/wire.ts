/**
 * The byte reader and writer behind the wire codecs of this folder (dlcspecs Messaging.md
 * "Fundamental types"; bigsize from BOLT 1): `oracle-codec.ts`, `contract-descriptor.ts`,
 * `contract.ts` and `messages.ts`.
 *
 * Common to all: big-endian integers, bigsize must be minimally encoded, a bool is 0x00 or 0x01,
 * a string is its UTF-8 byte length (bigsize) ‖ its UTF-8 bytes (invalid UTF-8 is refused), and
 * every decoding failure is a {@link DecodeError}. Where the codecs differ (the largest bigsize
 * they take, whether strings must be / are made NFC, the wording of their errors), each passes
 * its own {@link WireRules}; the differences are listed at the presets below.
 */

/** A message could not be decoded: malformed, truncated, trailing bytes, wrong type, bad string. */
export class DecodeError extends Error {
  readonly code = 'decode_error';
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** 2^64 − 1. */
export const U64_MAX = (1n << 64n) - 1n;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** The wording of a codec's errors. */
export interface WireWording {
  /** DecodeError text: `need` bytes to read, `have` left. */
  truncated(what: string, need: number, have: number): string;
  /** DecodeError text: a bigsize that is not minimally encoded. */
  nonMinimalBigsize(what: string): string;
  /** DecodeError text: a bool byte other than 0x00 / 0x01. */
  notBool(what: string, got: number): string;
  /** RangeError text: a value the writer cannot encode as `type`. */
  outOfRange(what: string, type: 'u16' | 'u32' | 'int32' | 'u64', v: number | bigint): string;
  /** RangeError text: a negative or non-integer bigsize. */
  notBigsize(v: number): string;
}

/** What a codec accepts and writes where the codecs differ. */
export interface WireRules {
  /**
   * The largest bigsize that {@link WireReader.bigsize} returns and {@link WireWriter.bigsize}
   * writes (larger: "bigsize too large" / "too large here"). At most 2^53 − 1; below 2^32 the
   * 0xff prefix is refused before its eight bytes are read.
   */
  readonly maxBigsize: number;
  /** Strings: decoded ones must already be NFC, encoded ones are NFC-normalized first. */
  readonly nfc: boolean;
  readonly wording: WireWording;
}

const shortTruncated = (what: string): string => `truncated ${what}`;
const nonCanonical = (what: string): string => `${what}: non-canonical bigsize`;
const nonMinimal = (what: string): string => `${what}: non-minimal bigsize`;
const isNotType = (_what: string, type: string, v: number | bigint): string =>
  `${v} is not a ${type}`;
const isNotBigsize = (v: number): string => `${v} is not a bigsize`;

/**
 * `oracle-codec.ts`: bigsize up to 2^53 − 1; strings must be NFC and are normalized on write;
 * a truncation says how many bytes were needed.
 */
export const ORACLE_RULES: WireRules = {
  maxBigsize: Number.MAX_SAFE_INTEGER,
  nfc: true,
  wording: {
    truncated: (what, need, have) => `truncated ${what}: need ${need} bytes, have ${have}`,
    nonMinimalBigsize: nonCanonical,
    notBool: (what, got) => `${what}: bool must be 0x00 or 0x01, got 0x${got.toString(16)}`,
    outOfRange: (what, type, v) => `${what} out of ${type} range: ${v}`,
    notBigsize: (v) => `bigsize out of range: ${v}`,
  },
};

/**
 * `contract-descriptor.ts`: bigsize up to 2^53 − 1; strings (enum outcomes) are taken and written
 * as they are, NFC or not.
 */
export const DESCRIPTOR_RULES: WireRules = {
  maxBigsize: Number.MAX_SAFE_INTEGER,
  nfc: false,
  wording: {
    truncated: shortTruncated,
    nonMinimalBigsize: nonCanonical,
    notBool: (what) => `${what}: bool must be 0x00 or 0x01`,
    outOfRange: isNotType,
    notBigsize: isNotBigsize,
  },
};

/** `contract.ts` (`contract_info`, `oracle_info`): bigsize up to 2^32 − 1 (counts only). */
export const CONTRACT_RULES: WireRules = {
  maxBigsize: 0xffffffff,
  nfc: false,
  wording: {
    truncated: shortTruncated,
    nonMinimalBigsize: nonMinimal,
    notBool: (what, got) => `${what}: bool must be 0 or 1, got ${got}`,
    outOfRange: isNotType,
    notBigsize: isNotBigsize,
  },
};

/**
 * `messages.ts`: its field coders check the values they write and read the full u64 bigsize
 * ({@link WireReader.bigsizeU64}); no strings.
 */
export const MESSAGE_RULES: WireRules = {
  maxBigsize: Number.MAX_SAFE_INTEGER,
  nfc: false,
  wording: CONTRACT_RULES.wording,
};

/** Reads from `bytes`, starting at `pos`. Every byte string it returns is a copy. */
export class WireReader {
  constructor(
    readonly bytes: Uint8Array,
    readonly rules: WireRules,
    public pos = 0,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.remaining)
      throw new DecodeError(this.rules.wording.truncated(what, n, this.remaining));
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(what: string): number {
    return this.take(1, what)[0]!;
  }

  u16(what: string): number {
    const b = this.take(2, what);
    return (b[0]! << 8) | b[1]!;
  }

  u32(what: string): number {
    const b = this.take(4, what);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false);
  }

  i32(what: string): number {
    const b = this.take(4, what);
    return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, false);
  }

  u64(what: string): bigint {
    const b = this.take(8, what);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false);
  }

  bool(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) throw new DecodeError(this.rules.wording.notBool(what, v));
    return v === 1;
  }

  /** BOLT 1 bigsize, minimally encoded, any u64. */
  bigsizeU64(what: string): bigint {
    return this.bigsizeAfter(this.u8(what), what);
  }

  /** BOLT 1 bigsize, minimally encoded, at most `rules.maxBigsize`. */
  bigsize(what: string): number {
    const first = this.u8(what);
    if (first < 0xfd) return first;
    if (first === 0xff && this.rules.maxBigsize <= 0xffffffff)
      throw new DecodeError(`${what}: bigsize too large`);
    const v = this.bigsizeAfter(first, what);
    if (v > BigInt(this.rules.maxBigsize)) throw new DecodeError(`${what}: bigsize too large`);
    return Number(v);
  }

  private bigsizeAfter(first: number, what: string): bigint {
    if (first < 0xfd) return BigInt(first);
    const [v, min] =
      first === 0xfd
        ? [BigInt(this.u16(what)), 0xfdn]
        : first === 0xfe
          ? [BigInt(this.u32(what)), 0x10000n]
          : [this.u64(what), 0x100000000n];
    if (v < min) throw new DecodeError(this.rules.wording.nonMinimalBigsize(what));
    return v;
  }

  /** dlcspecs `string`: bigsize byte length ‖ UTF-8 bytes (NFC if `rules.nfc`). */
  string(what: string): string {
    const bytes = this.take(this.bigsize(`${what} length`), what);
    let text: string;
    try {
      text = utf8Decoder.decode(bytes);
    } catch {
      throw new DecodeError(`${what}: invalid UTF-8`);
    }
    if (this.rules.nfc && text.normalize('NFC') !== text)
      throw new DecodeError(`${what}: string is not NFC-normalized`);
    return text;
  }

  /** A nested TLV record of the given type; its value is returned as a reader that must be drained. */
  tlv(type: number, what: string): WireReader {
    const t = this.bigsize(`${what} type`);
    if (t !== type) throw new DecodeError(`${what}: expected TLV type ${type}, got ${t}`);
    return new WireReader(this.take(this.bigsize(`${what} length`), what), this.rules);
  }

  /** A whole TLV record (type and length included), whatever its type. */
  tlvRecord(what: string): Uint8Array {
    const start = this.pos;
    this.bigsize(`${what} type`);
    this.take(this.bigsize(`${what} length`), what);
    return this.bytes.slice(start, this.pos);
  }

  rest(): Uint8Array {
    return this.take(this.remaining, 'rest');
  }

  peekBigsize(): number | undefined {
    const save = this.pos;
    try {
      return this.bigsize('type');
    } catch {
      return undefined;
    } finally {
      this.pos = save;
    }
  }

  end(what: string): void {
    if (this.remaining !== 0) throw new DecodeError(`${what}: ${this.remaining} trailing bytes`);
  }
}

/** Collects the parts of a message; {@link WireWriter.finish} concatenates them. */
export class WireWriter {
  private readonly parts: Uint8Array[] = [];

  constructor(readonly rules: WireRules) {}

  /** `b`, which must be `length` bytes long. */
  bytes(b: Uint8Array, length: number, what: string): this {
    if (b.length !== length)
      throw new RangeError(`${what} must be ${length} bytes, got ${b.length}`);
    return this.raw(b);
  }

  raw(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }

  u8(v: number): this {
    return this.raw(Uint8Array.of(v));
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  u16(v: number, what = 'u16'): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff)
      throw new RangeError(this.rules.wording.outOfRange(what, 'u16', v));
    return this.raw(Uint8Array.of(v >> 8, v & 0xff));
  }

  u32(v: number, what = 'u32'): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RangeError(this.rules.wording.outOfRange(what, 'u32', v));
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, false);
    return this.raw(b);
  }

  i32(v: number, what = 'int32'): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
      throw new RangeError(this.rules.wording.outOfRange(what, 'int32', v));
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, false);
    return this.raw(b);
  }

  u64(v: bigint, what = 'u64'): this {
    if (v < 0n || v > U64_MAX) throw new RangeError(this.rules.wording.outOfRange(what, 'u64', v));
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, false);
    return this.raw(b);
  }

  /** BOLT 1 bigsize of a u64, minimally encoded (the caller checks the range). */
  bigsizeU64(v: bigint): this {
    if (v < 0xfdn) return this.u8(Number(v));
    if (v <= 0xffffn) return this.u8(0xfd).u16(Number(v));
    if (v <= 0xffffffffn) return this.u8(0xfe).u32(Number(v));
    return this.u8(0xff).u64(v);
  }

  /** BOLT 1 bigsize of a safe integer up to `rules.maxBigsize`, minimally encoded. */
  bigsize(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(this.rules.wording.notBigsize(v));
    if (v > this.rules.maxBigsize) throw new RangeError(`${v} is too large here`);
    return this.bigsizeU64(BigInt(v));
  }

  /** dlcspecs `string`: UTF-8 byte length ‖ bytes, NFC-normalized first if `rules.nfc`. */
  string(s: string): this {
    const b = utf8Encoder.encode(this.rules.nfc ? s.normalize('NFC') : s);
    return this.bigsize(b.length).raw(b);
  }

  /** A TLV record: bigsize type ‖ bigsize length ‖ value. */
  tlv(type: number, value: Uint8Array): this {
    return this.bigsize(type).bigsize(value.length).raw(value);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
