/**
 * The parties' app's contracts (issue 15): make a contract (preview → review → create), invite
 * the counterparty with a link, open an invitation, accept or decline, and follow and act on each
 * milestone. The oracle is reached over its API with this party's capability token (kept in the
 * `memberships` table); the DLC state is the party's own (the same store as `verdict dlc`).
 *
 * Errors: an oracle error passes through with its status and code; an oracle that cannot be
 * reached is `502 oracle_unreachable`; nothing a client sends makes a 500.
 */
import { createHash } from 'node:crypto';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import encodeQR from 'qr';
import { z } from 'zod';
import { attestedValue, verifyAttestation } from '../src/dlc/attestation.ts';
import { oraclesOf } from '../src/dlc/contract.ts';
import { decodeOfferDlc } from '../src/dlc/messages.ts';
import type { OracleAnnouncement } from '../src/dlc/oracle-types.ts';
import {
  freelancerPayoutForShare,
  MAX_SHARE,
  MILESTONE_ENUM_OUTCOMES,
} from '../src/dlc/share-contract.ts';
import { ciWorkflowSnippet } from '../src/party/ci-workflow.ts';
import {
  contractTermsSchema,
  TermsMismatchError,
  verifyContractTerms,
  type ContractTerms,
} from '../src/party/contract-terms.ts';
import { milestoneTermsSchema, offerCollateralOf } from '../src/party/milestone-terms.ts';
import {
  OracleClient,
  OracleTransportError,
  TowerClient,
  TowerRefusedError,
} from '../src/party/oracle-client.ts';
import { ContractStateError, type Party } from '../src/party/party.ts';
import type { ContractRow, MembershipRow } from '../src/party/store.ts';
import { enableTower, towerReports } from '../src/party/tower.ts';
import { AppRaw, HttpError, needOracle, parse, type AppContext, type AppRoute } from './context.ts';
import { decodeInvitation, encodeInvitation, InvalidInvitationError } from './invite.ts';
import { fundingJobOf } from './funding.ts';

type Role = 'client' | 'freelancer';
const otherRole = (r: Role): Role => (r === 'client' ? 'freelancer' : 'client');
const roleSchema = z.enum(['client', 'freelancer']);
const draftSchema = z.record(z.string(), z.unknown());

