/**
 * The DLC protocol messages of dlcspecs protocol version 1 (Protocol.md, Messaging.md;
 * DLC-NOTES.md §8): `offer_dlc` (42778), `accept_dlc` (42780), `sign_dlc` (42782).
 *
 * Each layout is declared once, as an object of field coders in wire order, and the same
 * declaration drives the encoder and the decoder (as scure-btc-signer declares its wire formats), so the two cannot drift
 * apart. `contract_info` uses the codec of `contract.ts`. Decoding is strict: it must consume
 * exactly its input, and a failure is a {@link DecodeError}.
 *
 * Why not @node-dlc/messaging 1.1.7 (DESIGN.md names it): on the 13 dlcspecs protocol-v1 vectors
 * its `DlcOffer.deserialize` throws on every `offer_dlc` ("Index out of range"), `DlcAccept`
 * throws on 7 `accept_dlc` and re-serializes the other 6 differently; only `sign_dlc` round-trips
 * (checked 2026-11-26). Our codec round-trips all 39 (test/dlc/messages.test.ts).
 */
import { decodeContractInfoAt, encodeContractInfo, type ContractInfo } from './contract.ts';
import type { FundingInput } from './funding-input.ts';
import { DecodeError, MESSAGE_RULES, U64_MAX, WireReader, WireWriter } from './wire.ts';

/** Message types (dlcspecs Messaging.md). */
export const MESSAGE_TYPE = { offerDlc: 42778, acceptDlc: 42780, signDlc: 42782 } as const;
/** The protocol version this codec speaks. */
export const PROTOCOL_VERSION = 1;

/** One record of a message's trailing TLV stream, kept as it came so that it round-trips. */
export interface TlvRecord {
  readonly type: bigint;
  readonly value: Uint8Array;
}

/** `rounding_intervals`: `(begin_interval, rounding_mod)` pairs. */
export type RoundingIntervals = readonly {
  readonly beginInterval: bigint;
  readonly roundingMod: bigint;
}[];

/** `negotiation_fields` of `accept_dlc`: variant 0 single, variant 1 disjoint. */
export type NegotiationFields =
  | { readonly kind: 'single'; readonly roundingIntervals: RoundingIntervals }
  | { readonly kind: 'disjoint'; readonly parts: readonly NegotiationFields[] };

/** `offer_dlc` (type 42778). */
export interface OfferDlc {
  readonly protocolVersion: number;
  readonly contractFlags: number;
  readonly chainHash: Uint8Array;
  readonly temporaryContractId: Uint8Array;
  readonly contractInfo: ContractInfo;
  readonly fundingPubkey: Uint8Array;
  readonly payoutSpk: Uint8Array;
  readonly payoutSerialId: bigint;
  readonly offerCollateral: bigint;
  readonly fundingInputs: readonly FundingInput[];
  readonly changeSpk: Uint8Array;
  readonly changeSerialId: bigint;
  readonly fundOutputSerialId: bigint;
  readonly feeRatePerVb: bigint;
  readonly cetLocktime: number;
  readonly refundLocktime: number;
  readonly tlvs: readonly TlvRecord[];
}

/** `accept_dlc` (type 42780). Adaptor signatures are 162-byte blobs (DLC-NOTES.md §8). */
export interface AcceptDlc {
  readonly protocolVersion: number;
  readonly temporaryContractId: Uint8Array;
  readonly acceptCollateral: bigint;
  readonly fundingPubkey: Uint8Array;
  readonly payoutSpk: Uint8Array;
  readonly payoutSerialId: bigint;
  readonly fundingInputs: readonly FundingInput[];
  readonly changeSpk: Uint8Array;
  readonly changeSerialId: bigint;
  readonly cetAdaptorSignatures: readonly Uint8Array[];
  /** 64-byte compact ECDSA signature. */
  readonly refundSignature: Uint8Array;
  readonly negotiationFields: NegotiationFields | null;
  readonly tlvs: readonly TlvRecord[];
}

/** `sign_dlc` (type 42782). `fundingSignatures[i]` is the witness stack of the sender's i-th input. */
export interface SignDlc {
  readonly protocolVersion: number;
  readonly contractId: Uint8Array;
  readonly cetAdaptorSignatures: readonly Uint8Array[];
  readonly refundSignature: Uint8Array;
  readonly fundingSignatures: readonly (readonly Uint8Array[])[];
  readonly tlvs: readonly TlvRecord[];
}

