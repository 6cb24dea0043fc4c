import { randomBytes } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeAnnouncement } from '../../src/dlc/oracle-codec.ts';
import type { AppContext } from '../context.ts';
import type { ContractRow } from '../db/stores.ts';
import { AppError, InvalidRequestError, NotFoundError } from '../errors.ts';
import { appendAudit } from './audit-log.ts';
import { Lru } from './lru.ts';
import {
  buildTerms,
  canonicalTerms,
  eventIdFor,
  eventMaturityEpochSec,
  termsFromJson,
  TermsError,
  type CreateContractInput,
  type Terms,
} from './terms.ts';

export interface CreatedContract {
  readonly contract: ContractRow;
  readonly terms: Terms;
  readonly eventIds: readonly string[];
  /** Returned once, at creation; the service keeps no copy. */
  readonly tokens: { readonly client: string; readonly freelancer: string };
}

/**
 * Creates a contract, its milestones and one signed announcement per milestone, with the
 * `contract_created` audit entry, in one transaction.
 */
export function createContract(
  ctx: AppContext,
  input: CreateContractInput,
  actor: string,
): CreatedContract {
  const steps = contractSteps(ctx, input, actor);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/**
 * `createContract` for the HTTP route (issue 19 §6): the same steps, with the event loop let go
 * between two announcements, so that a large contract's signing (a few ms per milestone) never
 * holds health checks and decisions for the whole create. Nonces are deterministic and the
 * contract id is fresh, so signing before the transaction races with nothing.
 */
export async function createContractYielding(
  ctx: AppContext,
  input: CreateContractInput,
  actor: string,
): Promise<CreatedContract> {
  const steps = contractSteps(ctx, input, actor);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The terms `input` makes for `contractId`, with every check of a create (the same 400s).
 * @throws AppError
 */
function checkedTerms(ctx: AppContext, input: CreateContractInput, contractId: string): Terms {
  const now = ctx.now();
  let terms: Terms;
  try {
    terms = buildTerms(input, contractId, bytesToHex(ctx.engine.publicKey));
  } catch (e) {
    if (e instanceof TermsError) {
      if (e.code !== undefined)
        throw new AppError(e.code, e.message, { path: e.path, ...e.details });
      throw new InvalidRequestError(e.message, { path: e.path });
    }
    throw e;
  }
  for (const m of terms.milestones) {
    if (m.deliveryDeadline <= now) {
      throw new InvalidRequestError('the delivery deadline must be in the future', {
        path: `milestones.${m.index}.deliveryDeadline`,
      });
    }
  }
  return terms;
}

/**
 * Issue 15: what creating `input` would hash, written nowhere: the canonical JSON with
 * `"contractId": ""` (the id is assigned at creation) and the terms. The same checks as a create.
 * @throws AppError
 */
export function previewContract(
  ctx: AppContext,
  input: CreateContractInput,
): { canonicalJson: string; terms: Terms } {
  const terms = checkedTerms(ctx, input, '');
  return { canonicalJson: canonicalTerms(terms).json, terms };
}

/** The steps of a create; it yields after signing each announcement. */
function* contractSteps(
  ctx: AppContext,
  input: CreateContractInput,
  actor: string,
): Generator<void, CreatedContract, void> {
  const contractId = bytesToHex(randomBytes(8));
  const now = ctx.now();
  const terms = checkedTerms(ctx, input, contractId);
  const { json, hash } = canonicalTerms(terms);
  // Sign outside the transaction (pure CPU); the rows commit together below.
  const announcements: {
    m: Terms['milestones'][number];
    eventId: string;
    maturityEpochSec: number;
    tlv: Uint8Array;
  }[] = [];
  for (const m of terms.milestones) {
    const eventId = eventIdFor(contractId, m.index, hash);
    const maturityEpochSec = eventMaturityEpochSec(m);
    announcements.push({
      m,
      eventId,
      maturityEpochSec,
      tlv: ctx.engine.announce({ eventId, maturityEpochSec, kind: m.outcome }),
    });
    yield;
  }
  const contract: ContractRow = {
    id: contractId,
    terms_json: json,
    terms_hash: hash,
    client_id: terms.client.id,
    freelancer_id: terms.freelancer.id,
    created_at: now,
  };
  ctx.db.transaction(() => {
    ctx.stores.insertContract(contract);
    for (const a of announcements) {
      const milestoneId = ctx.stores.insertMilestone({
        contract_id: contractId,
        idx: a.m.index,
        event_id: a.eventId,
        delivery_deadline: a.m.deliveryDeadline,
      });
      ctx.stores.insertAnnouncement({
        event_id: a.eventId,
        milestone_id: milestoneId,
        maturity_epoch_sec: a.maturityEpochSec,
        tlv: a.tlv,
        created_at: now,
      });
      // Issue 19: each nonce belongs to this event alone (unique in the schema).
      ctx.stores.registerNonces(a.eventId, decodeAnnouncement(a.tlv).event.nonces);
    }
    appendAudit(ctx.stores, {
      contractId,
      at: now,
      actor,
      action: 'contract_created',
      milestoneIndex: null,
      details: { termsHash: hash, eventIds: announcements.map((a) => a.eventId) },
    });
  })();
  ctx.logger.info({ contractId, milestones: terms.milestones.length }, 'contract created');
  return {
    contract,
    terms,
    eventIds: announcements.map((a) => a.eventId),
    tokens: {
      client: ctx.tokens.issuePartyToken({ partyId: terms.client.id, contractId, role: 'client' }),
      freelancer: ctx.tokens.issuePartyToken({
        partyId: terms.freelancer.id,
        contractId,
        role: 'freelancer',
      }),
    },
  };
}

/** Contracts are immutable (a trigger forbids UPDATE), so their parsed terms can be cached. */
const termsCache = new WeakMap<object, Lru<string, { row: ContractRow; terms: Terms }>>();

export function getContract(
  ctx: AppContext,
  contractId: string,
): { row: ContractRow; terms: Terms } {
  let cache = termsCache.get(ctx.stores);
  if (cache === undefined) {
    cache = new Lru(4096);
    termsCache.set(ctx.stores, cache);
  }
  const hit = cache.get(contractId);
  if (hit !== undefined) return hit;
  const row = ctx.stores.getContract(contractId);
  if (row === undefined) throw new NotFoundError('contract_not_found', `no contract ${contractId}`);
  const found = { row, terms: termsFromJson(row.terms_json) };
  cache.set(contractId, found);
  return found;
}
