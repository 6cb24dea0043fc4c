/** Byte-level helpers for devnet's Bitcoin codecs. */
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';

export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

/** Internal byte order → RPC display hex (reversed). */
export function toDisplayHex(hash: Uint8Array): string {
  return hex.encode(Uint8Array.from(hash).reverse());
}

/** RPC display hex → internal byte order. */
export function fromDisplayHex(display: string): Uint8Array {
  return hex.decode(display).reverse();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export class DecodeError extends Error {
  readonly code = 'devnet_decode';
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export class ByteReader {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  peek(): number {
    const b = this.data[this.offset];
    if (b === undefined) throw new DecodeError('unexpected end of data');
    return b;
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.offset + n > this.data.length)
      throw new DecodeError('unexpected end of data');
    const out = this.data.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u8(): number {
    const b = this.peek();
    this.offset += 1;
    return b;
  }

  u32(): number {
    const b = this.bytes(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  u64(): bigint {
    const b = this.bytes(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  /** CompactSize, canonical encodings only (as Core's ReadCompactSize). */
  varint(): number {
    const first = this.u8();
    let n: number;
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      const b = this.bytes(2);
      n = b[0]! | (b[1]! << 8);
      if (n < 0xfd) throw new DecodeError('non-canonical CompactSize');
    } else if (first === 0xfe) {
      n = this.u32();
      if (n < 0x10000) throw new DecodeError('non-canonical CompactSize');
    } else {
      const big = this.u64();
      if (big < 0x100000000n) throw new DecodeError('non-canonical CompactSize');
      throw new DecodeError('CompactSize too large');
    }
    if (n > 0x02000000) throw new DecodeError('CompactSize too large');
    return n;
  }

  varBytes(): Uint8Array {
    return this.bytes(this.varint());
  }
}

export class ByteWriter {
  private readonly chunks: Uint8Array[] = [];

  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    return this;
  }

  u8(n: number): this {
    return this.bytes(Uint8Array.of(n));
  }

  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n >>> 0, true);
    return this.bytes(b);
  }

  u64(n: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n, true);
    return this.bytes(b);
  }

  varint(n: number): this {
    if (n < 0xfd) return this.u8(n);
    if (n <= 0xffff) return this.u8(0xfd).bytes(Uint8Array.of(n & 0xff, n >> 8));
    return this.u8(0xfe).u32(n);
  }

  varBytes(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  finish(): Uint8Array {
    return concatBytes(...this.chunks);
  }
}
