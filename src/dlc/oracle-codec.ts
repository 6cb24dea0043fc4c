/**
 * Wire codec of the oracle TLVs (dlcspecs Messaging.md, DLC-NOTES.md §2.2):
 * `enum_event_descriptor` 55302, `digit_decomposition_event_descriptor` 55306, `oracle_event`
 * 55330, `oracle_announcement` 55332, `oracle_attestation` 55400, and the JSON form the API serves.
 *
 * Layouts are declared once below as paired read/write steps. Decoding is strict: every TLV must
 * consume exactly its input, bigsize values must be minimally encoded, booleans are 0x00/0x01,
 * strings are valid UTF-8 and already NFC, lengths are UTF-8 byte lengths; every failure raises
 * {@link DecodeError}. Why not @node-dlc/messaging's own (de)serializers (1.1.7): they write a
 * string's UTF-16 length instead of its UTF-8 byte length, read `precision` as unsigned, ignore an
 * enum's outcome count, write attestations in rust-dlc's layout and pick an attestation layout by
 * guessing; the tests check that node-dlc reads what we write and validates it.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type {
  EventDescriptor,
  OracleAnnouncement,
  OracleAttestation,
  OracleEvent,
} from './oracle-types.ts';
import { DecodeError, ORACLE_RULES, WireReader, WireWriter } from './wire.ts';

export { DecodeError } from './wire.ts';

/** TLV types (dlcspecs Messaging.md). */
export const TLV_TYPE = {
  enumEventDescriptor: 55302,
  digitDecompositionEventDescriptor: 55306,
  oracleEvent: 55330,
  oracleAnnouncement: 55332,
  oracleAttestation: 55400,
} as const;

/**
 * Where an attestation's outcome strings sit (DLC-NOTES.md §2.2): `spec` = Messaging.md (outcomes
 * right after the signatures, no count; what we write); `rust-dlc` = a u16 count before the
 * outcomes; `rust-dlc-legacy` = rust-dlc 0.4 (Lava): no event_id at all, u16 count.
 */
export type AttestationLayout = 'spec' | 'rust-dlc' | 'rust-dlc-legacy';

const reader = (bytes: Uint8Array): WireReader => new WireReader(bytes, ORACLE_RULES);
const writer = (): WireWriter => new WireWriter(ORACLE_RULES);

