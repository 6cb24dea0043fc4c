import cron from 'node-cron';
import type { AppContext } from './context.ts';
import { applyDueDeadlines } from './domain/milestones.ts';
import type { TowerAction } from './tower/tower.ts';

export interface Scheduler {
  /** Applies every due deadline now; returns how many decisions it made. */
  tick(): number;
  /** One pass of the watchtower (issue 16): completes and broadcasts what became due. */
  towerTick(): Promise<TowerAction[]>;
  stop(): Promise<void>;
}

/**
 * The scheduler applies only what the terms already say (DESIGN.md "The milestone lifecycle"):
 * deadlines and defaults, idempotently. `start` ticks once immediately, which is the catch-up on
 * deadlines that passed while the service was down.
 */
export function startScheduler(ctx: AppContext, opts: { cron: boolean }): Scheduler {
  const log = ctx.logger.child({ subsystem: 'scheduler' });
  const tick = (): number => {
    ctx.metrics.schedulerTicks.inc();
    const n = applyDueDeadlines(ctx) + (ctx.onSchedulerTick?.(ctx) ?? 0);
    if (n > 0) log.info({ decisions: n }, 'applied due deadlines');
    return n;
  };
  const towerTick = async (): Promise<TowerAction[]> => {
    if (ctx.tower === undefined) return [];
    const actions = await ctx.tower.tick();
    for (const a of actions) {
      if (a.action === 'error') log.warn({ tower: a }, 'tower job failed');
      else log.info({ tower: a }, 'tower');
    }
    return actions;
  };
  tick();
  const task = opts.cron
    ? cron.schedule(
        `*/${ctx.config.schedulerTickSec} * * * * *`,
        () => {
          try {
            tick();
          } catch (err) {
            log.error({ err }, 'scheduler tick failed');
          }
          // An attestation made by this tick (or by a request since the last one) is completed
          // and broadcast by the tower in the same tick.
          towerTick().catch((err: unknown) => log.error({ err }, 'tower pass failed'));
        },
        { noOverlap: true },
      )
    : undefined;
  return {
    tick,
    towerTick,
    async stop() {
      if (task !== undefined) await task.stop();
    },
  };
}
