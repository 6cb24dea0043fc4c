import { hexToBytes } from '@noble/hashes/utils.js';
import { OracleAnnouncement, OracleAttestation } from '@node-dlc/messaging';
import { expect } from 'vitest';
import { verifyAnnouncement } from '../../src/dlc/announcement.ts';
import { verifyAttestation } from '../../src/dlc/attestation.ts';
import { decodeAnnouncement, decodeAttestation } from '../../src/dlc/oracle-codec.ts';

/** The attestation verifies against its announcement with our library AND with @node-dlc/messaging. */
export function expectAttestationVerifies(announcementHex: string, attestationHex: string): void {
  const ann = decodeAnnouncement(hexToBytes(announcementHex));
  const att = decodeAttestation(hexToBytes(attestationHex));
  expect(verifyAnnouncement(ann)).toBe(true);
  expect(verifyAttestation(ann, att)).toBe(true);
  const nodeAnn = OracleAnnouncement.deserialize(Buffer.from(announcementHex, 'hex'));
  nodeAnn.validate();
  const nodeAtt = OracleAttestation.deserialize(Buffer.from(attestationHex, 'hex'));
  expect(() => nodeAtt.validate(nodeAnn)).not.toThrow();
}