export type DlcMessage =
  | { readonly type: 'offer_dlc'; readonly message: OfferDlc }
  | { readonly type: 'accept_dlc'; readonly message: AcceptDlc }
  | { readonly type: 'sign_dlc'; readonly message: SignDlc };

// ---------------------------------------------------------------------------------------------
// Primitives (Messaging.md "Fundamental types"; bigsize from BOLT 1)

/** A field layout: encoder and decoder side by side. */
interface Coder<T> {
  encode(w: WireWriter, value: T, what: string): void;
  decode(r: WireReader, what: string): T;
}

function uint(bytes: 1 | 2 | 4): Coder<number> {
  const max = 2 ** (8 * bytes) - 1;
  const method = ({ 1: 'u8', 2: 'u16', 4: 'u32' } as const)[bytes];
  return {
    encode(w, v, what) {
      if (!Number.isInteger(v) || v < 0 || v > max) {
        throw new RangeError(`${what} must be a u${8 * bytes}, got ${String(v)}`);
      }
      w[method](v);
    },
    decode: (r, what) => r[method](what),
  };
}

const u8 = uint(1);
const u16 = uint(2);
const u32 = uint(4);

const u64: Coder<bigint> = {
  encode(w, v, what) {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
      throw new RangeError(`${what} must be a u64 bigint, got ${String(v)}`);
    }
    w.u64(v);
  },
  decode: (r, what) => r.u64(what),
};

/** BOLT 1 bigsize, minimally encoded. */
const bigsize: Coder<bigint> = {
  encode(w, v, what) {
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
      throw new RangeError(`${what} must be a bigsize, got ${String(v)}`);
    }
    w.bigsizeU64(v);
  },
  decode: (r, what) => r.bigsizeU64(what),
};

/** A count (bigsize) that must fit what the rest of the message can hold. */
const count: Coder<number> = {
  encode(w, v, what) {
    bigsize.encode(w, BigInt(v), what);
  },
  decode(r, what) {
    const v = bigsize.decode(r, what);
    if (v > BigInt(r.remaining)) throw new DecodeError(`${what}: count ${v} exceeds the message`);
    return Number(v);
  },
};

function fixed(length: number): Coder<Uint8Array> {
  return {
    encode(w, v, what) {
      if (!(v instanceof Uint8Array) || v.length !== length) {
        throw new TypeError(`${what} must be ${length} bytes`);
      }
      w.raw(v);
    },
    decode: (r, what) => r.take(length, what),
  };
}

/** Bytes prefixed by their length in the given coder. */
function prefixed(len: Coder<number>): Coder<Uint8Array> {
  return {
    encode(w, v, what) {
      len.encode(w, v.length, `${what} length`);
      w.raw(v);
    },
    decode(r, what) {
      return r.take(len.decode(r, `${what} length`), what);
    },
  };
}

/** `spk`: u16 length ‖ script. */
const spk = prefixed(u16);

function list<T>(item: Coder<T>): Coder<readonly T[]> {
  return {
    encode(w, v, what) {
      count.encode(w, v.length, `${what} count`);
      v.forEach((x, i) => item.encode(w, x, `${what}[${i}]`));
    },
    decode(r, what) {
      const n = count.decode(r, `${what} count`);
      return Array.from({ length: n }, (_, i) => item.decode(r, `${what}[${i}]`));
    },
  };
}

function optional<T>(item: Coder<T>): Coder<T | null> {
  return {
    encode(w, v, what) {
      if (v === null) w.u8(0);
      else {
        w.u8(1);
        item.encode(w, v, what);
      }
    },
    decode(r, what) {
      const flag = u8.decode(r, `${what} present`);
      if (flag > 1) throw new DecodeError(`${what}: Optional flag must be 0 or 1, got ${flag}`);
      return flag === 1 ? item.decode(r, what) : null;
    },
  };
}

type Fields<T> = { readonly [K in keyof T]: Coder<T[K]> };

