/**
 * The kormir-style routes as dlcdevkit's `KormirOracleClient` reads them (bennyhodl/dlcdevkit
 * at 019bf9d, v2.0.0-rc.2). The schemas below restate, field by field, the serde structs that
 * client deserializes, with serde's rules (every non-`Option` field required, unknown fields
 * ignored, integers in range, keys and signatures as hex strings):
 *
 * - `GET /pubkey` → `PubkeyResponse { pubkey: XOnlyPublicKey }` (ddk/src/oracle/kormir.rs);
 * - `GET /list-events` → `Vec<kormir::storage::OracleEventData>` (kormir/src/storage.rs):
 *   `{ event_id: String, announcement: OracleAnnouncement, indexes: Vec<u32>,
 *   signatures: Vec<(String, Signature)>, announcement_event_id / attestation_event_id:
 *   Option<String> (feature "nostr") }`;
 * - `GET /announcement/{event_id}` → `ddk_messages::oracle_msgs::OracleAnnouncement` and
 *   `GET /attestation/{event_id}` → `OracleAttestation` (dlc-messages/src/oracle_msgs.rs,
 *   `serde(rename_all = "camelCase")`; `EventDescriptor` externally tagged, variants camelCase).
 *
 * Then what ddk does with them: `OracleEventData::attestation()` rebuilds the attestation from the
 * `[outcome, signature]` pairs; here that attestation must equal `/attestation/{id}` and verify
 * against the announcement, for an enum event and for numeric events whose digits repeat.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyAnnouncement } from '../../src/dlc/announcement.ts';
import { verifyAttestation } from '../../src/dlc/attestation.ts';
import type { OracleAnnouncement } from '../../src/dlc/oracle-types.ts';
import {
  call,
  createContract,
  expectOk,
  milestoneUrl,
  startTestServer,
  type CreatedContract,
  type TestServer,
} from './helpers.ts';

// ---- the serde model (Rust type → JSON) --------------------------------------------------------
/** `XOnlyPublicKey` (serde, human-readable): 32 bytes as hex. */
const xOnlyPublicKey = z.string().regex(/^[0-9a-fA-F]{64}$/);
/** `schnorr::Signature` (serde, human-readable): 64 bytes as hex. */
const schnorrSignature = z.string().regex(/^[0-9a-fA-F]{128}$/);
const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffff_ffff);
const i32 = z.number().int().min(-0x8000_0000).max(0x7fff_ffff);

const enumEventDescriptor = z.object({ outcomes: z.array(z.string()) });
const digitDecompositionEventDescriptor = z.object({
  base: u16,
  isSigned: z.boolean(),
  unit: z.string(),
  precision: i32,
  nbDigits: u16,
});
/** serde's externally tagged enum: an object with exactly one key, the variant's name. */
const eventDescriptor = z.union([
  z.strictObject({ enumEvent: enumEventDescriptor }),
  z.strictObject({ digitDecompositionEvent: digitDecompositionEventDescriptor }),
]);
const oracleEvent = z.object({
  oracleNonces: z.array(xOnlyPublicKey),
  eventMaturityEpoch: u32,
  eventDescriptor,
  eventId: z.string(),
});
const ddkOracleAnnouncement = z.object({
  announcementSignature: schnorrSignature,
  oraclePublicKey: xOnlyPublicKey,
  oracleEvent,
});
const ddkOracleAttestation = z.object({
  eventId: z.string(),
  oraclePublicKey: xOnlyPublicKey,
  signatures: z.array(schnorrSignature),
  outcomes: z.array(z.string()),
});
const pubkeyResponse = z.object({ pubkey: xOnlyPublicKey });
/** Rust `(String, Signature)`: a JSON array of exactly two elements. */
const outcomeSignature = z.tuple([z.string(), schnorrSignature]);
const oracleEventData = z.object({
  event_id: z.string(),
  announcement: ddkOracleAnnouncement,
  indexes: z.array(u32),
  signatures: z.array(outcomeSignature),
  announcement_event_id: z.string().nullable().optional(),
  attestation_event_id: z.string().nullable().optional(),
});
type DdkAnnouncement = z.infer<typeof ddkOracleAnnouncement>;
type DdkEventData = z.infer<typeof oracleEventData>;