/** Runs a decoder and turns any non-DecodeError failure into a DecodeError. */
function decoding<T>(what: string, bytes: Uint8Array, read: (r: WireReader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: expected Uint8Array`);
  try {
    const r = reader(bytes);
    const value = read(r);
    r.end(what);
    return value;
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// event_descriptor

function readDescriptor(r: WireReader): EventDescriptor {
  const type = r.peekBigsize();
  if (type === TLV_TYPE.enumEventDescriptor) {
    // enum_event_descriptor: u16 num_outcomes ‖ num_outcomes × string
    const v = r.tlv(type, 'enum_event_descriptor');
    const count = v.u16('num_outcomes');
    const outcomes = Array.from({ length: count }, (_, i) => v.string(`outcome ${i}`));
    v.end('enum_event_descriptor');
    return { kind: 'enum', outcomes };
  }
  if (type === TLV_TYPE.digitDecompositionEventDescriptor) {
    // digit_decomposition_event_descriptor: base ‖ bool is_signed ‖ string unit ‖ int32 precision
    // ‖ u16 nb_digits. The spec text says bigsize for base; every implementation writes u16.
    const v = r.tlv(type, 'digit_decomposition_event_descriptor');
    const base = v.u16('base');
    const isSigned = v.bool('is_signed');
    const unit = v.string('unit');
    const precision = v.i32('precision');
    const nbDigits = v.u16('nb_digits');
    v.end('digit_decomposition_event_descriptor');
    if (base < 2) throw new DecodeError(`digit_decomposition_event_descriptor: base ${base} < 2`);
    if (nbDigits < 1) throw new DecodeError('digit_decomposition_event_descriptor: nb_digits is 0');
    return { kind: 'digits', base, isSigned, unit, precision, nbDigits };
  }
  throw new DecodeError(`unknown event_descriptor type ${String(type)}`);
}

function writeDescriptor(w: WireWriter, d: EventDescriptor): void {
  const v = writer();
  if (d.kind === 'enum') {
    v.u16(d.outcomes.length, 'num_outcomes');
    for (const o of d.outcomes) v.string(o);
    w.tlv(TLV_TYPE.enumEventDescriptor, v.finish());
  } else {
    v.u16(d.base, 'base')
      .bool(d.isSigned)
      .string(d.unit)
      .i32(d.precision, 'precision')
      .u16(d.nbDigits, 'nb_digits');
    w.tlv(TLV_TYPE.digitDecompositionEventDescriptor, v.finish());
  }
}

// ---------------------------------------------------------------------------------------------
// oracle_event: u16 nb_nonces ‖ nb_nonces × x_point ‖ u32 event_maturity_epoch ‖ event_descriptor ‖ string event_id

function readEvent(r: WireReader): OracleEvent {
  const v = r.tlv(TLV_TYPE.oracleEvent, 'oracle_event');
  const count = v.u16('nb_nonces');
  const nonces = Array.from({ length: count }, (_, i) => v.take(32, `oracle_nonce ${i}`));
  const maturityEpochSec = v.u32('event_maturity_epoch');
  const descriptor = readDescriptor(v);
  const eventId = v.string('event_id');
  v.end('oracle_event');
  return { nonces, maturityEpochSec, descriptor, eventId };
}

/** The `oracle_event` TLV value (no type, no length): what rust-dlc's announcement signature covers. */
export function encodeOracleEventValue(e: OracleEvent): Uint8Array {
  const v = writer();
  v.u16(e.nonces.length, 'nb_nonces');
  e.nonces.forEach((n, i) => v.bytes(n, 32, `oracle_nonce ${i}`));
  v.u32(e.maturityEpochSec, 'event_maturity_epoch');
  writeDescriptor(v, e.descriptor);
  v.string(e.eventId);
  return v.finish();
}

/** The full `oracle_event` TLV record (type 55330 ‖ length ‖ value). */
export function encodeOracleEvent(e: OracleEvent): Uint8Array {
  return writer().tlv(TLV_TYPE.oracleEvent, encodeOracleEventValue(e)).finish();
}

/** Decodes exactly one `oracle_event` TLV record. @throws DecodeError */
export function decodeOracleEvent(bytes: Uint8Array): OracleEvent {
  return decoding('oracle_event', bytes, readEvent);
}

/** Encodes an event descriptor TLV (55302 or 55306). */
export function encodeEventDescriptor(d: EventDescriptor): Uint8Array {
  const w = writer();
  writeDescriptor(w, d);
  return w.finish();
}

/** Decodes exactly one event descriptor TLV. @throws DecodeError */
export function decodeEventDescriptor(bytes: Uint8Array): EventDescriptor {
  return decoding('event_descriptor', bytes, readDescriptor);
}

// ---------------------------------------------------------------------------------------------
// oracle_announcement: signature ‖ x_point oracle_public_key ‖ oracle_event

/** Encodes an `oracle_announcement` TLV record. */
export function encodeAnnouncement(a: OracleAnnouncement): Uint8Array {
  const v = writer()
    .bytes(a.signature, 64, 'announcement_signature')
    .bytes(a.oraclePublicKey, 32, 'oracle_public_key')
    .raw(encodeOracleEvent(a.event))
    .finish();
  return writer().tlv(TLV_TYPE.oracleAnnouncement, v).finish();
}

/** Decodes exactly one `oracle_announcement` TLV record. @throws DecodeError */
export function decodeAnnouncement(bytes: Uint8Array): OracleAnnouncement {
  return decoding('oracle_announcement', bytes, (r) => {
    const v = r.tlv(TLV_TYPE.oracleAnnouncement, 'oracle_announcement');
    const signature = v.take(64, 'announcement_signature');
    const oraclePublicKey = v.take(32, 'oracle_public_key');
    const event = readEvent(v);
    v.end('oracle_announcement');
    return { signature, oraclePublicKey, event };
  });
}

// ---------------------------------------------------------------------------------------------
// oracle_attestation: string event_id ‖ x_point oracle_public_key ‖ u16 nb_signatures ‖
// nb × signature ‖ nb × string outcome  (spec layout; see AttestationLayout)

function readAttestationValue(v: WireReader, layout: AttestationLayout): OracleAttestation {
  const eventId = layout === 'rust-dlc-legacy' ? '' : v.string('event_id');
  const oraclePublicKey = v.take(32, 'oracle_public_key');
  const count = v.u16('nb_signatures');
  const signatures = Array.from({ length: count }, (_, i) => v.take(64, `signature ${i}`));
  if (layout !== 'spec') {
    const outcomeCount = v.u16('nb_outcomes');
    if (outcomeCount !== count)
      throw new DecodeError(`oracle_attestation: ${outcomeCount} outcomes for ${count} signatures`);
  }
  const outcomes = Array.from({ length: count }, (_, i) => v.string(`outcome ${i}`));
  v.end('oracle_attestation');
  return { eventId, oraclePublicKey, signatures, outcomes };
}

/** Encodes an `oracle_attestation` TLV record, by default in the spec layout. */
export function encodeAttestation(
  a: OracleAttestation,
  layout: AttestationLayout = 'spec',
): Uint8Array {
  if (a.outcomes.length !== a.signatures.length) {
    throw new RangeError(`${a.signatures.length} signatures but ${a.outcomes.length} outcomes`);
  }
  const v = writer();
  if (layout !== 'rust-dlc-legacy') v.string(a.eventId);
  else if (a.eventId !== '') throw new RangeError('the rust-dlc-legacy layout has no event_id');
  v.bytes(a.oraclePublicKey, 32, 'oracle_public_key');
  v.u16(a.signatures.length, 'nb_signatures');
  a.signatures.forEach((s, i) => v.bytes(s, 64, `signature ${i}`));
  if (layout !== 'spec') v.u16(a.outcomes.length, 'nb_outcomes');
  for (const o of a.outcomes) v.string(o);
  return writer().tlv(TLV_TYPE.oracleAttestation, v.finish()).finish();
}

/**
 * Decodes exactly one `oracle_attestation` TLV record in any of the three layouts and says which
 * one it was. The layouts are tried in the order spec, rust-dlc, rust-dlc-legacy; a layout matches
 * only if it consumes the record exactly. @throws DecodeError if none does.
 */
export function decodeAttestationWithLayout(bytes: Uint8Array): {
  attestation: OracleAttestation;
  layout: AttestationLayout;
} {
  return decoding('oracle_attestation', bytes, (r) => {
    const value = r.tlv(TLV_TYPE.oracleAttestation, 'oracle_attestation').rest();
    let firstError: DecodeError | undefined;
    for (const layout of ['spec', 'rust-dlc', 'rust-dlc-legacy'] as const) {
      try {
        return { attestation: readAttestationValue(reader(value), layout), layout };
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        firstError ??= e;
      }
    }
    throw firstError ?? new DecodeError('oracle_attestation: no layout matched');
  });
}

/** Decodes exactly one `oracle_attestation` TLV record (any layout). @throws DecodeError */
export function decodeAttestation(bytes: Uint8Array): OracleAttestation {
  return decodeAttestationWithLayout(bytes).attestation;
}

// ---------------------------------------------------------------------------------------------
// JSON form served by the API: the hex TLV plus the decoded fields (rust-dlc/node-dlc field names).

export type EventDescriptorJson =
  | { readonly enumEvent: { readonly outcomes: readonly string[] } }
  | {
      readonly digitDecompositionEvent: {
        readonly base: number;
        readonly isSigned: boolean;
        readonly unit: string;
        readonly precision: number;
        readonly nbDigits: number;
      };
    };

export interface OracleEventJson {
  readonly oracleNonces: readonly string[];
  readonly eventMaturityEpoch: number;
  readonly eventDescriptor: EventDescriptorJson;
  readonly eventId: string;
}

export interface AnnouncementJson {
  /** The `oracle_announcement` TLV, hex. */
  readonly hex: string;
  readonly announcementSignature: string;
  readonly oraclePublicKey: string;
  readonly oracleEvent: OracleEventJson;
}

export interface AttestationJson {
  /** The `oracle_attestation` TLV (spec layout), hex. */
  readonly hex: string;
  readonly eventId: string;
  readonly oraclePublicKey: string;
  readonly signatures: readonly string[];
  readonly outcomes: readonly string[];
}

function descriptorToJson(d: EventDescriptor): EventDescriptorJson {
  return d.kind === 'enum'
    ? { enumEvent: { outcomes: [...d.outcomes] } }
    : {
        digitDecompositionEvent: {
          base: d.base,
          isSigned: d.isSigned,
          unit: d.unit,
          precision: d.precision,
          nbDigits: d.nbDigits,
        },
      };
}

/** The JSON form of an announcement: `{ hex, announcementSignature, oraclePublicKey, oracleEvent }`. */
export function announcementToJson(a: OracleAnnouncement): AnnouncementJson {
  return {
    hex: bytesToHex(encodeAnnouncement(a)),
    announcementSignature: bytesToHex(a.signature),
    oraclePublicKey: bytesToHex(a.oraclePublicKey),
    oracleEvent: {
      oracleNonces: a.event.nonces.map((n) => bytesToHex(n)),
      eventMaturityEpoch: a.event.maturityEpochSec,
      eventDescriptor: descriptorToJson(a.event.descriptor),
      eventId: a.event.eventId,
    },
  };
}

/** The JSON form of an attestation: `{ hex, eventId, oraclePublicKey, signatures, outcomes }`. */
export function attestationToJson(a: OracleAttestation): AttestationJson {
  return {
    hex: bytesToHex(encodeAttestation(a)),
    eventId: a.eventId,
    oraclePublicKey: bytesToHex(a.oraclePublicKey),
    signatures: a.signatures.map((s) => bytesToHex(s)),
    outcomes: [...a.outcomes],
  };
}

/** Parses an announcement from its hex TLV (the `hex` of {@link AnnouncementJson}). @throws DecodeError */
export function announcementFromHex(hex: string): OracleAnnouncement {
  return decodeAnnouncement(hexToBytesStrict(hex, 'oracle_announcement'));
}

/** Parses an attestation from its hex TLV. @throws DecodeError */
export function attestationFromHex(hex: string): OracleAttestation {
  return decodeAttestation(hexToBytesStrict(hex, 'oracle_attestation'));
}

function hexToBytesStrict(hex: string, what: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new DecodeError(`${what}: not hex`);
  return hexToBytes(hex);
}