/** The oracle client with the raw exchange the app passes through (status and code kept). */
class PassThroughOracle extends OracleClient {
  async send(
    method: 'GET' | 'POST',
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<unknown> {
    let r: { status: number; body: unknown };
    try {
      r = await this.call(method, path, opts);
    } catch (e) {
      throw unreachable(this.baseUrl, e);
    }
    if (r.status >= 200 && r.status < 300) return r.body;
    const err = z
      .object({ error: z.object({ code: z.string(), message: z.string() }) })
      .safeParse(r.body);
    if (err.success) throw new HttpError(r.status, err.data.error.code, err.data.error.message);
    throw new HttpError(
      502,
      'oracle_error',
      `the oracle answered HTTP ${r.status} without an error body`,
    );
  }
}

function unreachable(url: string, e: unknown): HttpError {
  const why = e instanceof Error ? e.message : String(e);
  return new HttpError(
    502,
    'oracle_unreachable',
    `the oracle at ${url} cannot be reached (${why}): check that it runs and that this machine can reach it`,
  );
}

/** One row of a milestone's payout table. */
export interface PayoutRow {
  readonly outcome: string;
  readonly label: string;
  readonly clientSat: string;
  readonly freelancerSat: string;
}
export interface MilestonePayouts {
  readonly index: number;
  readonly title: string;
  readonly amountSat: string;
  readonly outcomeKind: 'enum' | 'share';
  readonly outcomes: readonly PayoutRow[];
  readonly note?: string;
}

const SHARE_ROWS = [0, 25, 50, 75, 100];

/** The freelancer's and the client's sats for an outcome ('accepted', 'rejected' or a share). */
function split(amount: bigint, kind: 'enum' | 'share', outcome: string | number) {
  let freelancer: bigint;
  if (kind === 'enum') freelancer = outcome === 'accepted' ? amount : 0n;
  else freelancer = freelancerPayoutForShare(amount, Number(outcome));
  return { freelancer, client: amount - freelancer };
}

/** What each outcome of each milestone pays, as the contract's DLC pays it (share-contract.ts). */
export function payoutTable(terms: {
  milestones: readonly { index: number; title: string; amountSat: string; outcome: string }[];
}): MilestonePayouts[] {
  return terms.milestones.map((m) => {
    const amount = BigInt(m.amountSat);
    const kind = m.outcome === 'share' ? 'share' : 'enum';
    const rows: PayoutRow[] =
      kind === 'enum'
        ? MILESTONE_ENUM_OUTCOMES.map((o) => {
            const s = split(amount, 'enum', o);
            return {
              outcome: o,
              label:
                o === 'accepted'
                  ? 'accepted: the freelancer is paid'
                  : 'rejected: the client gets the money back',
              clientSat: s.client.toString(),
              freelancerSat: s.freelancer.toString(),
            };
          })
        : SHARE_ROWS.map((p) => {
            const s = split(amount, 'share', p);
            return {
              outcome: String(p),
              label: `${p} % to the freelancer`,
              clientSat: s.client.toString(),
              freelancerSat: s.freelancer.toString(),
            };
          });
    return {
      index: m.index,
      title: m.title,
      amountSat: m.amountSat,
      outcomeKind: kind,
      outcomes: rows,
      ...(kind === 'share'
        ? {
            note: `the share is any whole percent from 0 to ${MAX_SHARE}: the freelancer gets floor(amount × share / 100) sat, the client the rest`,
          }
        : {}),
    };
  });
}

/** The party's DLC row for a milestone event, the latest not cancelled one first. */
function dlcRowOf(party: Party, eventId: string): ContractRow | undefined {
  const rows = party.store.listContracts().filter((r) => {
    try {
      return (JSON.parse(r.terms_json) as { eventId?: unknown }).eventId === eventId;
    } catch {
      return false;
    }
  });
  rows.sort(
    (a, b) => Number(a.state === 'cancelled') - Number(b.state === 'cancelled') || b.id - a.id,
  );
  return rows[0];
}

const CONTRACT_PATH = '/api/contracts/(?<id>[0-9a-f]{16})';
const MILESTONE_PATH = `${CONTRACT_PATH}/milestones/(?<index>0|[1-9]\\d{0,2})`;
const re = (p: string) => new RegExp(`^${p}$`);

const oracleMilestone = z.looseObject({
  index: z.number().int(),
  title: z.string(),
  amountSat: z.string(),
  outcomeKind: z.enum(['enum', 'share']),
  eventId: z.string(),
  status: z.string(),
  allowedActions: z.array(z.string()).optional(),
});
const oracleContract = z.looseObject({
  id: z.string(),
  title: z.string().nullable(),
  termsHash: z.string(),
  client: z.object({ id: z.string(), name: z.string() }),
  freelancer: z.object({ id: z.string(), name: z.string() }),
  yourRole: z.string(),
  milestones: z.array(oracleMilestone),
  agreement: z.object({
    client: z.enum(['pending', 'accepted', 'declined']),
    freelancer: z.enum(['pending', 'accepted', 'declined']),
  }),
});
type OracleContract = z.infer<typeof oracleContract>;

export default function contractsModule(ctx: AppContext): readonly AppRoute[] {
  let client: PassThroughOracle | undefined;
  const oracle = (): PassThroughOracle => {
    const o = needOracle(ctx);
    client ??= new PassThroughOracle(o.baseUrl);
    return client;
  };
  let oracleKey: string | undefined;
  async function oraclePublicKey(): Promise<string> {
    if (oracleKey !== undefined) return oracleKey;
    const info = z
      .object({ publicKey: z.string().regex(/^[0-9a-f]{64}$/) })
      .safeParse(await oracle().send('GET', '/v1/oracle'));
    if (!info.success)
      throw new HttpError(502, 'oracle_error', 'the oracle did not say its public key');
    oracleKey = info.data.publicKey;
    return oracleKey;
  }

  const membershipOf = (party: Party, id: string): MembershipRow => {
    const m = party.store.membership(id);
    if (m === undefined)
      throw new HttpError(404, 'contract_not_found', 'this app is not a party to that contract');
    return m;
  };

  async function verifiedTerms(id: string, token: string) {
    const given = z
      .object({ termsHash: z.string(), canonicalJson: z.string() })
      .safeParse(await oracle().send('GET', `/v1/contracts/${id}/terms`, { token }));
    if (!given.success) throw new HttpError(502, 'oracle_error', 'the oracle sent no terms');
    try {
      return verifyContractTerms(given.data, id);
    } catch (e) {
      if (e instanceof TermsMismatchError) throw new HttpError(502, 'terms_mismatch', e.message);
      throw e;
    }
  }

  async function oracleView(m: MembershipRow): Promise<OracleContract> {
    const r = oracleContract.safeParse(
      await oracle().send('GET', `/v1/contracts/${m.contract_id}`, { token: m.token }),
    );
    if (!r.success)
      throw new HttpError(502, 'oracle_error', 'the oracle sent a contract this app cannot read');
    return r.data;
  }

  const termsOf = (m: MembershipRow): ContractTerms =>
    contractTermsSchema.parse(JSON.parse(m.canonical_json));

  const emit = (contractId: string) => {
    ctx.bus.emit({ kind: 'contract', contractId });
    ctx.bus.emit({ kind: 'contracts', contractId });
  };

  /**
   * The local DLC row of a milestone as the page shows it. The payout follows the contract's
   * payout table: from the outcome this party settled with, else (the counterparty broadcast the
   * CET) from the verified attestation.
   */
  async function dlcOf(
    row: ContractRow | undefined,
    role: Role,
    amountSat: string,
    kind: 'enum' | 'share',
    attested: { outcome: string; verified: boolean } | null,
  ) {
    if (row === undefined) return null;
    let confirmations: number | null = null;
    if (row.funding_txid !== null) {
      try {
        confirmations = await ctx.chain.getTransactionConfirmations(row.funding_txid);
      } catch {
        confirmations = null;
      }
    }
    const offer = decodeOfferDlc(hexToBytes(row.offer_hex));
    const amount = BigInt(amountSat);
    let payoutSat: { mine: string; theirs: string } | null = null;
    if (row.closing_kind === 'refund') {
      const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
      const offerSide = offerCollateralOf(terms);
      const mine = row.role === 'offer' ? offerSide : amount - offerSide;
      payoutSat = { mine: mine.toString(), theirs: (amount - mine).toString() };
    } else if (
      row.closing_kind === 'cet' &&
      (row.outcome !== null || attested?.verified === true)
    ) {
      // The row keeps the attested digits (binary) of a share; the attestation view the value.
      const outcome =
        row.outcome === null
          ? (attested?.outcome ?? '')
          : kind === 'share'
            ? String(Math.min(parseInt(row.outcome, 2), 127))
            : row.outcome;
      const s = split(amount, kind, kind === 'share' ? Math.min(Number(outcome), 127) : outcome);
      const mine = role === 'freelancer' ? s.freelancer : s.client;
      payoutSat = { mine: mine.toString(), theirs: (amount - mine).toString() };
    }
    return {
      state: row.state,
      role: row.role,
      fundingTxid: row.funding_txid,
      confirmations,
      closingKind: row.closing_kind,
      closingTxid: row.closing_txid,
      outcome: row.outcome,
      payoutSat,
      refundLocktime: offer.refundLocktime,
    };
  }

  /**
   * The milestone's attestation, verified as the party verifies it before settling
   * (`verifyAttestation`, dlcspecs Oracle-Validation): against the announcement in the funded
   * DLC's offer when there is one, else the oracle's announcement under the terms' oracle key.
   */
  async function attestationOf(
    eventId: string,
    oracleKeyHex: string,
    row: ContractRow | undefined,
  ) {
    const o = oracle();
    let att;
    try {
      att = await o.attestation(eventId);
    } catch (e) {
      if (e instanceof OracleTransportError) return null;
      throw e;
    }
    if (att === null) return null;
    let announcement: OracleAnnouncement | undefined;
    let convention: 'tagged' | 'sha256' = 'tagged';
    if (row !== undefined) {
      const info = decodeOfferDlc(hexToBytes(row.offer_hex)).contractInfo;
      announcement = info.parts
        .flatMap((p) => oraclesOf(p.oracleInfo).announcements)
        .find((a) => a.event.eventId === eventId);
      convention = milestoneTermsSchema.parse(JSON.parse(row.terms_json)).convention;
    }
    if (announcement === undefined) {
      try {
        announcement = await o.announcement(eventId);
      } catch {
        return { outcome: att.outcomes.join(''), verified: false };
      }
    }
    const verified =
      bytesToHex(announcement.oraclePublicKey) === oracleKeyHex &&
      announcement.event.eventId === eventId &&
      verifyAttestation(announcement, att, convention);
    let outcome = att.outcomes.join('');
    if (verified) {
      const v = attestedValue(announcement, att);
      outcome = typeof v === 'bigint' ? v.toString() : v;
    }
    return { outcome, verified };
  }

  async function towerOf(party: Party, row: ContractRow | undefined, m: MembershipRow) {
    if (row === undefined || party.store.towerUploads(row.id).length === 0) return null;
    const reports = await towerReports(
      party,
      row,
      (url) => new TowerClient(url),
      (url) => (url.replace(/\/+$/, '') === oracle().baseUrl ? m.token : undefined),
    );
    const t = reports[0];
    if (t === undefined) return null;
    return {
      url: t.towerUrl,
      status: !t.held ? 'not_held' : (t.state ?? 'held'),
      ...(t.txid === null ? {} : { txid: t.txid }),
    };
  }

  async function detail(party: Party, m: MembershipRow) {
    const view = await oracleView(m);
    const terms = termsOf(m);
    const role = m.role;
    const milestones = [];
    for (const om of view.milestones) {
      const tm = terms.milestones.find((x) => x.index === om.index);
      const row = dlcRowOf(party, om.eventId);
      const decided = om.status === 'attested' || (om['decision'] ?? null) !== null;
      const attestation = decided
        ? await attestationOf(om.eventId, m.oracle_public_key, row)
        : null;
      const dlc = await dlcOf(row, role, om.amountSat, om.outcomeKind, attestation);
      milestones.push({
        index: om.index,
        title: om.title,
        description: om['description'] ?? tm?.description ?? null,
        acceptanceCriteria: om['acceptanceCriteria'] ?? tm?.acceptanceCriteria ?? [],
        amountSat: om.amountSat,
        outcomeKind: om.outcomeKind,
        eventId: om.eventId,
        deliveryDeadline: om['deliveryDeadline'] ?? null,
        reviewEndsAt: om['reviewEndsAt'] ?? null,
        status: om.status,
        delivery: om['delivery'] ?? null,
        proposal: om['proposal'] ?? null,
        dispute: om['dispute'] ?? null,
        decision: om['decision'] ?? null,
        allowedActions: om.allowedActions ?? [],
        dlc,
        attestation,
        funding: fundingJobOf(ctx, m.contract_id, om.index),
        tower: await towerOf(party, row, m),
        payouts: payoutTable({ milestones: [tm ?? { ...om, outcome: om.outcomeKind }] })[0]
          ?.outcomes,
      });
    }
    const counterparty = role === 'client' ? view.freelancer : view.client;
    const pending = view.agreement[otherRole(role)] === 'pending';
    return {
      contractId: m.contract_id,
      role,
      title: view.title,
      counterparty,
      termsHash: m.terms_hash,
      canonicalJson: m.canonical_json,
      agreement: view.agreement,
      invite: pending ? m.invite_for_counterparty : null,
      milestones,
    };
  }

  /** Keeps the local answer in step with the oracle's (the oracle's is the record). */
  function syncAgreement(party: Party, m: MembershipRow, view: OracleContract): void {
    const mine = view.agreement[m.role];
    if (mine !== m.agreement) party.store.setAgreement(m.contract_id, mine);
  }

  const milestoneRef = (params: Readonly<Record<string, string>>) => {
    const party = ctx.party();
    const m = membershipOf(party, params['id'] ?? '');
    const index = Number(params['index']);
    const path = `/v1/contracts/${m.contract_id}/milestones/${index}`;
    return { party, m, index, path };
  };

  const ACTIONS = ['deliver', 'accept', 'propose', 'accept-proposal', 'dispute'] as const;

  return [
    {
      method: 'POST',
      path: re('/api/contracts/preview'),
      async handle(req) {
        const { draft } = parse(
          z.strictObject({ myRole: roleSchema, draft: draftSchema }),
          await req.body(),
        );
        const p = z
          .object({ canonicalJson: z.string(), terms: z.record(z.string(), z.unknown()) })
          .safeParse(await oracle().send('POST', '/v1/contracts/preview', { body: draft }));
        if (!p.success) throw new HttpError(502, 'oracle_error', 'the oracle sent no preview');
        const terms = contractTermsSchema
          .extend({ contractId: z.string() })
          .safeParse(JSON.parse(p.data.canonicalJson));
        if (!terms.success) throw new HttpError(502, 'oracle_error', 'the preview is not terms');
        return {
          canonicalJson: p.data.canonicalJson,
          terms: p.data.terms,
          payouts: payoutTable(terms.data),
        };
      },
    },
    {
      method: 'POST',
      path: re('/api/contracts'),
      async handle(req) {
        const party = ctx.party();
        const body = parse(
          z.strictObject({
            myRole: roleSchema,
            draft: draftSchema,
            reviewedCanonicalJson: z.string().min(2).max(200_000),
          }),
          await req.body(256 * 1024),
        );
        const key = await oraclePublicKey();
        const created = z
          .object({
            contract: z.object({ id: z.string().regex(/^[0-9a-f]{16}$/), termsHash: z.string() }),
            tokens: z.object({ client: z.string(), freelancer: z.string() }),
          })
          .safeParse(await oracle().send('POST', '/v1/contracts', { body: body.draft }));
        if (!created.success)
          throw new HttpError(502, 'oracle_error', 'the oracle created nothing');
        const id = created.data.contract.id;
        const myToken = created.data.tokens[body.myRole];
        const theirToken = created.data.tokens[otherRole(body.myRole)];
        const v = await verifiedTerms(id, myToken);
        const reviewed = body.reviewedCanonicalJson.replace(
          '"contractId":""',
          `"contractId":${JSON.stringify(id)}`,
        );
        if (v.canonicalJson !== reviewed || v.terms.oraclePublicKey !== key) {
          // Not what the person read: the creator declines it at once (final, in the audit log).
          await oracle()
            .send('POST', `/v1/contracts/${id}/agreement`, {
              token: myToken,
              body: { decision: 'decline', termsHash: v.termsHash },
            })
            .catch(() => undefined);
          throw new HttpError(
            409,
            'terms_changed',
            'the contract the oracle created is not the one you reviewed: it was declined; review again',
          );
        }
        const invite = encodeInvitation({
          oracleUrl: oracle().baseUrl,
          contractId: id,
          role: otherRole(body.myRole),
          token: theirToken,
          oraclePublicKey: key,
          termsHash: v.termsHash,
        });
        party.store.addMembership({
          contract_id: id,
          oracle_url: oracle().baseUrl,
          oracle_public_key: key,
          role: body.myRole,
          token: myToken,
          terms_hash: v.termsHash,
          canonical_json: v.canonicalJson,
          agreement: 'pending',
          invite_for_counterparty: invite,
        });
        await oracle().send('POST', `/v1/contracts/${id}/agreement`, {
          token: myToken,
          body: { decision: 'accept', termsHash: v.termsHash },
        });
        party.store.setAgreement(id, 'accepted');
        emit(id);
        return { contractId: id, invite };
      },
    },
    {
      method: 'POST',
      path: re('/api/invites/open'),
      async handle(req) {
        const party = ctx.party();
        const { link } = parse(z.strictObject({ link: z.string().max(4000) }), await req.body());
        let inv;
        try {
          inv = decodeInvitation(link);
        } catch (e) {
          if (e instanceof InvalidInvitationError)
            throw new HttpError(400, 'invalid_invitation', e.message);
          throw e;
        }
        if (inv.oracleUrl !== oracle().baseUrl)
          throw new HttpError(
            409,
            'other_oracle',
            `this invitation is for the oracle at ${inv.oracleUrl}; this app trusts ${oracle().baseUrl}. Start the app with --oracle ${inv.oracleUrl} if you trust that one`,
          );
        const known = party.store.membership(inv.contractId);
        if (known !== undefined && known.role !== inv.role)
          throw new HttpError(
            409,
            'already_a_party',
            `this app is the contract's ${known.role}; the invitation is for its ${inv.role}`,
          );
        const key = await oraclePublicKey();
        const v = await verifiedTerms(inv.contractId, inv.token);
        if (v.termsHash !== inv.termsHash)
          throw new HttpError(
            409,
            'terms_changed',
            'the terms at the oracle are not the ones the invitation names (their hash differs)',
          );
        if (v.terms.oraclePublicKey !== inv.oraclePublicKey || inv.oraclePublicKey !== key)
          throw new HttpError(
            409,
            'oracle_key_mismatch',
            `the invitation names the oracle key ${inv.oraclePublicKey}, the terms ${v.terms.oraclePublicKey}, the oracle ${key}`,
          );
        const view = oracleContract.safeParse(
          await oracle().send('GET', `/v1/contracts/${inv.contractId}`, { token: inv.token }),
        );
        if (!view.success) throw new HttpError(502, 'oracle_error', 'the oracle sent no contract');
        if (view.data.yourRole !== inv.role)
          throw new HttpError(
            409,
            'invitation_mismatch',
            `the invitation says ${inv.role} but its token is the ${view.data.yourRole}'s`,
          );
        const m = party.store.addMembership({
          contract_id: inv.contractId,
          oracle_url: inv.oracleUrl,
          oracle_public_key: inv.oraclePublicKey,
          role: inv.role,
          token: inv.token,
          terms_hash: v.termsHash,
          canonical_json: v.canonicalJson,
          agreement: 'pending',
          invite_for_counterparty: null,
        });
        syncAgreement(party, m, view.data);
        emit(inv.contractId);
        return {
          contractId: inv.contractId,
          role: inv.role,
          canonicalJson: v.canonicalJson,
          terms: v.terms,
          payouts: payoutTable(v.terms),
        };
      },
    },
    {
      method: 'POST',
      path: re(`${CONTRACT_PATH}/agreement`),
      async handle(req) {
        const party = ctx.party();
        const m = membershipOf(party, req.params['id'] ?? '');
        const { decision } = parse(
          z.strictObject({ decision: z.enum(['accept', 'decline']) }),
          await req.body(),
        );
        await oracle().send('POST', `/v1/contracts/${m.contract_id}/agreement`, {
          token: m.token,
          body: { decision, termsHash: m.terms_hash },
        });
        const fresh = party.store.setAgreement(
          m.contract_id,
          decision === 'accept' ? 'accepted' : 'declined',
        );
        emit(m.contract_id);
        return detail(party, fresh);
      },
    },
    {
      method: 'GET',
      path: re('/api/contracts'),
      async handle() {
        const party = ctx.party();
        const contracts = [];
        for (const m of party.store.memberships()) {
          const terms = termsOf(m);
          let view: OracleContract | undefined;
          let oracleError: { code: string; message: string } | undefined;
          try {
            view = await oracleView(m);
            syncAgreement(party, m, view);
          } catch (e) {
            if (!(e instanceof HttpError)) throw e;
            oracleError = { code: e.code, message: e.message };
          }
          const counterparty = m.role === 'client' ? terms.freelancer : terms.client;
          contracts.push({
            contractId: m.contract_id,
            title: terms.title ?? null,
            role: m.role,
            counterparty,
            agreement: view?.agreement ?? {
              [m.role]: m.agreement,
              [otherRole(m.role)]: 'pending',
            },
            termsHash: m.terms_hash,
            milestones: terms.milestones.map((tm) => {
              const om = view?.milestones.find((x) => x.index === tm.index);
              const eventId = om?.eventId ?? null;
              const row = eventId === null ? undefined : dlcRowOf(party, eventId);
              return {
                index: tm.index,
                title: tm.title,
                amountSat: tm.amountSat,
                status: om?.status ?? null,
                dlcState: row?.state ?? null,
              };
            }),
            ...(oracleError === undefined ? {} : { oracleError }),
          });
        }
        return { contracts };
      },
    },
    {
      method: 'GET',
      path: re(CONTRACT_PATH),
      async handle(req) {
        const party = ctx.party();
        const m = membershipOf(party, req.params['id'] ?? '');
        return detail(party, m);
      },
    },
    ...ACTIONS.map((action): AppRoute => ({
      method: 'POST',
      path: re(`${MILESTONE_PATH}/${action}`),
      async handle(req) {
        const { m, path } = milestoneRef(req.params);
        const body = parse(draftSchema, await req.body());
        const answer = await oracle().send('POST', `${path}/${action}`, {
          token: m.token,
          body,
        });
        emit(m.contract_id);
        return answer;
      },
    })),
    {
      method: 'POST',
      path: re(`${MILESTONE_PATH}/evidence`),
      async handle(req) {
        const { m, path } = milestoneRef(req.params);
        const e = parse(
          z.discriminatedUnion('kind', [
            z.strictObject({ kind: z.literal('statement'), text: z.string().max(20_000) }),
            z.strictObject({
              kind: z.literal('link'),
              url: z.string().max(2000),
              text: z.string().max(2000).optional(),
            }),
            z.strictObject({
              kind: z.literal('file'),
              fileName: z.string().max(200),
              fileBase64: z.base64().max(8 * 1024 * 1024),
              contentType: z.string().max(100).optional(),
              text: z.string().max(2000).optional(),
            }),
          ]),
          await req.body(8 * 1024 * 1024 + 64 * 1024),
        );
        let sha256: string | undefined;
        let body: Record<string, unknown>;
        if (e.kind === 'file') {
          sha256 = createHash('sha256').update(Buffer.from(e.fileBase64, 'base64')).digest('hex');
          body = {
            kind: 'file',
            fileName: e.fileName,
            contentType: e.contentType ?? 'application/octet-stream',
            contentBase64: e.fileBase64,
            ...(e.text === undefined ? {} : { text: e.text }),
          };
        } else body = e;
        const answer = await oracle().send('POST', `${path}/dispute/evidence`, {
          token: m.token,
          body,
        });
        emit(m.contract_id);
        return { ...(answer as object), ...(sha256 === undefined ? {} : { sha256 }) };
      },
    },
    {
      method: 'GET',
      path: re(`${MILESTONE_PATH}/ci/tokens`),
      async handle(req) {
        const { m, path } = milestoneRef(req.params);
        return oracle().send('GET', `${path}/ci/tokens`, { token: m.token });
      },
    },
    {
      method: 'POST',
      path: re(`${MILESTONE_PATH}/ci/tokens`),
      async handle(req) {
        const { m, index, path } = milestoneRef(req.params);
        const body = parse(
          z.strictObject({ ttlSec: z.number().int().positive().optional() }),
          await req.body(),
        );
        const answer = await oracle().send('POST', `${path}/ci/tokens`, { token: m.token, body });
        const policy = termsOf(m).milestones.find((x) => x.index === index)?.['ci'] as
          { identity?: { kind?: string } } | undefined;
        emit(m.contract_id);
        return {
          ...(answer as object),
          workflowSnippet: ciWorkflowSnippet({
            oracleUrl: oracle().baseUrl,
            contractId: m.contract_id,
            milestoneIndex: index,
            tokenIdentity: policy?.identity?.kind !== 'github-oidc',
          }),
        };
      },
    },
    {
      method: 'POST',
      path: re(`${MILESTONE_PATH}/ci/tokens/(?<jti>[A-Za-z0-9_-]{1,100})/revoke`),
      async handle(req) {
        const { m, path } = milestoneRef(req.params);
        const answer = await oracle().send(
          'POST',
          `${path}/ci/tokens/${encodeURIComponent(req.params['jti'] ?? '')}/revoke`,
          { token: m.token, body: {} },
        );
        emit(m.contract_id);
        return answer;
      },
    },
    {
      method: 'POST',
      path: re(`${MILESTONE_PATH}/tower`),
      async handle(req) {
        const { party, m, index } = milestoneRef(req.params);
        parse(z.strictObject({}), await req.body());
        const view = await oracleView(m);
        const eventId = view.milestones.find((x) => x.index === index)?.eventId;
        const row = eventId === undefined ? undefined : dlcRowOf(party, eventId);
        if (row === undefined)
          throw new HttpError(
            409,
            'not_funded',
            'this milestone has no DLC in this wallet yet: fund it first',
          );
        try {
          const r = await enableTower(party, row, new TowerClient(oracle().baseUrl), {
            token: m.token,
            milestoneIndex: index,
          });
          emit(m.contract_id);
          return { url: r.record.tower_url, created: r.created, cets: r.cets };
        } catch (e) {
          if (e instanceof TowerRefusedError) throw new HttpError(422, e.code, e.message);
          if (e instanceof ContractStateError) throw new HttpError(409, 'dlc_state', e.message);
          if (e instanceof OracleTransportError) {
            if (e.status === undefined) throw unreachable(oracle().baseUrl, e);
            throw new HttpError(e.status, 'tower_error', e.message);
          }
          throw e;
        }
      },
    },
    {
      method: 'GET',
      path: re('/api/qr'),
      handle(req) {
        const text = req.query.get('text') ?? '';
        if (text.length === 0 || text.length > 2000)
          throw new HttpError(400, 'invalid_request', 'text: 1 to 2000 characters');
        let svg: string;
        try {
          svg = encodeQR(text, 'svg');
        } catch (e) {
          // Past a QR code's capacity (long text in a script of multi-byte characters).
          throw new HttpError(
            400,
            'qr_too_long',
            `too much text for one QR code (${e instanceof Error ? e.message : String(e)})`,
          );
        }
        return Promise.resolve(new AppRaw('image/svg+xml', svg));
      },
    },
  ];
}
