/**
 * HTTP access to an oracle and to its DLC message relay, as a party needs it:
 * - `GET /v1/events/:eventId` (`announcementHex`) and `GET /v1/events/:eventId/attestation`
 *   (`attestationHex`): Verdict's API;
 * - `GET /announcement/:event_id` and `GET /attestation/:event_id`: the kormir / ddk JSON shape
 *   (any oracle speaking it);
 * - `POST|GET /v1/contracts/:id/milestones/:index/dlc/{offer,accept,sign}` with a party token.
 * Every body is validated with zod; a 404 for an attestation means "not yet".
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { announcementFromHex, attestationFromHex } from '../dlc/oracle-codec.ts';
import type { OracleAnnouncement, OracleAttestation } from '../dlc/oracle-types.ts';

/** The oracle or relay could not be reached or answered something unexpected (exit code 2). */
export class OracleTransportError extends Error {
  readonly code = 'oracle_transport';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'OracleTransportError';
  }
}

const hex = z.string().regex(/^(?:[0-9a-fA-F]{2})*$/);
const eventView = z.object({ announcementHex: hex, attestationHex: hex.optional() });
const attestationView = z.object({ attestationHex: hex });
const kormirAttestation = z.object({
  eventId: z.string(),
  oraclePublicKey: hex,
  signatures: z.array(hex),
  outcomes: z.array(z.string()),
});
const kormirAnnouncement = z.object({
  announcementSignature: hex,
  oraclePublicKey: hex,
  oracleEvent: z.object({
    oracleNonces: z.array(hex),
    eventMaturityEpoch: z.number().int().nonnegative(),
    eventDescriptor: z.union([
      z.object({ enumEvent: z.object({ outcomes: z.array(z.string()) }) }),
      z.object({
        digitDecompositionEvent: z.object({
          base: z.number().int(),
          isSigned: z.boolean(),
          unit: z.string(),
          precision: z.number().int(),
          nbDigits: z.number().int(),
        }),
      }),
    ]),
    eventId: z.string(),
  }),
});

/** rust-dlc's JSON announcement (kormir `/announcement/:event_id`) as our type. */
function announcementFromKormir(a: z.infer<typeof kormirAnnouncement>): OracleAnnouncement {
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

const relayMessage = z.object({ kind: z.string(), senderRole: z.string(), hex });
const contractTermsView = z.object({
  termsHash: z.string().regex(/^[0-9a-f]{64}$/),
  canonicalJson: z.string(),
});

export type OracleApi = 'verdict' | 'kormir';

/** One path segment per `/` of the event id, each percent-encoded (the routes are wildcards). */
function eventPath(eventId: string): string {
  return eventId.split('/').map(encodeURIComponent).join('/');
}

export class OracleClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    readonly api: OracleApi = 'verdict',
    private readonly timeoutMs = 10_000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** One HTTP exchange (for subclasses: the tower client). */
  protected call(
    method: 'GET' | 'POST',
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: unknown }> {
    return this.request(method, path, opts);
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
    } catch (error) {
      throw new OracleTransportError(`${method} ${path}: ${(error as Error).message}`);
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: kept as text for the error message
    }
    return { status: res.status, body };
  }

  private expectOk(r: { status: number; body: unknown }, what: string, ok = 200): unknown {
    if (r.status !== ok) {
      throw new OracleTransportError(
        `${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`,
        r.status,
      );
    }
    return r.body;
  }

  /** The event's announcement. Not verified here: the protocol verifies it against its terms. */
  async announcement(eventId: string): Promise<OracleAnnouncement> {
    if (this.api === 'kormir') {
      const r = await this.request('GET', `/announcement/${eventPath(eventId)}`);
      return announcementFromKormir(kormirAnnouncement.parse(this.expectOk(r, 'announcement')));
    }
    const r = await this.request('GET', `/v1/events/${eventPath(eventId)}`);
    const view = eventView.parse(this.expectOk(r, 'announcement'));
    return announcementFromHex(view.announcementHex);
  }

  /** The event's attestation, or null while there is none (HTTP 404). */
  async attestation(eventId: string): Promise<OracleAttestation | null> {
    if (this.api === 'kormir') {
      const r = await this.request('GET', `/attestation/${eventPath(eventId)}`);
      if (r.status === 404) return null;
      const a = kormirAttestation.parse(this.expectOk(r, 'attestation'));
      return {
        eventId: a.eventId,
        oraclePublicKey: hexToBytes(a.oraclePublicKey),
        signatures: a.signatures.map((s) => hexToBytes(s)),
        outcomes: a.outcomes,
      };
    }
    const r = await this.request('GET', `/v1/events/${eventPath(eventId)}/attestation`);
    if (r.status === 404) return null;
    return attestationFromHex(
      attestationView.parse(this.expectOk(r, 'attestation')).attestationHex,
    );
  }

  /** A contract's canonical terms and their hash, as the oracle serves them to a party (token). */
  async contractTerms(
    contractId: string,
    token?: string,
  ): Promise<{ termsHash: string; canonicalJson: string }> {
    const r = await this.request(
      'GET',
      `/v1/contracts/${encodeURIComponent(contractId)}/terms`,
      token === undefined ? {} : { token },
    );
    return contractTermsView.parse(this.expectOk(r, `terms of ${contractId}`));
  }

  /** Posts a DLC message to the milestone's relay. */
  async postDlcMessage(
    ref: RelayRef,
    kind: 'offer' | 'accept' | 'sign',
    message: Uint8Array,
  ): Promise<void> {
    const r = await this.request('POST', relayPath(ref, kind), {
      token: ref.token,
      body: { hex: bytesToHex(message) },
    });
    this.expectOk(r, `relay ${kind}`, 201);
  }

  /** The latest DLC message of this kind on the relay, or null if none yet. */
  async getDlcMessage(
    ref: RelayRef,
    kind: 'offer' | 'accept' | 'sign',
  ): Promise<Uint8Array | null> {
    const r = await this.request('GET', relayPath(ref, kind), { token: ref.token });
    if (r.status === 404) return null;
    return hexToBytes(relayMessage.parse(this.expectOk(r, `relay ${kind}`)).hex);
  }
}

