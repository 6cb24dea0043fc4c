import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { attestationMessage } from '../../src/crypto/hash.ts';
import { publicNonce, signWithExplicitNonce } from '../../src/crypto/nonces.ts';
import { xOnlyPublicKey } from '../../src/crypto/bip340.ts';
import { oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import {
  outcomePoint,
  precomputeDigitPoints,
  prefixPoint,
} from '../../src/crypto/attestation-points.ts';
import {
  announcementSigningMessage,
  createAnnouncement,
  verifyAnnouncement,
} from '../../src/dlc/announcement.ts';
import {
  attestedValue,
  createAttestation,
  OutcomeNotInEventError,
  verifyAttestation,
} from '../../src/dlc/attestation.ts';
import type { EventDescriptor, OracleAnnouncement } from '../../src/dlc/oracle-types.ts';

const keys = oracleKeysFromMnemonic(`${'abandon '.repeat(23)}art`);
const otherKeys = oracleKeysFromMnemonic(`${'zoo '.repeat(23)}vote`);
const enumDescriptor: EventDescriptor = { kind: 'enum', outcomes: ['accepted', 'rejected'] };
const share: EventDescriptor = {
  kind: 'digits',
  base: 2,
  isSigned: false,
  unit: 'percent',
  precision: 0,
  nbDigits: 7,
};
const enumA = createAnnouncement(keys, {
  eventId: 'verdict/c/0/aa',
  maturityEpochSec: 1,
  descriptor: enumDescriptor,
});
const shareA = createAnnouncement(keys, {
  eventId: 'verdict/c/1/aa',
  maturityEpochSec: 1,
  descriptor: share,
});

describe('createAnnouncement', () => {
  it('commits one nonce per enum event and nbDigits (+1 signed) for digits', () => {
    expect(enumA.event.nonces).toHaveLength(1);
    expect(shareA.event.nonces).toHaveLength(7);
    const signed = createAnnouncement(keys, {
      eventId: 's',
      maturityEpochSec: 1,
      descriptor: { ...share, isSigned: true },
    });
    expect(signed.event.nonces).toHaveLength(8);
  });

  it('uses different nonces for different events', () => {
    expect(enumA.event.nonces[0]).not.toEqual(shareA.event.nonces[0]);
  });

  it.each<[string, { eventId: string; maturityEpochSec: number; descriptor: EventDescriptor }]>([
    ['empty event id', { eventId: '', maturityEpochSec: 1, descriptor: enumDescriptor }],
    ['negative maturity', { eventId: 'e', maturityEpochSec: -1, descriptor: enumDescriptor }],
    [
      'maturity beyond u32',
      { eventId: 'e', maturityEpochSec: 2 ** 32, descriptor: enumDescriptor },
    ],
    [
      'no outcomes',
      {
        eventId: 'e',
        maturityEpochSec: 1,
        descriptor: { kind: 'enum', outcomes: [] },
      },
    ],
    [
      'duplicate outcomes (after NFC)',
      {
        eventId: 'e',
        maturityEpochSec: 1,
        descriptor: { kind: 'enum', outcomes: ['Å', 'A\u030a'] },
      },
    ],
    ['base 1', { eventId: 'e', maturityEpochSec: 1, descriptor: { ...share, base: 1 } }],
  ])('rejects %s with RangeError', (_n, params) => {
    expect(() => createAnnouncement(keys, params)).toThrow(RangeError);
  });

  it('a wrong nonce count fails verification', () => {
    const bad: OracleAnnouncement = {
      ...shareA,
      event: { ...shareA.event, nonces: shareA.event.nonces.slice(1) },
    };
    expect(verifyAnnouncement(bad)).toBe(false);
  });
});

describe('createAttestation', () => {
  it('attesting an outcome not in the event raises OutcomeNotInEventError', () => {
    expect(() => createAttestation(keys, enumA, 'maybe')).toThrow(OutcomeNotInEventError);
    try {
      createAttestation(keys, enumA, 'Accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(OutcomeNotInEventError);
      expect((e as OutcomeNotInEventError).code).toBe('outcome_not_in_event');
    }
  });

  it('the point of an outcome not in the event is refused too', () => {
    expect(() => outcomePoint(enumA, 'maybe', 'tagged')).toThrow(OutcomeNotInEventError);
  });

  it('a value of the wrong kind is a TypeError', () => {
    expect(() => createAttestation(keys, enumA, 1n)).toThrow(TypeError);
    expect(() => createAttestation(keys, shareA, '1')).toThrow(TypeError);
  });

  it('refuses an announcement of another oracle or with nonces that are not its own', () => {
    expect(() => createAttestation(otherKeys, enumA, 'accepted')).toThrow(RangeError);
    const foreignNonces: OracleAnnouncement = {
      ...enumA,
      event: {
        ...enumA.event,
        nonces: [hexToBytes('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')],
      },
    };
    expect(() => createAttestation(keys, foreignNonces, 'accepted')).toThrow(RangeError);
  });

  it('clamps a share above 127 to 127 and says so in attestedValue', () => {
    const att = createAttestation(keys, shareA, 1000n);
    expect(verifyAttestation(shareA, att)).toBe(true);
    expect(attestedValue(shareA, att)).toBe(127n);
  });

  it('each signature commits to its announced nonce (R.x)', () => {
    const att = createAttestation(keys, shareA, 37n);
    att.signatures.forEach((s, i) => expect(s.subarray(0, 32)).toEqual(shareA.event.nonces[i]));
  });
});

describe('verifyAttestation rejects', () => {
  const att = createAttestation(keys, enumA, 'accepted');
  const shareAtt = createAttestation(keys, shareA, 64n);

  it.each([
    ['another event id', () => verifyAttestation(enumA, { ...att, eventId: 'other' })],
    [
      'another public key',
      () => verifyAttestation(enumA, { ...att, oraclePublicKey: otherKeys.publicKey }),
    ],
    [
      'a missing signature',
      () => verifyAttestation(shareA, { ...shareAtt, signatures: shareAtt.signatures.slice(1) }),
    ],
    [
      'an extra outcome',
      () => verifyAttestation(enumA, { ...att, outcomes: ['accepted', 'accepted'] }),
    ],
    [
      'swapped signatures',
      () =>
        verifyAttestation(shareA, { ...shareAtt, signatures: [...shareAtt.signatures].reverse() }),
    ],
    ['the other convention', () => verifyAttestation(enumA, att, 'sha256')],
    [
      'an attestation of another event with the same key',
      () => verifyAttestation(shareA, shareAtt) && verifyAttestation(enumA, shareAtt),
    ],
  ])('%s', (_n, run) => {
    expect(run()).toBe(false);
  });

  it('a validly signed string that is not a possible outcome', () => {
    // An oracle whose secrets the test knows (test-only explicit-nonce signer).
    const sk = hexToBytes('0000000000000000000000000000000000000000000000000000000000000003');
    const nonceSecrets = [1001n, 1002n, 1003n];
    const descriptor: EventDescriptor = { ...share, nbDigits: 3 };
    const event = {
      nonces: nonceSecrets.map((k) => publicNonce(k)),
      maturityEpochSec: 1,
      descriptor,
      eventId: 'x',
    };
    const announcement: OracleAnnouncement = {
      signature: signWithExplicitNonce(announcementSigningMessage(event, 'tagged'), sk, 77n),
      oraclePublicKey: xOnlyPublicKey(sk),
      event,
    };
    expect(verifyAnnouncement(announcement)).toBe(true);
    const attest = (outcomes: string[]) => ({
      eventId: 'x',
      oraclePublicKey: announcement.oraclePublicKey,
      outcomes,
      signatures: outcomes.map((o, i) =>
        signWithExplicitNonce(attestationMessage(o, 'tagged'), sk, nonceSecrets[i] ?? 0n),
      ),
    });
    expect(verifyAttestation(announcement, attest(['1', '0', '1']))).toBe(true);
    expect(verifyAttestation(announcement, attest(['2', '0', '1']))).toBe(false);
    expect(verifyAttestation(announcement, attest(['1', '0', '01']))).toBe(false);
    expect(verifyAttestation(announcement, attest(['+', '0', '1']))).toBe(false);
  });
});

describe('prefixPoint', () => {
  const points = precomputeDigitPoints(shareA, 'tagged');
  it.each([
    ['empty prefix', [] as number[]],
    ['too long', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['digit out of range', [2]],
    ['negative digit', [-1]],
  ])('rejects %s with RangeError', (_n, prefix) => {
    expect(() => prefixPoint(points, prefix)).toThrow(RangeError);
  });
  it('a full-length prefix is the outcome point', () => {
    expect(prefixPoint(points, [1, 0, 0, 0, 0, 0, 0])).toEqual(outcomePoint(shareA, 64n, 'tagged'));
  });
  it('is only for digit events', () => {
    expect(() => precomputeDigitPoints(enumA, 'tagged')).toThrow(TypeError);
  });
});
