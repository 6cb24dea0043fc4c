import { describe, expect, it } from 'vitest';
import { generateOracleMnemonic, oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { createAnnouncement, verifyAnnouncement } from '../../src/dlc/announcement.ts';
import {
  attestedValue,
  createAttestation,
  OutcomeNotInEventError,
  verifyAttestation,
} from '../../src/dlc/attestation.ts';
import {
  decodeAnnouncement,
  decodeAttestation,
  encodeAnnouncement,
  encodeAttestation,
} from '../../src/dlc/oracle-codec.ts';
import type { EventDescriptor } from '../../src/dlc/oracle-types.ts';

const mnemonic = generateOracleMnemonic();
const keys = oracleKeysFromMnemonic(mnemonic);
const enumDescriptor: EventDescriptor = { kind: 'enum', outcomes: ['accepted', 'rejected'] };
const shareDescriptor: EventDescriptor = {
  kind: 'digits',
  base: 2,
  isSigned: false,
  unit: 'percent',
  precision: 0,
  nbDigits: 7,
};

describe('oracle thin path: keys → announcement → attestation → codec → verify', () => {
  it('enum event', () => {
    const a = createAnnouncement(keys, {
      eventId: 'verdict/c1/0/abcd',
      maturityEpochSec: 1767225600,
      descriptor: enumDescriptor,
    });
    expect(verifyAnnouncement(a)).toBe(true);
    const decoded = decodeAnnouncement(encodeAnnouncement(a));
    expect(verifyAnnouncement(decoded)).toBe(true);
    const att = createAttestation(keys, decoded, 'accepted');
    const att2 = decodeAttestation(encodeAttestation(att));
    expect(verifyAttestation(decoded, att2)).toBe(true);
    expect(verifyAttestation(decoded, att2, 'sha256')).toBe(false);
    expect(attestedValue(decoded, att2)).toBe('accepted');
  });

  it('share event', () => {
    const a = createAnnouncement(keys, {
      eventId: 'verdict/c1/1/abcd',
      maturityEpochSec: 1767225600,
      descriptor: shareDescriptor,
    });
    const att = createAttestation(keys, a, 73n);
    expect(att.outcomes).toEqual(['1', '0', '0', '1', '0', '0', '1']);
    expect(verifyAttestation(a, decodeAttestation(encodeAttestation(att)))).toBe(true);
    expect(attestedValue(a, att)).toBe(73n);
  });

  it('rejects an outcome not in the event', () => {
    const a = createAnnouncement(keys, {
      eventId: 'verdict/c1/2/abcd',
      maturityEpochSec: 1,
      descriptor: enumDescriptor,
    });
    expect(() => createAttestation(keys, a, 'maybe')).toThrow(OutcomeNotInEventError);
  });
});