/** A struct: its fields in wire order (the order of the object literal). */
function struct<T extends object>(fields: Fields<T>): Coder<T> {
  const entries = Object.entries(fields) as [keyof T & string, Coder<unknown>][];
  return {
    encode(w, v, what) {
      for (const [name, coder] of entries) coder.encode(w, v[name], `${what}.${name}`);
    },
    decode(r, what) {
      const out: Partial<Record<keyof T, unknown>> = {};
      for (const [name, coder] of entries) out[name] = coder.decode(r, `${what}.${name}`);
      return out as T;
    },
  };
}

const contractInfo: Coder<ContractInfo> = {
  encode(w, v) {
    w.raw(encodeContractInfo(v));
  },
  decode(r) {
    const { info, end } = decodeContractInfoAt(r.bytes, r.pos);
    r.pos = end;
    return info;
  },
};

/** The trailing TLV stream: records with strictly increasing types, unknown odd ones kept (BOLT 1). */
const tlvStream: Coder<readonly TlvRecord[]> = {
  encode(w, v, what) {
    let last = -1n;
    for (const rec of v) {
      if (rec.type <= last) throw new RangeError(`${what}: TLV types must strictly increase`);
      last = rec.type;
      bigsize.encode(w, rec.type, `${what} type`);
      bigsize.encode(w, BigInt(rec.value.length), `${what} length`);
      w.raw(rec.value);
    }
  },
  decode(r, what) {
    const out: TlvRecord[] = [];
    let last = -1n;
    while (r.remaining > 0) {
      const type = bigsize.decode(r, `${what} type`);
      if (type <= last) throw new DecodeError(`${what}: TLV types must strictly increase`);
      // BOLT 1 "it's ok to be odd": an unknown even type must be refused; we know none.
      if (type % 2n === 0n) throw new DecodeError(`${what}: unknown even TLV type ${type}`);
      last = type;
      const len = bigsize.decode(r, `${what} length`);
      if (len > BigInt(r.remaining)) throw new DecodeError(`truncated ${what} value`);
      out.push({ type, value: r.take(Number(len), `${what} value`) });
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// Layouts (Messaging.md protocol v1; DLC-NOTES.md §8)

const fundingInput: Coder<FundingInput> = struct<FundingInput>({
  inputSerialId: u64,
  prevTx: prefixed(count),
  prevTxVout: u32,
  sequence: u32,
  maxWitnessLen: u16,
  redeemScript: spk,
});

/** `cet_adaptor_signatures`: bigsize n ‖ n × 162-byte (adaptor signature ‖ DLEQ proof). */
const cetAdaptorSignatures = list(fixed(162));

const roundingIntervals: Coder<RoundingIntervals> = list(
  struct<{ beginInterval: bigint; roundingMod: bigint }>({ beginInterval: u64, roundingMod: u64 }),
);

const negotiationFields: Coder<NegotiationFields> = {
  encode(w, v, what) {
    if (v.kind === 'single') {
      count.encode(w, 0, `${what} type`);
      roundingIntervals.encode(w, v.roundingIntervals, `${what}.roundingIntervals`);
    } else {
      count.encode(w, 1, `${what} type`);
      list(negotiationFields).encode(w, v.parts, `${what}.parts`);
    }
  },
  decode(r, what) {
    const variant = bigsize.decode(r, `${what} type`);
    if (variant === 0n) {
      return { kind: 'single', roundingIntervals: roundingIntervals.decode(r, what) };
    }
    if (variant === 1n) return { kind: 'disjoint', parts: list(negotiationFields).decode(r, what) };
    throw new DecodeError(`${what}: unknown negotiation_fields type ${variant}`);
  },
};

/** `funding_signatures`: per input a witness, per witness its elements, all bigsize-counted. */
const fundingSignatures: Coder<readonly (readonly Uint8Array[])[]> = list(list(prefixed(count)));

const offerDlcLayout = struct<Omit<OfferDlc, 'tlvs'>>({
  protocolVersion: u32,
  contractFlags: u8,
  chainHash: fixed(32),
  temporaryContractId: fixed(32),
  contractInfo,
  fundingPubkey: fixed(33),
  payoutSpk: spk,
  payoutSerialId: u64,
  offerCollateral: u64,
  fundingInputs: list(fundingInput),
  changeSpk: spk,
  changeSerialId: u64,
  fundOutputSerialId: u64,
  feeRatePerVb: u64,
  cetLocktime: u32,
  refundLocktime: u32,
});

const acceptDlcLayout = struct<Omit<AcceptDlc, 'tlvs'>>({
  protocolVersion: u32,
  temporaryContractId: fixed(32),
  acceptCollateral: u64,
  fundingPubkey: fixed(33),
  payoutSpk: spk,
  payoutSerialId: u64,
  fundingInputs: list(fundingInput),
  changeSpk: spk,
  changeSerialId: u64,
  cetAdaptorSignatures,
  refundSignature: fixed(64),
  negotiationFields: optional(negotiationFields),
});

const signDlcLayout = struct<Omit<SignDlc, 'tlvs'>>({
  protocolVersion: u32,
  contractId: fixed(32),
  cetAdaptorSignatures,
  refundSignature: fixed(64),
  fundingSignatures,
});

function encodeMessage<T extends { tlvs: readonly TlvRecord[] }>(
  type: number,
  layout: Coder<Omit<T, 'tlvs'>>,
  message: T,
  what: string,
): Uint8Array {
  const w = new WireWriter(MESSAGE_RULES);
  u16.encode(w, type, 'type');
  layout.encode(w, message, what);
  tlvStream.encode(w, message.tlvs, `${what}.tlvs`);
  return w.finish();
}

function decodeMessage<T>(
  type: number,
  layout: Coder<Omit<T, 'tlvs'>>,
  bytes: Uint8Array,
  what: string,
): T {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  const r = new WireReader(bytes, MESSAGE_RULES);
  const got = u16.decode(r, 'type');
  if (got !== type) throw new DecodeError(`expected ${what} (type ${type}), got type ${got}`);
  const body = layout.decode(r, what) as Omit<T, 'tlvs'> & { protocolVersion: number };
  if (body.protocolVersion !== PROTOCOL_VERSION) {
    throw new DecodeError(`${what}: unsupported protocol_version ${body.protocolVersion}`);
  }
  return { ...body, tlvs: tlvStream.decode(r, `${what}.tlvs`) } as T;
}

export function encodeOfferDlc(message: OfferDlc): Uint8Array {
  return encodeMessage(MESSAGE_TYPE.offerDlc, offerDlcLayout, message, 'offer_dlc');
}
/** @throws DecodeError (including an unsupported protocol_version: Protocol.md says ignore it) */
export function decodeOfferDlc(bytes: Uint8Array): OfferDlc {
  return decodeMessage<OfferDlc>(MESSAGE_TYPE.offerDlc, offerDlcLayout, bytes, 'offer_dlc');
}
export function encodeAcceptDlc(message: AcceptDlc): Uint8Array {
  return encodeMessage(MESSAGE_TYPE.acceptDlc, acceptDlcLayout, message, 'accept_dlc');
}
/** @throws DecodeError */
export function decodeAcceptDlc(bytes: Uint8Array): AcceptDlc {
  return decodeMessage<AcceptDlc>(MESSAGE_TYPE.acceptDlc, acceptDlcLayout, bytes, 'accept_dlc');
}
export function encodeSignDlc(message: SignDlc): Uint8Array {
  return encodeMessage(MESSAGE_TYPE.signDlc, signDlcLayout, message, 'sign_dlc');
}
/** @throws DecodeError */
export function decodeSignDlc(bytes: Uint8Array): SignDlc {
  return decodeMessage<SignDlc>(MESSAGE_TYPE.signDlc, signDlcLayout, bytes, 'sign_dlc');
}

/** Decodes any of the three messages by its type. @throws DecodeError */
export function decodeDlcMessage(bytes: Uint8Array): DlcMessage {
  if (bytes.length < 2) throw new DecodeError('truncated message type');
  const type = ((bytes[0] as number) << 8) | (bytes[1] as number);
  switch (type) {
    case MESSAGE_TYPE.offerDlc:
      return { type: 'offer_dlc', message: decodeOfferDlc(bytes) };
    case MESSAGE_TYPE.acceptDlc:
      return { type: 'accept_dlc', message: decodeAcceptDlc(bytes) };
    case MESSAGE_TYPE.signDlc:
      return { type: 'sign_dlc', message: decodeSignDlc(bytes) };
    default:
      throw new DecodeError(`not a DLC protocol message: type ${type}`);
  }
}