/** ddk's `OracleEventData::attestation()`. */
function ddkAttestationOf(e: DdkEventData): z.infer<typeof ddkOracleAttestation> | undefined {
  if (e.signatures.length === 0) return undefined;
  return {
    eventId: e.announcement.oracleEvent.eventId,
    oraclePublicKey: e.announcement.oraclePublicKey,
    signatures: e.signatures.map((p) => p[1]),
    outcomes: e.signatures.map((p) => p[0]),
  };
}

function announcementOf(a: DdkAnnouncement): OracleAnnouncement {
  const d = a.oracleEvent.eventDescriptor;
  return {
    signature: hexToBytes(a.announcementSignature),
    oraclePublicKey: hexToBytes(a.oraclePublicKey),
    event: {
      nonces: a.oracleEvent.oracleNonces.map((n) => hexToBytes(n)),
      maturityEpochSec: a.oracleEvent.eventMaturityEpoch,
      eventId: a.oracleEvent.eventId,
      descriptor:
        'enumEvent' in d
          ? { kind: 'enum', outcomes: d.enumEvent.outcomes }
          : { kind: 'digits', ...d.digitDecompositionEvent },
    },
  };
}

// ---- one live service: an enum event, two numeric events with repeated digits, one unattested --
let s: TestServer;
let c: CreatedContract;
const ids: string[] = [];

beforeAll(async () => {
  s = await startTestServer();
  c = await createContract(s, [
    { outcome: 'enum' },
    { outcome: 'share' },
    { outcome: 'share' },
    { outcome: 'share' },
  ]);
  ids.push(...c.contract.milestones.map((m) => m.eventId));
  const post = (i: number, action: string, token: string, body?: unknown) =>
    call(s.url, 'POST', milestoneUrl(c.contract.id, i, action), {
      token,
      ...(body === undefined ? {} : { body }),
    });
  for (const i of [0, 1, 2]) {
    expectOk(await post(i, 'deliver', c.tokens.freelancer, { commitSha: 'a'.repeat(40) }));
  }
  expectOk(await post(0, 'accept', c.tokens.client)); // enum: "accepted"
  expectOk(await post(1, 'accept', c.tokens.client)); // share 100 = 1100100
  expectOk(await post(2, 'propose', c.tokens.freelancer, { outcome: 37 }));
  expectOk(await post(2, 'accept-proposal', c.tokens.client, { outcome: 37 })); // 0100101
});
afterAll(async () => {
  await s.dispose();
});

async function getJson(path: string): Promise<unknown> {
  const r = await call<unknown>(s.url, 'GET', path);
  expect(r.status, `${path} → ${JSON.stringify(r.body)}`).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return r.body;
}

