import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import {
  OracleAnnouncement as NodeDlcAnnouncement,
  OracleAttestation as NodeDlcAttestation,
} from '@node-dlc/messaging';
import { describe, expect, it } from 'vitest';
import { oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { createAnnouncement, verifyAnnouncement } from '../../src/dlc/announcement.ts';
import { createAttestation, verifyAttestation } from '../../src/dlc/attestation.ts';
import {
  announcementFromHex,
  announcementToJson,
  attestationFromHex,
  attestationToJson,
  decodeAnnouncement,
  decodeAttestation,
  decodeAttestationWithLayout,
  decodeEventDescriptor,
  decodeOracleEvent,
  DecodeError,
  encodeAnnouncement,
  encodeAttestation,
  encodeOracleEvent,
} from '../../src/dlc/oracle-codec.ts';
import type { EventDescriptor } from '../../src/dlc/oracle-types.ts';

const keys = oracleKeysFromMnemonic(`${'abandon '.repeat(23)}art`);
const enumDescriptor: EventDescriptor = { kind: 'enum', outcomes: ['accepted', 'rejected'] };
const shareDescriptor: EventDescriptor = {
  kind: 'digits',
  base: 2,
  isSigned: false,
  unit: 'percent',
  precision: 0,
  nbDigits: 7,
};
const enumAnnouncement = createAnnouncement(keys, {
  eventId: 'verdict/c1/0/0123456789abcdef',
  maturityEpochSec: 1767225600,
  descriptor: enumDescriptor,
});
const shareAnnouncement = createAnnouncement(keys, {
  eventId: 'verdict/c1/1/0123456789abcdef',
  maturityEpochSec: 1767225600,
  descriptor: shareDescriptor,
});

// Tiny raw builders, independent of the codec under test.
const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
const bigsize = (v: number): Uint8Array =>
  v < 0xfd ? Uint8Array.of(v) : concatBytes(Uint8Array.of(0xfd), u16(v));
const str = (s: string): Uint8Array => {
  const b = new TextEncoder().encode(s);
  return concatBytes(bigsize(b.length), b);
};
const tlv = (type: number, value: Uint8Array): Uint8Array =>
  concatBytes(bigsize(type), bigsize(value.length), value);
const x32 = new Uint8Array(32).fill(7);
const enumDesc = (outcomes: Uint8Array[], count = outcomes.length): Uint8Array =>
  tlv(55302, concatBytes(u16(count), ...outcomes));
const event = (desc: Uint8Array, id: Uint8Array = str('e')): Uint8Array =>
  tlv(55330, concatBytes(u16(1), x32, Uint8Array.of(0, 0, 0, 1), desc, id));

describe('oracle codec: valid messages', () => {
  it('round-trips our announcements and attestations byte-identically', () => {
    for (const a of [enumAnnouncement, shareAnnouncement]) {
      const bytes = encodeAnnouncement(a);
      expect(decodeAnnouncement(bytes)).toEqual(a);
      expect(decodeOracleEvent(encodeOracleEvent(a.event))).toEqual(a.event);
    }
    const att = createAttestation(keys, shareAnnouncement, 42n);
    expect(decodeAttestationWithLayout(encodeAttestation(att))).toEqual({
      attestation: att,
      layout: 'spec',
    });
    expect(decodeAttestationWithLayout(encodeAttestation(att, 'rust-dlc')).layout).toBe('rust-dlc');
  });

  it('writes string lengths as UTF-8 byte lengths and NFC-normalizes', () => {
    const e = decodeOracleEvent(event(enumDesc([str('ok')]), str('café ✓')));
    expect(e.eventId).toBe('café ✓');
    const bytes = encodeOracleEvent({ ...e, eventId: 'cafe\u0301 ✓' }); // decomposed é → NFC
    expect(bytesToHex(bytes)).toBe(bytesToHex(event(enumDesc([str('ok')]), str('café ✓'))));
  });

  it('serves the JSON form: hex TLV plus decoded fields', () => {
    const json = announcementToJson(enumAnnouncement);
    expect(json.hex).toBe(bytesToHex(encodeAnnouncement(enumAnnouncement)));
    expect(json.oracleEvent.eventDescriptor).toEqual({
      enumEvent: { outcomes: ['accepted', 'rejected'] },
    });
    expect(json.oracleEvent.oracleNonces).toHaveLength(1);
    expect(announcementFromHex(json.hex)).toEqual(enumAnnouncement);
    const att = createAttestation(keys, enumAnnouncement, 'rejected');
    const attJson = attestationToJson(att);
    expect(attJson).toMatchObject({
      eventId: enumAnnouncement.event.eventId,
      outcomes: ['rejected'],
    });
    expect(attestationFromHex(attJson.hex)).toEqual(att);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

describe('@node-dlc/messaging 1.1.7 reads and validates what we write', () => {
  it.each([
    ['enum', enumAnnouncement, 'accepted'],
    ['share', shareAnnouncement, 100n],
  ] as const)('%s event', (_name, announcement, outcome) => {
    const nodeAnnouncement = NodeDlcAnnouncement.deserialize(
      Buffer.from(encodeAnnouncement(announcement)),
    );
    expect(() => nodeAnnouncement.validate()).not.toThrow();
    expect(nodeAnnouncement.getEventId()).toBe(announcement.event.eventId);
    expect(nodeAnnouncement.getNonces().map((n) => n.toString('hex'))).toEqual(
      announcement.event.nonces.map((n) => bytesToHex(n)),
    );
    const attestation = createAttestation(keys, announcement, outcome);
    const nodeAttestation = NodeDlcAttestation.deserialize(
      Buffer.from(encodeAttestation(attestation)),
    );
    expect(nodeAttestation.outcomes).toEqual(attestation.outcomes);
    expect(() => nodeAttestation.validate(nodeAnnouncement)).not.toThrow();
    // and node-dlc's own (rust-dlc layout) serialization decodes with us
    expect(decodeAttestation(new Uint8Array(nodeAttestation.serialize()))).toEqual(attestation);
  });
  it('signed events: node-dlc reads the same fields, but its validate() refuses isSigned (a node-dlc limitation)', () => {
    const signed = createAnnouncement(keys, {
      eventId: 'signed',
      maturityEpochSec: 1,
      descriptor: { ...shareDescriptor, isSigned: true },
    });
    const nodeAnnouncement = NodeDlcAnnouncement.deserialize(
      Buffer.from(encodeAnnouncement(signed)),
    );
    expect(nodeAnnouncement.getNonces()).toHaveLength(8);
    expect(nodeAnnouncement.serialize().toString('hex')).toBe(
      bytesToHex(encodeAnnouncement(signed)),
    );
    expect(() => nodeAnnouncement.validate()).toThrow(/isSigned/);
  });
});

const validEnumEvent = event(enumDesc([str('a'), str('b')]));
const invalidCases: [string, () => unknown][] = [
  ['empty input', () => decodeOracleEvent(new Uint8Array())],
  ['truncated event', () => decodeOracleEvent(validEnumEvent.slice(0, -1))],
  [
    'trailing byte after the record',
    () => decodeOracleEvent(concatBytes(validEnumEvent, Uint8Array.of(0))),
  ],
  ['wrong TLV type', () => decodeOracleEvent(tlv(55331, validEnumEvent.slice(3)))],
  [
    'non-canonical bigsize length',
    () =>
      decodeOracleEvent(
        concatBytes(Uint8Array.of(0xfd, 0xd8, 0x22, 0xfd, 0x00), validEnumEvent.slice(4)),
      ),
  ],
  ['enum count larger than its outcomes', () => decodeEventDescriptor(enumDesc([str('a')], 2))],
  [
    'enum count smaller than its outcomes',
    () => decodeEventDescriptor(enumDesc([str('a'), str('b')], 1)),
  ],
  ['invalid UTF-8 outcome', () => decodeEventDescriptor(enumDesc([Uint8Array.of(2, 0xc3, 0x28)]))],
  ['non-NFC outcome', () => decodeEventDescriptor(enumDesc([str('A\u030a')]))],
  [
    'string length beyond the record',
    () => decodeEventDescriptor(enumDesc([Uint8Array.of(9, 0x61)])),
  ],
  ['unknown descriptor type', () => decodeEventDescriptor(tlv(55304, new Uint8Array(10)))],
  [
    'digits: bool byte 0x02',
    () =>
      decodeEventDescriptor(
        tlv(55306, concatBytes(u16(2), Uint8Array.of(2), str('u'), new Uint8Array(4), u16(7))),
      ),
  ],
  [
    'digits: base 1',
    () =>
      decodeEventDescriptor(
        tlv(55306, concatBytes(u16(1), Uint8Array.of(0), str('u'), new Uint8Array(4), u16(7))),
      ),
  ],
  [
    'digits: zero digits',
    () =>
      decodeEventDescriptor(
        tlv(55306, concatBytes(u16(2), Uint8Array.of(0), str('u'), new Uint8Array(4), u16(0))),
      ),
  ],
  [
    'digits: trailing byte inside the TLV',
    () =>
      decodeEventDescriptor(
        tlv(
          55306,
          concatBytes(
            u16(2),
            Uint8Array.of(0),
            str('u'),
            new Uint8Array(4),
            u16(7),
            Uint8Array.of(0),
          ),
        ),
      ),
  ],
  [
    'event: nested descriptor overruns the event',
    () =>
      decodeOracleEvent(
        tlv(
          55330,
          concatBytes(u16(0), Uint8Array.of(0, 0, 0, 1), Uint8Array.of(0xfd, 0xd8, 0x06, 0x40)),
        ),
      ),
  ],
  ['announcement: truncated signature', () => decodeAnnouncement(tlv(55332, new Uint8Array(40)))],
  [
    'announcement: trailing byte inside the TLV',
    () =>
      decodeAnnouncement(
        tlv(55332, concatBytes(new Uint8Array(96), validEnumEvent, Uint8Array.of(1))),
      ),
  ],
  [
    'attestation: outcome count differs from signature count',
    () =>
      decodeAttestation(
        tlv(55400, concatBytes(str('e'), x32, u16(1), new Uint8Array(64), u16(2), str('a'))),
      ),
  ],
  [
    'attestation: missing outcome',
    () =>
      decodeAttestation(
        tlv(55400, concatBytes(str('e'), x32, u16(2), new Uint8Array(128), str('a'))),
      ),
  ],
  ['attestation: hex is not hex', () => attestationFromHex('fdd86zz')],
];

describe('oracle codec: invalid input raises DecodeError', () => {
  it.each(invalidCases)('%s', (_name, run) => {
    expect(run).toThrow(DecodeError);
    try {
      run();
    } catch (e) {
      expect((e as DecodeError).code).toBe('decode_error');
    }
  });

  it('the raw builders produce a valid event (sanity of the invalid cases)', () => {
    expect(decodeOracleEvent(validEnumEvent).descriptor).toEqual({
      kind: 'enum',
      outcomes: ['a', 'b'],
    });
  });
});

describe('verification of decoded data', () => {
  it('a decoded announcement with another key fails', () => {
    const forged = {
      ...enumAnnouncement,
      oraclePublicKey: hexToBytes(
        '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
      ),
    };
    expect(verifyAnnouncement(forged)).toBe(false);
    const att = createAttestation(keys, enumAnnouncement, 'accepted');
    expect(verifyAttestation(forged, { ...att, oraclePublicKey: forged.oraclePublicKey })).toBe(
      false,
    );
  });
});
