/** Blocks: 80-byte header, merkle root of txids, BIP141 witness commitment, regtest PoW. */
import { hex } from '@scure/base';
import {
  ByteReader,
  ByteWriter,
  concatBytes,
  DecodeError,
  fromDisplayHex,
  sha256d,
  toDisplayHex,
} from './bytes.ts';
import { REGTEST_BITS } from './regtest.ts';
import { decodeTx, describeTx, readTx } from './tx-codec.ts';
import type { ParsedTx, Tx } from './tx-codec.ts';

export interface BlockHeader {
  version: number;
  /** Display hex. */
  prevHash: string;
  /** Display hex. */
  merkleRoot: string;
  timeSec: number;
  bits: number;
  nonce: number;
}

export interface Block {
  header: BlockHeader;
  hash: string;
  txs: ParsedTx[];
  raw: Uint8Array;
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return new ByteWriter()
    .u32(h.version)
    .bytes(fromDisplayHex(h.prevHash))
    .bytes(fromDisplayHex(h.merkleRoot))
    .u32(h.timeSec)
    .u32(h.bits)
    .u32(h.nonce)
    .finish();
}

export function blockHash(h: BlockHeader): string {
  return toDisplayHex(sha256d(encodeHeader(h)));
}

/** Core `ComputeMerkleRoot`: pairs hashed with double SHA256, an odd last one paired with itself. */
export function merkleRoot(displayHashes: readonly string[]): string {
  if (displayHashes.length === 0) return '00'.repeat(32);
  let level = displayHashes.map(fromDisplayHex);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1] ?? left;
      next.push(sha256d(concatBytes(left, right)));
    }
    level = next;
  }
  return toDisplayHex(level[0]!);
}

/** Compact `nBits` → target. */
export function bitsToTarget(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  return exponent <= 3
    ? mantissa >> BigInt(8 * (3 - exponent))
    : mantissa << BigInt(8 * (exponent - 3));
}

export function meetsTarget(hash: string, bits: number): boolean {
  return BigInt(`0x${hash}`) <= bitsToTarget(bits);
}

/** Finds a nonce that satisfies regtest's proof of work (about two tries on average). */
export function grindNonce(header: Omit<BlockHeader, 'nonce'>): BlockHeader {
  for (let nonce = 0; nonce <= 0xffffffff; nonce++) {
    const h = { ...header, nonce };
    if (meetsTarget(blockHash(h), h.bits)) return h;
  }
  throw new Error('no nonce found');
}

export function assembleBlock(header: BlockHeader, txs: ParsedTx[]): Block {
  const w = new ByteWriter().bytes(encodeHeader(header)).varint(txs.length);
  for (const tx of txs) w.bytes(tx.raw);
  return { header, hash: blockHash(header), txs, raw: w.finish() };
}

export function decodeBlock(raw: Uint8Array): Block {
  const r = new ByteReader(raw);
  const hr = new ByteReader(r.bytes(80));
  const header: BlockHeader = {
    version: hr.u32(),
    prevHash: toDisplayHex(hr.bytes(32)),
    merkleRoot: toDisplayHex(hr.bytes(32)),
    timeSec: hr.u32(),
    bits: hr.u32(),
    nonce: hr.u32(),
  };
  const count = r.varint();
  const txs: ParsedTx[] = [];
  for (let i = 0; i < count; i++) txs.push(describeTx(readTx(r)));
  if (r.remaining !== 0) throw new DecodeError('trailing bytes after block');
  return { header, hash: blockHash(header), txs, raw };
}

/** BIP141 witness commitment output script: OP_RETURN 0x24 aa21a9ed <commitment>. */
export function witnessCommitmentScript(wtxidsAfterCoinbase: readonly string[]): Uint8Array {
  // "the wtxid of the coinbase transaction is assumed to be 0x0000....0000"
  const root = merkleRoot(['00'.repeat(32), ...wtxidsAfterCoinbase]);
  const commitment = sha256d(concatBytes(fromDisplayHex(root), new Uint8Array(32)));
  return concatBytes(hex.decode('6a24aa21a9ed'), commitment);
}

/** BIP34 height push followed by OP_0, as Core's regtest miner writes it. */
export function coinbaseScriptSig(height: number): Uint8Array {
  if (height >= 1 && height <= 16) return Uint8Array.of(0x50 + height, 0x00);
  const num: number[] = [];
  let n = height;
  while (n > 0) {
    num.push(n & 0xff);
    n >>>= 8;
  }
  if ((num[num.length - 1]! & 0x80) !== 0) num.push(0);
  return Uint8Array.of(num.length, ...num, 0x00);
}

export function coinbaseTx(
  height: number,
  valueSat: bigint,
  scriptPubKey: Uint8Array,
  wtxids: readonly string[],
): ParsedTx {
  const tx: Tx = {
    version: 2,
    inputs: [
      {
        prevTxid: new Uint8Array(32),
        prevVout: 0xffffffff,
        scriptSig: coinbaseScriptSig(height),
        sequence: 0xffffffff,
        witness: [new Uint8Array(32)],
      },
    ],
    outputs: [
      { valueSat, scriptPubKey },
      { valueSat: 0n, scriptPubKey: witnessCommitmentScript(wtxids) },
    ],
    lockTime: 0,
  };
  return describeTx(tx);
}

/** Bitcoin Core's regtest genesis block (hash 0f9188f1…2206), byte for byte. */
export function regtestGenesis(): Block {
  const coinbase = decodeTx(
    hex.decode(
      '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff' +
        '4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72' +
        '206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff' +
        '0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f' +
        '61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000',
    ),
  );
  const header: BlockHeader = {
    version: 1,
    prevHash: '00'.repeat(32),
    merkleRoot: coinbase.txid,
    timeSec: 1296688602,
    bits: REGTEST_BITS,
    nonce: 2,
  };
  return assembleBlock(header, [coinbase]);
}
