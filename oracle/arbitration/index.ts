/**
 * Installs arbitration into the service (issue 6): its store, the panel seating when a dispute
 * opens (`ctx.disputeOpened`), the vote aggregation as `ctx.disputeResolver`, and its routes.
 * `createApp` calls this once, before the error handler.
 */
import type { Express } from 'express';
import type { AppContext } from '../context.ts';
import { LoginThrottle } from './accounts.ts';
import { arbitrationTick, disputeResolver, seatFirstRound, type Arbitration } from './disputes.ts';
import {
  registerArbiterUiRoutes,
  registerArbitrationApiRoutes,
  type InstalledArbitration,
} from './routes.ts';
import { loadOrCreateJwtSecret } from '../data-dir.ts';
import { ArbiterSessions, sessionKey } from './session.ts';
import { ArbitrationStore } from './store.ts';
import { buildUiAssets } from './ui-assets.ts';

export function installArbitration(
  app: Express,
  ctx: AppContext,
  opts: { randomIndex?: (bound: number) => number } = {},
): InstalledArbitration {
  const store = new ArbitrationStore(ctx.db);
  const base: Arbitration = {
    ctx,
    store,
    ...(opts.randomIndex === undefined ? {} : { randomIndex: opts.randomIndex }),
  };
  const uiReady = buildUiAssets();
  // A failed build surfaces on the first /arbiter request; do not crash the oracle for it.
  uiReady.catch((err: unknown) => ctx.logger.error({ err }, 'arbiter UI bundle failed'));
  const a: InstalledArbitration = {
    ...base,
    sessions: new ArbiterSessions(
      sessionKey(loadOrCreateJwtSecret(ctx.config.dataDir)),
      store,
      ctx.now,
      ctx.config.publicUrl,
    ),
    throttle: new LoginThrottle(),
    uiReady,
  };
  ctx.disputeResolver = disputeResolver(a);
  ctx.disputeOpened = (_ctx, m, actor) => {
    seatFirstRound(a, m, actor);
  };
  ctx.onSchedulerTick = () => arbitrationTick(a);
  ctx.disputePanelOf = (m) => {
    const d = store.disputesOfMilestone(m.id).at(-1);
    if (d === undefined) return null;
    return { round: d.round, seats: d.seats, seated: store.panel(d.id).length, quorum: d.quorum };
  };
  ctx.metrics.disputePanelsShort.collect(() => store.shortRounds(ctx.now()).length);
  registerArbitrationApiRoutes(app, a);
  registerArbiterUiRoutes(app, a);
  return a;
}
