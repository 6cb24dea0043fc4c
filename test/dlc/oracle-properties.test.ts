import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attestationPoint,
  outcomePoint,
  precomputeDigitPoints,
  prefixPoint,
} from '../../src/crypto/attestation-points.ts';
import { oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import {
  addPoints,
  bytesToBigInt,
  decodePoint,
  encodePoint,
  mulBase,
  sumScalars,
} from '../../src/crypto/secp.ts';
import { createAnnouncement, verifyAnnouncement } from '../../src/dlc/announcement.ts';
import { attestedValue, createAttestation, verifyAttestation } from '../../src/dlc/attestation.ts';
import {
  maxDigitValue,
  outcomesAtPosition,
  outcomesToValue,
  valueToOutcomes,
} from '../../src/dlc/digits.ts';
import type { DigitsDescriptor } from '../../src/dlc/digits.ts';
import {
  decodeAnnouncement,
  decodeAttestation,
  DecodeError,
  encodeAnnouncement,
  encodeAttestation,
} from '../../src/dlc/oracle-codec.ts';
import type {
  EventDescriptor,
  OracleAnnouncement,
  OracleAttestation,
} from '../../src/dlc/oracle-types.ts';

const keys = [
  oracleKeysFromMnemonic(`${'abandon '.repeat(23)}art`),
  oracleKeysFromMnemonic(`${'zoo '.repeat(23)}vote`),
];

const nfcString = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc
    .string({ unit: 'grapheme', minLength, maxLength })
    .map((s) => s.normalize('NFC'))
    .filter((s) => s.length >= minLength);

const enumArb: fc.Arbitrary<EventDescriptor> = fc
  .uniqueArray(nfcString(1, 10), { minLength: 1, maxLength: 4 })
  .map((outcomes) => ({ kind: 'enum', outcomes }));

const digitsArb: fc.Arbitrary<DigitsDescriptor> = fc.record({
  kind: fc.constant('digits' as const),
  base: fc.integer({ min: 2, max: 5 }),
  isSigned: fc.boolean(),
  unit: nfcString(0, 8),
  precision: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  nbDigits: fc.integer({ min: 1, max: 5 }),
});

const paramsArb = (descriptor: fc.Arbitrary<EventDescriptor>) =>
  fc.record({
    keyIndex: fc.integer({ min: 0, max: keys.length - 1 }),
    eventId: nfcString(1, 24),
    maturityEpochSec: fc.integer({ min: 0, max: 0xffffffff }),
    descriptor,
  });

/** An announced event with an outcome to attest (values may lie outside the range: clamped). */
const attestedArb = fc.oneof(
  paramsArb(enumArb).chain((p) =>
    fc.record({
      p: fc.constant(p),
      outcome: fc.constantFrom(...(p.descriptor.kind === 'enum' ? p.descriptor.outcomes : ['?'])),
    }),
  ),
  paramsArb(digitsArb).chain((p) =>
    fc.record({
      p: fc.constant(p),
      outcome: fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }),
    }),
  ),
);

interface EventParams {
  keyIndex: number;
  eventId: string;
  maturityEpochSec: number;
  descriptor: EventDescriptor;
}

function make({ p, outcome }: { p: EventParams; outcome: string | bigint }): {
  announcement: OracleAnnouncement;
  attestation: OracleAttestation;
} {
  const k = keys[p.keyIndex];
  if (k === undefined) throw new Error('no key');
  const announcement = createAnnouncement(k, p);
  return { announcement, attestation: createAttestation(k, announcement, outcome) };
}

const RUNS = { numRuns: 15 };

