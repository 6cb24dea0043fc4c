/**
 * The watcher while the app is open (issue 15 §7): "get paid without thinking about it". Every
 * `watchIntervalMs` (default 2 s) while the wallet is unlocked, one `party.poll(oracle)` — the
 * same pass as `verdict dlc watch` — under the data dir's watch lock, held from unlock to lock.
 * When a `verdict dlc watch` holds the lock, that process does the watching: the activity says so
 * once and the app tries again every pass.
 *
 * Each action becomes a line of the activity feed in words, with the oracle contract and the
 * milestone (read from the DLC's event id `verdict/<contractId>/<index>/<hash16>`), and a
 * `contract` event so the page refetches it. A contract's repeated news (still in the mempool,
 * still no attestation, the same error) is said once, not every pass.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { milestoneTermsSchema } from '../src/party/milestone-terms.ts';
import type { OracleClient } from '../src/party/oracle-client.ts';
import type { Party, WatchAction } from '../src/party/party.ts';
import type { ContractRow } from '../src/party/store.ts';
import { decodeRawTx } from '../src/party/wallet.ts';
import { acquireWatchLock, WatcherRunningError } from '../src/party/watch-lock.ts';
import type { AppContext, AppModule } from './context.ts';

/** `verdict/<contract id>/<milestone index>/<terms hash>` → its parts. */
export function milestoneOfRow(
  row: ContractRow,
): { contractId: string; milestone: number } | undefined {
  const t = milestoneTermsSchema.safeParse(JSON.parse(row.terms_json));
  if (!t.success) return undefined;
  const m = /^verdict\/([^/]+)\/(\d+)\//.exec(t.data.eventId);
  return m === null ? undefined : { contractId: m[1]!, milestone: Number(m[2]) };
}

/** "123 456": sats grouped by thousands, as the page shows them. */
const sats = (n: bigint): string => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** What the row's closing transaction pays this wallet, or undefined without one. */
function paidToMe(party: Party, row: ContractRow): bigint | undefined {
  if (row.closing_tx_hex === null) return undefined;
  let sum = 0n;
  for (const o of decodeRawTx(hexToBytes(row.closing_tx_hex)).outputs)
    if (party.wallet.keyForSpk(o.script) !== undefined) sum += o.amount;
  return sum;
}

/** One watcher action in words. */
export function describeAction(party: Party, a: WatchAction, row: ContractRow | undefined): string {
  const where =
    row === undefined
      ? `DLC ${a.contract}`
      : ((m) => (m === undefined ? `DLC ${a.contract}` : `milestone ${m.milestone + 1}`))(
          milestoneOfRow(row),
        );
  const paid = row === undefined ? undefined : paidToMe(party, row);
  const toYou = paid === undefined ? '' : `, ${sats(paid)} sat to you`;
  const tx = a.txid === undefined ? '' : ` (${a.txid})`;
  switch (a.action) {
    case 'funding_broadcast':
      return `${where}: funding transaction broadcast${tx}`;
    case 'funding_seen':
      return `${where}: funding transaction in the mempool, waiting for a block${tx}`;
    case 'funding_confirmed':
      return `${where}: funded, the funding transaction confirmed${tx}`;
    case 'cet_broadcast':
      return `${where}: the oracle attested; CET broadcast${toYou}${tx}`;
    case 'refund_broadcast':
      return `${where}: refund broadcast (the refund locktime passed)${toYou}${tx}`;
    case 'closing_seen':
      return `${where}: closing transaction seen, waiting for a block${toYou}${tx}`;
    case 'settled':
      return `${where}: settled${toYou}${tx}`;
    case 'refunded':
      return `${where}: refunded${toYou}${tx}`;
    case 'waiting':
      return `${where}: waiting, ${a.detail ?? 'nothing to do yet'}`;
    case 'funding_double_spent':
      return `${where}: the funding transaction cannot confirm: ${a.detail ?? 'its coins were spent elsewhere'}`;
    case 'bump_offered':
      return `${where}: the closing transaction is stuck; a fee bump (CPFP) is possible: ${a.detail ?? ''}`;
    case 'cpfp_broadcast':
      return `${where}: fee bump (CPFP) broadcast${tx}`;
    case 'error':
      return `${where}: the watcher could not check this milestone: ${a.detail ?? 'unknown error'}`;
  }
}

