import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  attestationPoint,
  outcomePoint,
  precomputeDigitPoints,
  prefixPoint,
} from '../../src/crypto/attestation-points.ts';
import { attestationMessage } from '../../src/crypto/hash.ts';
import type { HashConvention } from '../../src/crypto/hash.ts';
import { publicNonce, signWithExplicitNonce } from '../../src/crypto/nonces.ts';
import { bytesToBigInt, encodePoint, mulBase, sumScalars } from '../../src/crypto/secp.ts';
import { xOnlyPublicKey } from '../../src/crypto/bip340.ts';
import { announcementSigningMessage, verifyAnnouncement } from '../../src/dlc/announcement.ts';
import { attestedValue, verifyAttestation } from '../../src/dlc/attestation.ts';
import {
  decodeAnnouncement,
  decodeAttestationWithLayout,
  decodeEventDescriptor,
  decodeOracleEvent,
  encodeAnnouncement,
  encodeAttestation,
  encodeEventDescriptor,
  encodeOracleEvent,
} from '../../src/dlc/oracle-codec.ts';
import type { AttestationLayout } from '../../src/dlc/oracle-codec.ts';
import type {
  EventDescriptor,
  OracleAnnouncement,
  OracleEvent,
} from '../../src/dlc/oracle-types.ts';
import { loadVectorEntries, loadVectorFiles, vectorFiles, loadVector } from '../helpers/vectors.ts';

// ---------------------------------------------------------------------------------------------
// node-dlc/oracle_message_test_vectors.json (vectors README "node-dlc/")

interface OracleMessageVector {
  announcement: string;
  attestation: string;
}
// Every node-dlc/oracle_message_test_vectors*.json file, entries by name (a name needs its
// expectation below, from the vectors README).
const messageVectors: Record<string, OracleMessageVector> = {};
for (const { file, data } of loadVectorFiles<Record<string, OracleMessageVector>>(
  'oracle-messages',
)) {
  for (const [name, v] of Object.entries(data)) {
    if (name in messageVectors) throw new Error(`${file}: entry ${name} appears twice`);
    messageVectors[name] = v;
  }
}

/** Per the vectors README: which convention and attestation layout each entry uses. */
const messageExpectations: Record<
  string,
  {
    convention: HashConvention;
    layout: AttestationLayout;
    attestationVerifies: boolean;
    value: bigint | null;
  }
> = {
  atomic: { convention: 'tagged', layout: 'spec', attestationVerifies: true, value: 105506n },
  lava: {
    convention: 'sha256',
    layout: 'rust-dlc-legacy',
    attestationVerifies: true,
    value: 107360n,
  },
  rust_dlc_enum: {
    convention: 'sha256',
    layout: 'rust-dlc',
    attestationVerifies: false,
    value: null,
  },
  rust_dlc_numeric: {
    convention: 'sha256',
    layout: 'rust-dlc',
    attestationVerifies: false,
    value: null,
  },
};

const other = (c: HashConvention): HashConvention => (c === 'tagged' ? 'sha256' : 'tagged');