describe('oracle properties', () => {
  it('sign → verify, and encode → decode is byte-identical', () => {
    fc.assert(
      fc.property(attestedArb, (input) => {
        const { announcement, attestation } = make(input);
        expect(verifyAnnouncement(announcement)).toBe(true);
        expect(verifyAttestation(announcement, attestation)).toBe(true);
        const aBytes = encodeAnnouncement(announcement);
        const decodedA = decodeAnnouncement(aBytes);
        expect(decodedA).toEqual(announcement);
        expect(encodeAnnouncement(decodedA)).toEqual(aBytes);
        const tBytes = encodeAttestation(attestation);
        const decodedT = decodeAttestation(tBytes);
        expect(decodedT).toEqual(attestation);
        expect(encodeAttestation(decodedT)).toEqual(tBytes);
        expect(verifyAttestation(decodedA, decodedT)).toBe(true);
      }),
      RUNS,
    );
  });

  it('s·G of the attested outcome equals the point computed from the announcement alone', () => {
    fc.assert(
      fc.property(attestedArb, (input) => {
        const { announcement, attestation } = make(input);
        const sum = sumScalars(attestation.signatures.map((s) => s.subarray(32)));
        const sG = encodePoint(mulBase(bytesToBigInt(sum)));
        expect(outcomePoint(announcement, input.outcome, 'tagged')).toEqual(sG);
        expect(
          outcomePoint(announcement, attestedValue(announcement, attestation), 'tagged'),
        ).toEqual(sG);
        attestation.signatures.forEach((s, i) => {
          const nonce = announcement.event.nonces[i] ?? new Uint8Array();
          expect(
            attestationPoint(
              announcement.oraclePublicKey,
              nonce,
              attestation.outcomes[i] ?? '',
              'tagged',
            ),
          ).toEqual(encodePoint(mulBase(bytesToBigInt(s.subarray(32)))));
        });
      }),
      RUNS,
    );
  });

  it('prefix points are the sums of per-digit points, and match the attested prefix scalars', () => {
    fc.assert(
      fc.property(
        paramsArb(digitsArb),
        fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }),
        fc.integer({ min: 1, max: 7 }),
        (p, value, prefixLength) => {
          const { announcement, attestation } = make({ p, outcome: value });
          const d = announcement.event.descriptor;
          if (d.kind !== 'digits') throw new Error('digits expected');
          const points = precomputeDigitPoints(announcement, 'tagged');
          const k = Math.min(prefixLength, announcement.event.nonces.length);
          const prefix = attestation.outcomes
            .slice(0, k)
            .map((o, i) => outcomesAtPosition(d, i).indexOf(o));
          expect(prefix.every((j) => j >= 0)).toBe(true);
          const expected = addPoints(
            attestation.outcomes
              .slice(0, k)
              .map((o, i) =>
                decodePoint(
                  attestationPoint(
                    announcement.oraclePublicKey,
                    announcement.event.nonces[i] ?? new Uint8Array(),
                    o,
                    'tagged',
                  ),
                ),
              ),
          );
          expect(prefixPoint(points, prefix)).toEqual(encodePoint(expected));
          const sum = sumScalars(attestation.signatures.slice(0, k).map((s) => s.subarray(32)));
          expect(prefixPoint(points, prefix)).toEqual(encodePoint(mulBase(bytesToBigInt(sum))));
        },
      ),
      RUNS,
    );
  });

  it('flipping any bit of a signature, nonce or outcome makes verification fail', () => {
    fc.assert(
      fc.property(
        attestedArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (input, pick, byteIndex, bit) => {
          const { announcement, attestation } = make(input);
          const n = attestation.signatures.length;
          const i = pick % n;
          const flip = (b: Uint8Array, at: number): Uint8Array => {
            const c = b.slice();
            c[at % c.length] = (c[at % c.length] ?? 0) ^ (1 << bit);
            return c;
          };
          // attestation signature
          const sigs = attestation.signatures.map((s, j) => (j === i ? flip(s, byteIndex) : s));
          expect(verifyAttestation(announcement, { ...attestation, signatures: sigs })).toBe(false);
          // announcement signature
          expect(
            verifyAnnouncement({
              ...announcement,
              signature: flip(announcement.signature, byteIndex),
            }),
          ).toBe(false);
          // announced nonce
          const nonces = announcement.event.nonces.map((r, j) =>
            j === i ? flip(r, byteIndex) : r,
          );
          const badEvent = { ...announcement, event: { ...announcement.event, nonces } };
          expect(verifyAnnouncement(badEvent)).toBe(false);
          expect(verifyAttestation(badEvent, attestation)).toBe(false);
          // outcome string (as UTF-8 bytes; a flip that is not UTF-8 cannot even be represented)
          const outcomeBytes = new TextEncoder().encode(attestation.outcomes[i] ?? '');
          let flipped: string;
          try {
            flipped = new TextDecoder('utf-8', { fatal: true }).decode(
              flip(outcomeBytes, byteIndex),
            );
          } catch {
            return;
          }
          const outcomes = attestation.outcomes.map((o, j) => (j === i ? flipped : o));
          expect(verifyAttestation(announcement, { ...attestation, outcomes })).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('flipping any bit of an encoded announcement or attestation makes decoding or verification fail', () => {
    fc.assert(
      fc.property(attestedArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (input, at, bit) => {
        const { announcement, attestation } = make(input);
        const aBytes = encodeAnnouncement(announcement);
        const badA = aBytes.slice();
        badA[at % badA.length] = (badA[at % badA.length] ?? 0) ^ (1 << bit);
        let decodedA: OracleAnnouncement | undefined;
        try {
          decodedA = decodeAnnouncement(badA);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
        if (decodedA !== undefined) {
          expect(verifyAnnouncement(decodedA)).toBe(false);
          expect(verifyAttestation(decodedA, attestation)).toBe(false);
        }
        const tBytes = encodeAttestation(attestation);
        const badT = tBytes.slice();
        badT[at % badT.length] = (badT[at % badT.length] ?? 0) ^ (1 << bit);
        let decodedT: OracleAttestation | undefined;
        try {
          decodedT = decodeAttestation(badT);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
        if (decodedT !== undefined) expect(verifyAttestation(announcement, decodedT)).toBe(false);
      }),
      RUNS,
    );
  });

  it('digits: value → outcomes → value is the identity on the range and clamps outside it', () => {
    fc.assert(
      fc.property(digitsArb, fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }), (d, value) => {
        const max = maxDigitValue(d);
        const expected =
          value > max ? max : d.isSigned ? (value < -max ? -max : value) : value < 0n ? 0n : value;
        const outcomes = valueToOutcomes(d, value);
        expect(outcomes).toHaveLength(d.nbDigits + (d.isSigned ? 1 : 0));
        expect(outcomesToValue(d, outcomes)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('attestation is deterministic: the same outcome gives the same bytes', () => {
    fc.assert(
      fc.property(attestedArb, (input) => {
        const a = make(input);
        const b = make(input);
        expect(encodeAnnouncement(a.announcement)).toEqual(encodeAnnouncement(b.announcement));
        expect(encodeAttestation(a.attestation)).toEqual(encodeAttestation(b.attestation));
      }),
      { numRuns: 10 },
    );
  });
});