/** Starts the watcher at every unlock; it stops at lock and at close. */
export function startWatcher(ctx: AppContext, oracle: OracleClient | null = ctx.oracle): void {
  const intervalMs = ctx.watchIntervalMs ?? 2000;
  ctx.whileUnlocked((party) => {
    let stopped = false;
    let release: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let pass: Promise<void> = Promise.resolve();
    /** Per DLC row, the last news said (so that repeated news is said once). */
    const said = new Map<number, string>();
    /** The last failure of the pass itself said (lock held, node unreachable), if any. */
    let passNote: string | undefined;
    const note = (text: string): void => {
      if (passNote === text) return;
      passNote = text;
      ctx.bus.emit({ kind: 'activity', text });
    };

    /** Per oracle contract, what its milestones looked like at the last pass. */
    const seen = new Map<string, string[]>();
    /**
     * What the counterparty, the arbiters or a deadline changed at the oracle (a delivery, a
     * dispute, a vote's result): a `contract` event for the page, and the change in words.
     */
    async function watchOracleViews(p: Party): Promise<void> {
      for (const m of p.store.memberships()) {
        if (m.agreement === 'declined') continue;
        let view: { milestones?: OracleMilestone[]; agreement?: unknown };
        try {
          const r = await fetch(
            `${m.oracle_url.replace(/\/$/, '')}/v1/contracts/${encodeURIComponent(m.contract_id)}`,
            { headers: { authorization: `Bearer ${m.token}` }, signal: AbortSignal.timeout(5000) },
          );
          if (!r.ok) continue;
          view = (await r.json()) as typeof view;
        } catch {
          continue; // the oracle's outage is said by the funding jobs and the page
        }
        const now = (view.milestones ?? []).map((x) =>
          JSON.stringify([x.status, x.delivery, x.proposal, x.dispute, x.decision]),
        );
        const before = seen.get(m.contract_id);
        seen.set(m.contract_id, now);
        const agreement = JSON.stringify(view.agreement ?? null);
        const agreementKey = `${m.contract_id}\tagreement`;
        const agreementBefore = seen.get(agreementKey)?.[0];
        seen.set(agreementKey, [agreement]);
        if (agreementBefore !== undefined && agreementBefore !== agreement)
          ctx.bus.emit({ kind: 'contract', contractId: m.contract_id });
        if (before === undefined) continue;
        (view.milestones ?? []).forEach((x, i) => {
          if (before[i] === now[i]) return;
          ctx.bus.emit({
            kind: 'activity',
            text: `milestone ${x.index + 1}: ${describeMilestoneState(x)}`,
            contractId: m.contract_id,
            milestone: x.index,
          });
          ctx.bus.emit({ kind: 'contract', contractId: m.contract_id, milestone: x.index });
        });
      }
    }

    async function once(): Promise<void> {
      if (release === undefined) {
        try {
          release = acquireWatchLock(ctx.dataDir);
        } catch (e) {
          if (!(e instanceof WatcherRunningError)) throw e;
          note(
            `${e.message} (a "verdict dlc watch"?): it watches this wallet's contracts; the app tries again every ${intervalMs / 1000} s`,
          );
          return;
        }
        if (passNote !== undefined) {
          passNote = undefined;
          ctx.bus.emit({ kind: 'activity', text: 'the app watches this wallet’s contracts again' });
        }
      }
      const actions = await party.poll(oracle, ctx.bumpPolicy);
      if (passNote !== undefined) passNote = undefined;
      await watchOracleViews(party);
      for (const a of actions) {
        const row = party.store.findContract(String(a.contract));
        const key = `${a.action}\t${a.txid ?? ''}\t${a.detail ?? ''}`;
        if (said.get(a.contract) === key) continue;
        said.set(a.contract, key);
        const m = row === undefined ? undefined : milestoneOfRow(row);
        ctx.bus.emit({
          kind: 'activity',
          text: describeAction(party, a, row),
          ...(m === undefined ? {} : { contractId: m.contractId, milestone: m.milestone }),
        });
        if (m !== undefined)
          ctx.bus.emit({ kind: 'contract', contractId: m.contractId, milestone: m.milestone });
        if (a.action !== 'waiting' && a.action !== 'error') ctx.bus.emit({ kind: 'wallet' });
      }
    }

    const loop = (): void => {
      if (stopped) return;
      pass = once()
        .catch((e: unknown) =>
          note(
            `the watcher could not run: ${e instanceof Error ? e.message : String(e)}; it retries`,
          ),
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(loop, intervalMs);
        });
    };
    loop();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await pass;
      release?.();
      release = undefined;
    };
  });
}

/** The fields of the oracle's milestone view the watcher compares. */
interface OracleMilestone {
  readonly index: number;
  readonly status: string;
  readonly delivery: unknown;
  readonly proposal: { byRole: string; outcome: string } | null;
  readonly dispute: { byRole: string } | null;
  readonly decision: { outcome: string; decidedBy: string } | null;
}

/** A milestone's state at the oracle, in words. */
function describeMilestoneState(x: OracleMilestone): string {
  if (x.decision !== null)
    return `decided: ${x.decision.outcome}${x.decision.decidedBy === '' ? '' : ` (${x.decision.decidedBy})`}`;
  if (x.dispute !== null) return `disputed by the ${x.dispute.byRole}`;
  if (x.proposal !== null)
    return `the ${x.proposal.byRole} proposes a settlement: ${x.proposal.outcome}`;
  if (x.delivery !== null) return 'delivered, in review';
  return x.status;
}

export const watcherModule: AppModule = (ctx) => {
  startWatcher(ctx);
  return [];
};
