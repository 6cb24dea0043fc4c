/**
 * The crash harness, CI-sized: SIGKILL the real service at random moments during a mix of writes,
 * restart, and check that nothing acknowledged is lost, nothing is attested twice, every audit log
 * verifies and the SQLite file is intact. The long run is `npm run crash-test -- --kills 200`.
 */
import { describe, expect, it } from 'vitest';
import { runCrashTest } from './crash-harness.ts';

const KILLS = Number(process.env['VERDICT_CRASH_KILLS'] ?? '4');

describe('crash safety (kill -9 and restart)', () => {
  it(`survives ${KILLS} SIGKILLs with no acknowledged write lost`, async () => {
    const report = await runCrashTest({ kills: KILLS, concurrency: 6, maxActionsPerRound: 40 });
    console.info(
      `crash: seed ${report.seed}, ${report.kills} kills, ${report.attempted} writes attempted, ${report.acknowledged} acknowledged, ${report.unanswered} cut by a kill, ${report.facts} facts, ${report.attestationsSeen} attestations, ${report.auditEntries} audit entries, integrity ${report.integrityCheck}, ${report.violations.length} violations`,
    );
    expect(report.violations, `seed ${report.seed}`).toEqual([]);
    expect(report.integrityCheck).toBe('ok');
    expect(report.starts).toBe(KILLS + 1);
    // The run did something worth checking: writes acknowledged and cut off by the kills.
    expect(report.acknowledged).toBeGreaterThan(KILLS * 5);
    expect(report.facts).toBeGreaterThan(0);
  }, 240_000);
});
