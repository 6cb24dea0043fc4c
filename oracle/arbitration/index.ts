/**
 * Installs arbitration into the service (issue 6): its store, the panel seating when a dispute
 * opens (`ctx.disputeOpened`), the vote aggregation as `ctx.disputeResolver`, and its routes.
 * `createApp` calls this once, before the error handler.
 */
import type { Express } from 'express';
import type { AppContext } from '../context.ts';
import { LoginThrottle } from './accounts.ts';
import { disputeResolver, seatFirstRound, type Arbitration } from './disputes.ts';
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
  registerArbitrationApiRoutes(app, a);
  registerArbiterUiRoutes(app, a);
  return a;
}