describe('node-dlc oracle_message_test_vectors.json', () => {
  it('covers every entry', () => {
    expect(Object.keys(messageVectors).sort()).toEqual(Object.keys(messageExpectations).sort());
  });

  it.each(Object.entries(messageVectors))('%s: decode → re-encode is byte-identical', (name, v) => {
    const expectation = messageExpectations[name];
    if (expectation === undefined) throw new Error(`no expectation for ${name}`);
    const announcement = decodeAnnouncement(hexToBytes(v.announcement));
    expect(bytesToHex(encodeAnnouncement(announcement))).toBe(v.announcement);
    const { attestation, layout } = decodeAttestationWithLayout(hexToBytes(v.attestation));
    expect(layout).toBe(expectation.layout);
    expect(bytesToHex(encodeAttestation(attestation, layout))).toBe(v.attestation);
  });

  it.each(Object.entries(messageVectors))(
    '%s: verifies under its own convention only',
    (name, v) => {
      const expectation = messageExpectations[name];
      if (expectation === undefined) throw new Error(`no expectation for ${name}`);
      const announcement = decodeAnnouncement(hexToBytes(v.announcement));
      const { attestation } = decodeAttestationWithLayout(hexToBytes(v.attestation));
      expect(verifyAnnouncement(announcement, expectation.convention)).toBe(true);
      expect(verifyAnnouncement(announcement, other(expectation.convention))).toBe(false);
      expect(verifyAttestation(announcement, attestation, expectation.convention)).toBe(
        expectation.attestationVerifies,
      );
      expect(verifyAttestation(announcement, attestation, other(expectation.convention))).toBe(
        false,
      );
      if (expectation.value !== null) {
        expect(attestedValue(announcement, attestation)).toBe(expectation.value);
        // s·G of the attested digits equals the point computed from the announcement alone.
        const sum = sumScalars(attestation.signatures.map((s) => s.subarray(32)));
        expect(bytesToHex(encodePoint(mulBase(bytesToBigInt(sum))))).toBe(
          bytesToHex(outcomePoint(announcement, expectation.value, expectation.convention)),
        );
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Announcements inside dlcspecs/test/test_vectors/*.json offers (rust-dlc convention)

interface AnnouncementJson {
  announcementSignature: string;
  oraclePublicKey: string;
  oracleEvent: {
    oracleNonces: string[];
    eventMaturityEpoch: number;
    eventDescriptor:
      | { enumEvent: { outcomes: string[] } }
      | {
          digitDecompositionEvent: {
            base: number;
            isSigned: boolean;
            unit: string;
            precision: number;
            nbDigits: number;
          };
        };
    eventId: string;
  };
}

function collectAnnouncements(node: unknown, out: AnnouncementJson[]): void {
  if (Array.isArray(node)) {
    for (const x of node) collectAnnouncements(x, out);
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'oracleAnnouncement') out.push(v as AnnouncementJson);
      else if (k === 'oracleAnnouncements') out.push(...(v as AnnouncementJson[]));
      else collectAnnouncements(v, out);
    }
  }
}

function announcementFromJson(j: AnnouncementJson): OracleAnnouncement {
  const d = j.oracleEvent.eventDescriptor;
  const descriptor: EventDescriptor =
    'enumEvent' in d
      ? { kind: 'enum', outcomes: d.enumEvent.outcomes }
      : { kind: 'digits', ...d.digitDecompositionEvent };
  return {
    signature: hexToBytes(j.announcementSignature),
    oraclePublicKey: hexToBytes(j.oraclePublicKey),
    event: {
      nonces: j.oracleEvent.oracleNonces.map((n) => hexToBytes(n)),
      maturityEpochSec: j.oracleEvent.eventMaturityEpoch,
      descriptor,
      eventId: j.oracleEvent.eventId,
    },
  };
}

const offerCases = vectorFiles('protocol-v1').flatMap((file) => {
  const v = loadVector<{ offer_message: { message: unknown; serialized: string } }>(file);
  const found: AnnouncementJson[] = [];
  collectAnnouncements(v.offer_message.message, found);
  return found.map((a, i) => [`${file} #${i}`, a, v.offer_message.serialized] as const);
});

describe('oracle announcements inside dlcspecs test_vectors offers (sha256 convention)', () => {
  it('found announcements in every file', () => {
    expect(offerCases.length).toBeGreaterThanOrEqual(13);
  });

  it.each(offerCases)('%s', (_name, json, offerHex) => {
    const fromJson = announcementFromJson(json);
    const tlv = bytesToHex(encodeAnnouncement(fromJson));
    // Our encoding is exactly the bytes embedded in the serialized offer …
    expect(offerHex).toContain(tlv);
    // … and decoding them gives the same announcement and re-encodes identically.
    const decoded = decodeAnnouncement(hexToBytes(tlv));
    expect(decoded).toEqual(fromJson);
    expect(bytesToHex(encodeAnnouncement(decoded))).toBe(tlv);
    expect(verifyAnnouncement(decoded, 'sha256')).toBe(true);
    expect(verifyAnnouncement(decoded, 'tagged')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// derived/oracle_examples.json: every byte reproduced from the secret key and nonces

interface ExampleConvention {
  nonce_secrets: string[];
  nonces: string[];
  oracle_event_tlv_hex: string;
  announcement_signing_message_hex: string;
  announcement_nonce_secret: string;
  announcement_tlv_hex: string;
  attestation_tlv_hex: string;
  attestation_signatures: string[];
  adaptor_points?: Record<string, string>;
  attestation_scalar_for_attested_outcome?: string;
  per_nonce_outcome_points?: Record<string, string>[];
  adaptor_point_full_outcome?: string;
  sum_of_attestation_scalars_full_outcome?: string;
  prefix_example?: {
    prefix_outcomes: string[];
    adaptor_point: string;
    sum_of_attestation_scalars: string;
  };
}
interface ExampleEvent {
  event_id: string;
  kind: string;
  maturity_epoch: number;
  event_descriptor_tlv_hex: string;
  attested_outcomes: string[];
  by_convention: Record<string, ExampleConvention>;
}
interface ExampleFile {
  oracle_secret_key: string;
  oracle_public_key: string;
  events: ExampleEvent[];
}
// Every derived/oracle_examples*.json file.
const exampleFiles = loadVectorFiles<ExampleFile>('oracle-examples');
const conventionOf: Record<string, HashConvention> = { spec: 'tagged', 'rust-dlc': 'sha256' };

const exampleCases = exampleFiles.flatMap(({ file, data: ex }) =>
  ex.events.flatMap((e) =>
    Object.entries(e.by_convention).map(
      ([name, c]) => [`${file} ${e.event_id} (${name})`, e, name, c, ex] as const,
    ),
  ),
);

describe('derived oracle_examples.json', () => {
  it('has both conventions for every event', () => {
    const events = exampleFiles.reduce((n, f) => n + f.data.events.length, 0);
    expect(exampleCases.length).toBe(events * 2);
    for (const { data } of exampleFiles) {
      expect(bytesToHex(xOnlyPublicKey(hexToBytes(data.oracle_secret_key)))).toBe(
        data.oracle_public_key,
      );
    }
  });

  it.each(exampleCases)('%s', (_n, e, conventionName, c, ex) => {
    const secretKey = hexToBytes(ex.oracle_secret_key);
    const convention = conventionOf[conventionName];
    if (convention === undefined) throw new Error(`unknown convention ${conventionName}`);
    const pubKey = hexToBytes(ex.oracle_public_key);

    // event descriptor and oracle_event
    const descriptor = decodeEventDescriptor(hexToBytes(e.event_descriptor_tlv_hex));
    expect(bytesToHex(encodeEventDescriptor(descriptor))).toBe(e.event_descriptor_tlv_hex);
    const nonces = c.nonce_secrets.map((k) => publicNonce(bytesToBigInt(hexToBytes(k))));
    expect(nonces.map((n) => bytesToHex(n))).toEqual(c.nonces);
    const event: OracleEvent = {
      nonces,
      maturityEpochSec: e.maturity_epoch,
      descriptor,
      eventId: e.event_id,
    };
    expect(bytesToHex(encodeOracleEvent(event))).toBe(c.oracle_event_tlv_hex);
    expect(decodeOracleEvent(hexToBytes(c.oracle_event_tlv_hex))).toEqual(event);

    // announcement
    const message = announcementSigningMessage(event, convention);
    expect(bytesToHex(message)).toBe(c.announcement_signing_message_hex);
    const signature = signWithExplicitNonce(
      message,
      secretKey,
      hexToBytes(c.announcement_nonce_secret),
    );
    const announcement: OracleAnnouncement = { signature, oraclePublicKey: pubKey, event };
    expect(bytesToHex(encodeAnnouncement(announcement))).toBe(c.announcement_tlv_hex);
    expect(decodeAnnouncement(hexToBytes(c.announcement_tlv_hex))).toEqual(announcement);
    expect(verifyAnnouncement(announcement, convention)).toBe(true);
    expect(verifyAnnouncement(announcement, other(convention))).toBe(false);

    // attestation
    const signatures = e.attested_outcomes.map((o, i) =>
      signWithExplicitNonce(
        attestationMessage(o, convention),
        secretKey,
        hexToBytes(c.nonce_secrets[i] ?? ''),
      ),
    );
    expect(signatures.map((s) => bytesToHex(s))).toEqual(c.attestation_signatures);
    const attestation = {
      eventId: e.event_id,
      oraclePublicKey: pubKey,
      signatures,
      outcomes: e.attested_outcomes,
    };
    const layout: AttestationLayout = convention === 'tagged' ? 'spec' : 'rust-dlc';
    expect(bytesToHex(encodeAttestation(attestation, layout))).toBe(c.attestation_tlv_hex);
    expect(decodeAttestationWithLayout(hexToBytes(c.attestation_tlv_hex))).toEqual({
      attestation,
      layout,
    });
    expect(verifyAttestation(announcement, attestation, convention)).toBe(true);
    expect(verifyAttestation(announcement, attestation, other(convention))).toBe(false);

    // points from the announcement alone, and the matching scalar sums
    const sum = sumScalars(signatures.map((s) => s.subarray(32)));
    const sG = bytesToHex(encodePoint(mulBase(bytesToBigInt(sum))));
    if (descriptor.kind === 'enum') {
      for (const [outcome, point] of Object.entries(c.adaptor_points ?? {})) {
        expect(
          bytesToHex(attestationPoint(pubKey, nonces[0] ?? new Uint8Array(), outcome, convention)),
        ).toBe(point);
        expect(bytesToHex(outcomePoint(announcement, outcome, convention))).toBe(point);
      }
      expect(bytesToHex(sum)).toBe(c.attestation_scalar_for_attested_outcome);
      expect(c.adaptor_points?.[e.attested_outcomes[0] ?? '']).toBe(sG);
    } else {
      const points = precomputeDigitPoints(announcement, convention);
      const perNonce = c.per_nonce_outcome_points ?? [];
      expect(perNonce.length).toBe(nonces.length);
      perNonce.forEach((byOutcome, i) => {
        for (const [outcome, point] of Object.entries(byOutcome)) {
          expect(
            bytesToHex(
              attestationPoint(pubKey, nonces[i] ?? new Uint8Array(), outcome, convention),
            ),
          ).toBe(point);
          const j = outcome === '+' ? 0 : outcome === '-' ? 1 : Number(outcome);
          expect(bytesToHex(encodePoint(points.points[i]?.[j] ?? mulBase(1n)))).toBe(point);
        }
      });
      const value = attestedValue(announcement, attestation);
      expect(bytesToHex(outcomePoint(announcement, value, convention))).toBe(
        c.adaptor_point_full_outcome,
      );
      expect(bytesToHex(sum)).toBe(c.sum_of_attestation_scalars_full_outcome);
      expect(sG).toBe(c.adaptor_point_full_outcome);
      const ex = c.prefix_example;
      if (ex === undefined) throw new Error('no prefix example');
      const prefix = ex.prefix_outcomes.map((o) => (o === '+' ? 0 : o === '-' ? 1 : Number(o)));
      expect(bytesToHex(prefixPoint(points, prefix))).toBe(ex.adaptor_point);
      const prefixSum = sumScalars(signatures.slice(0, prefix.length).map((s) => s.subarray(32)));
      expect(bytesToHex(prefixSum)).toBe(ex.sum_of_attestation_scalars);
      expect(bytesToHex(encodePoint(mulBase(bytesToBigInt(prefixSum))))).toBe(ex.adaptor_point);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// node-dlc/dlc_message_test.json (early 2021): its announcement verifies with the tagged hash

interface MessageTestEntry {
  tpeName: string;
  input: string;
  fields: { announcement?: string };
}
// Every node-dlc/dlc_message_test*.json file.
const messageTest = loadVectorEntries<MessageTestEntry>('messages-2021').map((x) => x.entry);
/** The oracle_announcement TLV record starting at the first `fdd824` of a message's hex. */
function firstAnnouncementIn(hex: string): string {
  const at = hex.indexOf('fdd824');
  expect(at % 2).toBe(0);
  const first = parseInt(hex.slice(at + 6, at + 8), 16);
  const [lenHexChars, length] =
    first < 0xfd ? [2, first] : [6, parseInt(hex.slice(at + 8, at + 12), 16)];
  return hex.slice(at, at + 6 + lenHexChars + 2 * length);
}
const embeddedAnnouncements = messageTest
  .filter((e) => e.tpeName === 'oracle_info_v0' || e.tpeName === 'offer_dlc_v0')
  .map((e) => [e.tpeName, firstAnnouncementIn(e.input)] as const);

describe('node-dlc dlc_message_test.json announcements (tagged convention)', () => {
  it('found the oracle_info and the offer', () => {
    expect(embeddedAnnouncements.length).toBeGreaterThanOrEqual(2);
    const field = messageTest.find((e) => e.tpeName === 'oracle_info_v0')?.fields.announcement;
    expect(embeddedAnnouncements[0]?.[1]).toBe(field);
  });

  it.each(embeddedAnnouncements)('%s', (_name, hex) => {
    const a = decodeAnnouncement(hexToBytes(hex));
    expect(bytesToHex(encodeAnnouncement(a))).toBe(hex);
    expect(verifyAnnouncement(a, 'tagged')).toBe(true);
    expect(verifyAnnouncement(a, 'sha256')).toBe(false);
  });
});
