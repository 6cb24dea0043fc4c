/**
 * Fills a Verdict data dir with events for the API bench, in the bench's own process while the
 * service is stopped, through the service's own domain and store functions:
 *  - `seedReal`: real contracts through `createContract` (terms, a BIP340-signed announcement per
 *    milestone, the audit entry), `batch` contracts per outer transaction;
 *  - `seedClones`: copies of one real contract's rows under new contract and event ids, for sizes
 *    where signing every announcement would take too long. A clone's announcement bytes are the
 *    template's (signed for the template's event id, not for the clone's); it has no audit entry.
 *    Every read path (list, single event, kormir) treats the rows as it treats real ones.
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../../oracle/logger.ts';
import { loadConfig } from '../../../oracle/config.ts';
import type { AppContext } from '../../../oracle/context.ts';
import {
  acquireDataDirLock,
  ensureDataDir,
  loadOrCreateJwtSecret,
  openOrCreateKeystore,
  paths,
  resolvePassphrase,
} from '../../../oracle/data-dir.ts';
import { openDatabase } from '../../../oracle/db/open.ts';
import { Stores } from '../../../oracle/db/stores.ts';
import { bytesToHex } from '@noble/hashes/utils.js';
import { oracleKeysFromMnemonic } from '../../../src/crypto/oracle-keys.ts';
import { createAttestationEngine } from '../../../oracle/domain/attestation-engine.ts';
import { openSigningState } from '../../../oracle/domain/continuity.ts';
import { createContract } from '../../../oracle/domain/contracts.ts';
import {
  acceptMilestone,
  deliverMilestone,
  fallbackDisputeResolver,
  proposeOutcome,
} from '../../../oracle/domain/milestones.ts';
import { eventIdFor } from '../../../oracle/domain/terms.ts';
import { createContractInput } from '../../../oracle/domain/terms.ts';
import { TokenIssuer } from '../../../oracle/http/tokens.ts';
import { Metrics } from '../../../oracle/metrics.ts';

/** The environment the bench gives the service (and the seeder, which opens the same keystore). */
export function benchServiceEnv(dataDir: string): Record<string, string> {
  return {
    VERDICT_DATA_DIR: dataDir,
    VERDICT_HOST: '127.0.0.1',
    VERDICT_PORT: '0',
    VERDICT_LOG_LEVEL: 'silent',
    VERDICT_KEYSTORE_PASSPHRASE: 'verdict bench',
    VERDICT_SCRYPT_N: '1024',
    // Every write of the bench comes from 127.0.0.1: the per-address write limit would throttle it.
    VERDICT_WRITE_RATE_PER_MIN: '0',
    VERDICT_WRITE_MB_PER_MIN: '0',
    VERDICT_CREATE_MILESTONES_PER_MIN: '0',
    // The load generator opens 64 connections (plus its probes) from one address; the
    // per-address cap (64) would reset the surplus, which is the abuse limit working, not a read.
    VERDICT_MAX_CONNECTIONS_PER_ADDRESS: '0',
    VERDICT_MAX_CONNECTIONS: '0',
  };
}

export interface SeedContext {
  readonly ctx: AppContext;
  close(): void;
}

/** Opens the data dir as the service would (lock, keystore, database), without HTTP. */
export function openSeedContext(dataDir: string): SeedContext {
  const config = loadConfig(benchServiceEnv(dataDir));
  const logger = createLogger(config);
  ensureDataDir(config.dataDir);
  const release = acquireDataDirLock(config.dataDir);
  const { mnemonic } = openOrCreateKeystore(config, resolvePassphrase(config), logger);
  const db = openDatabase(paths(config.dataDir).db);
  const stores = new Stores(db);
  const oracle = bytesToHex(oracleKeysFromMnemonic(mnemonic).publicKey);
  if (stores.getMeta('oracle_public_key') === undefined)
    db.transaction(() => stores.setMeta('oracle_public_key', oracle))();
  const { journal } = openSigningState({
    journalPath: paths(config.dataDir).journal,
    witnessDir: undefined,
    stores,
    oracle,
    nowSec: Math.floor(Date.now() / 1000),
    logger,
  });
  const ctx: AppContext = {
    config,
    db,
    stores,
    logger,
    engine: createAttestationEngine(mnemonic, journal),
    tokens: new TokenIssuer(loadOrCreateJwtSecret(config.dataDir), config.tokenTtlSec),
    metrics: new Metrics(),
    now: () => Math.floor(Date.now() / 1000),
    disputeResolver: fallbackDisputeResolver,
  };
  return {
    ctx,
    close() {
      db.close();
      journal.close();
      release();
    },
  };
}

export function countEvents(ctx: AppContext): number {
  return ctx.stores.counts().announcements;
}

/** A one-milestone share contract request, like the README's. */
export function contractBody(nowEpochSec: number, i = 0): Record<string, unknown> {
  return {
    title: `Bench contract ${i}`,
    client: { id: 'alice', name: 'Alice' },
    freelancer: { id: 'bob', name: 'Bob' },
    milestones: [
      {
        title: 'Milestone 0',
        amountSat: '150000',
        deliveryDeadline: nowEpochSec + 30 * 86_400,
        reviewWindowSec: 3 * 86_400,
      },
    ],
  };
}