describe('ddk KormirOracleClient against a live Verdict oracle', () => {
  it('GET /pubkey is PubkeyResponse { pubkey } with the oracle key (KormirOracleClient::new)', async () => {
    const body = pubkeyResponse.parse(await getJson('/pubkey'));
    const info = z.object({ publicKey: z.string() }).parse(await getJson('/v1/oracle'));
    expect(body.pubkey).toBe(info.publicKey);
    // A bare JSON string, which kormir-server 0.4 answered, is not what ddk reads.
    expect(pubkeyResponse.safeParse(body.pubkey).success).toBe(false);
  });

  it('GET /list-events is Vec<OracleEventData>, one entry per event', async () => {
    const { pubkey } = pubkeyResponse.parse(await getJson('/pubkey'));
    const list = z.array(oracleEventData).parse(await getJson('/list-events'));
    expect(list.map((e) => e.event_id).sort()).toEqual([...ids].sort());
    for (const e of list) {
      expect(e.announcement.oracleEvent.eventId).toBe(e.event_id);
      expect(e.announcement.oraclePublicKey).toBe(pubkey);
      expect(e.indexes).toHaveLength(e.announcement.oracleEvent.oracleNonces.length);
      expect(new Set(e.indexes).size).toBe(e.indexes.length);
      expect(verifyAnnouncement(announcementOf(e.announcement))).toBe(true);
    }
  });

  it('an enum event: one [outcome, signature] pair that ddk turns into the attestation', async () => {
    const list = z.array(oracleEventData).parse(await getJson('/list-events'));
    const e = list.find((x) => x.event_id === ids[0])!;
    expect(e.announcement.oracleEvent.eventDescriptor).toEqual({
      enumEvent: { outcomes: ['accepted', 'rejected'] },
    });
    expect(e.signatures).toHaveLength(1);
    expect(e.signatures[0]![0]).toBe('accepted');
    const att = ddkOracleAttestation.parse(
      await getJson(`/attestation/${encodeURIComponent(ids[0]!)}`),
    );
    expect(ddkAttestationOf(e)).toEqual(att);
  });

  it.each([
    [1, 100, ['1', '1', '0', '0', '1', '0', '0']],
    [2, 37, ['0', '1', '0', '0', '1', '0', '1']],
  ])(
    'a numeric event (share %i = %i): every digit signature survives, in nonce order',
    async (index, _value, digits) => {
      const eventId = ids[index]!;
      const list = z.array(oracleEventData).parse(await getJson('/list-events'));
      const e = list.find((x) => x.event_id === eventId)!;
      expect(e.announcement.oracleEvent.eventDescriptor).toEqual({
        digitDecompositionEvent: {
          base: 2,
          isSigned: false,
          unit: 'percent',
          precision: 0,
          nbDigits: 7,
        },
      });
      expect(e.signatures.map((p) => p[0])).toEqual(digits);
      const rebuilt = ddkAttestationOf(e)!;
      const att = ddkOracleAttestation.parse(
        await getJson(`/attestation/${encodeURIComponent(eventId)}`),
      );
      expect(rebuilt).toEqual(att);
      const ok = verifyAttestation(announcementOf(e.announcement), {
        eventId: rebuilt.eventId,
        oraclePublicKey: hexToBytes(rebuilt.oraclePublicKey),
        signatures: rebuilt.signatures.map((x) => hexToBytes(x)),
        outcomes: rebuilt.outcomes,
      });
      expect(ok).toBe(true);
    },
  );

  it('an unattested event has no signatures (ddk: attestation() is None)', async () => {
    const list = z.array(oracleEventData).parse(await getJson('/list-events'));
    const e = list.find((x) => x.event_id === ids[3])!;
    expect(e.signatures).toEqual([]);
    expect(ddkAttestationOf(e)).toBeUndefined();
  });

  it('GET /announcement/{event_id} and /attestation/{event_id} with the id unencoded, as ddk formats the URL', async () => {
    for (const id of ids.slice(0, 3)) {
      // ddk: format!("{host}/announcement/{event_id}"): the id's slashes stay in the path.
      const ann = ddkOracleAnnouncement.parse(await getJson(`/announcement/${id}`));
      expect(ann.oracleEvent.eventId).toBe(id);
      expect(verifyAnnouncement(announcementOf(ann))).toBe(true);
      const att = ddkOracleAttestation.parse(await getJson(`/attestation/${id}`));
      expect(att.eventId).toBe(id);
      expect(
        verifyAttestation(announcementOf(ann), {
          eventId: att.eventId,
          oraclePublicKey: hexToBytes(att.oraclePublicKey),
          signatures: att.signatures.map((x) => hexToBytes(x)),
          outcomes: att.outcomes,
        }),
      ).toBe(true);
    }
    // Not attested yet: not a 200, so ddk's `.json::<OracleAttestation>()` fails as it should.
    const r = await call(s.url, 'GET', `/attestation/${ids[3]!}`);
    expect(r.status).toBe(404);
    expect(ddkOracleAttestation.safeParse(r.body).success).toBe(false);
  });
});
