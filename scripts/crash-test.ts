/**
 * `npm run crash-test -- [--kills N] [--seed S] [--concurrency C] [--max-actions A] [--keep]`:
 * the crash harness (test/hardening/crash-harness.ts) as a long run. Exit status 0 when no
 * violation was found, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { runCrashTest } from '../test/hardening/crash-harness.ts';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: process.env['CRASH_KILLS'] ?? '50' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '6' },
    'max-actions': { type: 'string', default: '40' },
    keep: { type: 'boolean', default: false },
  },
});

const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`crash-test: --${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return n;
};

const seed = int('seed', values.seed);
const report = await runCrashTest({
  kills: int('kills', values.kills) ?? 50,
  ...(seed === undefined ? {} : { seed }),
  concurrency: int('concurrency', values.concurrency) ?? 6,
  maxActionsPerRound: int('max-actions', values['max-actions']) ?? 40,
  keepDataDir: values.keep,
  progress: (line) => process.stderr.write(`${line}\n`),
});

const out = process.stdout;
out.write(`seed                ${report.seed}\n`);
out.write(`kills survived      ${report.kills} (${report.starts} starts)\n`);
out.write(`actions attempted   ${report.attempted}\n`);
out.write(`acknowledged (2xx)  ${report.acknowledged}\n`);
out.write(`refused (4xx)       ${report.rejected}\n`);
out.write(`unanswered (killed) ${report.unanswered}\n`);
out.write(`by action           ${JSON.stringify(report.acknowledgedByAction)}\n`);
out.write(`facts checked       ${report.facts}\n`);
out.write(`contracts           ${report.contracts}\n`);
out.write(`attestations seen   ${report.attestationsSeen}\n`);
out.write(`audit entries       ${report.auditEntries}\n`);
out.write(`integrity_check     ${report.integrityCheck}\n`);
out.write(`violations          ${report.violations.length}\n`);
for (const v of report.violations) out.write(`  - ${v}\n`);
if (report.violations.length > 0) out.write(`data dir kept: ${report.dataDir}\n`);
process.exitCode = report.violations.length === 0 ? 0 : 1;
