import cron from 'node-cron';
import type { AppContext } from './context.ts';
import { applyDueDeadlines } from './domain/milestones.ts';

export interface Scheduler {
  /** Applies every due deadline now; returns how many decisions it made. */
  tick(): number;
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
        },
        { noOverlap: true },
      )
    : undefined;
  return {
    tick,
    async stop() {
      if (task !== undefined) await task.stop();
    },
  };
}