/** What a tower reports for a milestone (issue 16; the tower's `GET .../tower`). */
export const towerStatusSchema = z.object({
  held: z.boolean(),
  chain: z.boolean(),
  uploads: z.array(
    z.object({
      dlcContractId: z.string(),
      side: z.enum(['offer', 'accept']),
      uploaderRole: z.string(),
      cets: z.number().int(),
      uploadedAt: z.number().int(),
    }),
  ),
  jobs: z.array(
    z.object({
      dlcContractId: z.string(),
      state: z.string(),
      kind: z.enum(['cet', 'refund']).nullable(),
      txid: z.string().nullable(),
      outcome: z.string().nullable(),
      fundingTxid: z.string(),
      refundLocktime: z.number().int(),
      firstBroadcastHeight: z.number().int().nullable(),
      confirmedHeight: z.number().int().nullable(),
      bumpNeeded: z.boolean(),
      detail: z.string().nullable(),
      broadcasts: z.array(
        z.object({
          txid: z.string(),
          height: z.number().int(),
          result: z.string(),
          at: z.number(),
        }),
      ),
    }),
  ),
});
export type TowerStatus = z.infer<typeof towerStatusSchema>;

/** The body of a tower upload (the tower's `POST .../tower`). */
export interface TowerUploadBody {
  readonly side: 'offer' | 'accept';
  readonly offerHex: string;
  readonly acceptHex: string;
  readonly signHex: string;
  readonly cetSignaturesHex: string;
}

/** A tower's answer to an upload that it refused (its typed error code). */
export class TowerRefusedError extends Error {
  override readonly name = 'TowerRefusedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A tower (the oracle's own, or a `verdict tower` of the party's choice) over HTTP. */
export class TowerClient extends OracleClient {
  /** Hands the tower this party's signatures for a milestone's DLC. */
  async upload(
    ref: RelayRef,
    body: TowerUploadBody,
  ): Promise<{ dlcContractId: string; created: boolean; cets: number }> {
    const r = await this.call('POST', towerPath(ref), { token: ref.token, body });
    if (r.status === 422) {
      const e = errorBody.parse(r.body).error;
      throw new TowerRefusedError(e.code, e.message);
    }
    if (r.status !== 200 && r.status !== 201) {
      throw new OracleTransportError(
        `tower upload: HTTP ${r.status} ${JSON.stringify(r.body)}`,
        r.status,
      );
    }
    return z
      .object({ dlcContractId: z.string(), created: z.boolean(), cets: z.number().int() })
      .parse(r.body);
  }

  /** What the tower holds for the milestone and what it did. */
  async status(ref: RelayRef): Promise<TowerStatus> {
    const r = await this.call('GET', towerPath(ref), { token: ref.token });
    if (r.status !== 200) {
      throw new OracleTransportError(
        `tower status: HTTP ${r.status} ${JSON.stringify(r.body)}`,
        r.status,
      );
    }
    return towerStatusSchema.parse(r.body);
  }
}

function towerPath(ref: RelayRef): string {
  return `/v1/contracts/${encodeURIComponent(ref.contractId)}/milestones/${ref.milestoneIndex}/tower`;
}

/** Where a milestone's DLC messages travel on the relay, and the party's bearer token. */
export interface RelayRef {
  readonly contractId: string;
  readonly milestoneIndex: number;
  readonly token: string;
}

function relayPath(ref: RelayRef, kind: string): string {
  return `/v1/contracts/${encodeURIComponent(ref.contractId)}/milestones/${ref.milestoneIndex}/dlc/${kind}`;
}