/** Creates `count` real contracts (one signed announcement each); returns ms per contract. */
export function seedReal(ctx: AppContext, count: number, batch = 250): number {
  const start = performance.now();
  const input = createContractInput.parse(contractBody(ctx.now()));
  for (let done = 0; done < count;) {
    const n = Math.min(batch, count - done);
    ctx.db.transaction(() => {
      for (let i = 0; i < n; i++) createContract(ctx, input, 'bench:seed');
    })();
    done += n;
  }
  return (performance.now() - start) / Math.max(1, count);
}

export interface PreparedContract {
  readonly contractId: string;
  readonly eventId: string;
  readonly tokens: { readonly client: string; readonly freelancer: string };
}

/**
 * Real contracts brought to the step just before a decision, through the domain functions:
 * `open` ones, `delivered` ones (the client may accept), ones with a standing proposal of `proposalOutcome` by
 * the freelancer (the client may settle mutually), and `attested` ones (accepted).
 */
export function prepareContracts(
  ctx: AppContext,
  counts: { open: number; delivered: number; proposed: number; attested: number },
  proposalOutcome: number,
): Record<keyof typeof counts, PreparedContract[]> {
  const input = createContractInput.parse(contractBody(ctx.now()));
  const make = (n: number, step: (ref: { contractId: string; index: number }) => void) =>
    ctx.db.transaction(() =>
      Array.from({ length: n }, (): PreparedContract => {
        const c = createContract(ctx, input, 'bench:seed');
        step({ contractId: c.contract.id, index: 0 });
        return { contractId: c.contract.id, eventId: c.eventIds[0] ?? '', tokens: c.tokens };
      }),
    )();
  const freelancer = { role: 'freelancer', partyId: 'bob' } as const;
  const client = { role: 'client', partyId: 'alice' } as const;
  const deliver = (ref: { contractId: string; index: number }) =>
    deliverMilestone(ctx, ref, freelancer, { commitSha: 'a'.repeat(40) });
  return {
    attested: make(counts.attested, (ref) => {
      deliver(ref);
      acceptMilestone(ctx, ref, client);
    }),
    open: make(counts.open, () => undefined),
    delivered: make(counts.delivered, deliver),
    proposed: make(counts.proposed, (ref) => proposeOutcome(ctx, ref, freelancer, proposalOutcome)),
  };
}

/**
 * Adds clones of the first real contract until the database holds `target` events; returns the
 * number of clones added. Clone contract ids are `fe` + 14 hex digits (a real id is 16 random hex
 * digits), so they are distinct from real ones with overwhelming probability.
 */
export function seedClones(ctx: AppContext, target: number, batch = 20_000): number {
  const template = ctx.db
    .prepare(
      `SELECT c.id AS contractId FROM contracts c JOIN milestones m ON m.contract_id = c.id
       WHERE c.id NOT LIKE 'fe%' ORDER BY m.id LIMIT 1`,
    )
    .get() as { contractId: string } | undefined;
  if (template === undefined) throw new Error('seedClones: seed at least one real contract first');
  const contract = ctx.stores.getContract(template.contractId);
  const milestone = ctx.stores.milestoneByIndex(template.contractId, 0);
  const ann = milestone === undefined ? undefined : ctx.stores.getAnnouncement(milestone.event_id);
  if (contract === undefined || milestone === undefined || ann === undefined)
    throw new Error('seedClones: template rows missing');
  const cloned = (
    ctx.db.prepare(`SELECT count(*) AS n FROM contracts WHERE id LIKE 'fe%'`).get() as { n: number }
  ).n;
  const have = countEvents(ctx);
  const toAdd = Math.max(0, target - have);
  for (let done = 0; done < toAdd;) {
    const n = Math.min(batch, toAdd - done);
    ctx.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = `fe${(cloned + done + i).toString(16).padStart(14, '0')}`;
        const eventId = eventIdFor(id, 0, contract.terms_hash);
        ctx.stores.insertContract({ ...contract, id });
        const milestoneId = ctx.stores.insertMilestone({
          contract_id: id,
          idx: 0,
          event_id: eventId,
          delivery_deadline: milestone.delivery_deadline,
        });
        ctx.stores.insertAnnouncement({ ...ann, event_id: eventId, milestone_id: milestoneId });
        // A clone carries its template's nonces, which belong to the template alone (issue 19:
        // one event per nonce, in the schema). It gets a random placeholder nonce instead, which
        // its announcement does not carry, so the engine would refuse ever to attest a clone.
        ctx.stores.registerNonces(eventId, [randomBytes(32)]);
      }
    })();
    done += n;
  }
  return toAdd;
}

/** `count` event ids spread evenly over the stored events (milestone id order), shuffled. */
export function sampleEventIds(ctx: AppContext, count: number): string[] {
  const rows = ctx.db
    .prepare('SELECT event_id AS eventId FROM milestones ORDER BY id')
    .pluck()
    .all() as string[];
  const step = Math.max(1, Math.floor(rows.length / count));
  const ids: string[] = [];
  for (let i = 0; i < rows.length && ids.length < count; i += step) ids.push(rows[i] ?? '');
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ids[i], ids[j]] = [ids[j] ?? '', ids[i] ?? ''];
  }
  return ids;
}
