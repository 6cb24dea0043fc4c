/**
 * `tsx scripts/fuzz.ts [--per-route N] [--seed S] [--limits off|on|both]`: the hostile-input
 * fuzzer (test/hardening/fuzz-routes.ts) as a longer run against a fresh service process, once
 * with the write limits off (so that every request reaches its handler) and once with the
 * service's default write limits on (issue 19: request rate, byte rate, creation cost; the
 * default is both). Prints the requests sent, the statuses, the server's RSS before and after,
 * and every violation; exit 1 if any.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { childEnv, rssKb, startServiceChild, tempDir } from '../test/hardening/child.ts';
import { enumerateRoutes, runFuzz, setupFixture } from '../test/hardening/fuzz-routes.ts';

const { values } = parseArgs({
  options: {
    'per-route': { type: 'string', default: process.env['FUZZ_PER_ROUTE'] ?? '300' },
    seed: { type: 'string', default: String(Math.floor(Math.random() * 2 ** 31)) },
    limits: { type: 'string', default: 'both' },
  },
});
if (!['off', 'on', 'both'].includes(values.limits)) {
  process.stderr.write('--limits is off, on or both\n');
  process.exit(2);
}
const runs = values.limits === 'both' ? ['off', 'on'] : [values.limits];
const perRoute = Number(values['per-route']);
const seed = Number(values.seed);
let failedAny = false;
for (const limits of runs) {
  const dataDir = tempDir('verdict-fuzz-');
  const noLimits = {
    VERDICT_WRITE_RATE_PER_MIN: '0',
    VERDICT_WRITE_MB_PER_MIN: '0',
    VERDICT_CREATE_MILESTONES_PER_MIN: '0',
  };
  const child = await startServiceChild(childEnv(dataDir, limits === 'off' ? noLimits : {}), {
    keepOutput: false,
  });
  let failed = true;
  try {
    const fixture = await setupFixture(child.url, dataDir);
    const routes = await enumerateRoutes(child.url);
    const rssBefore = await rssKb(child.proc.pid);
    const report = await runFuzz({
      url: child.url,
      fixture,
      routes,
      randomPerRoute: perRoute,
      seed,
      onProgress: (n) => process.stderr.write(`${n} requests\n`),
    });
    const rssAfter = await rssKb(child.proc.pid);
    const alive = child.proc.exitCode === null && child.proc.signalCode === null;
    const out = process.stdout;
    out.write(`write limits    ${limits}\n`);
    out.write(`seed            ${seed}\n`);
    out.write(`routes          ${report.routes}\n`);
    out.write(`requests        ${report.requests}\n`);
    out.write(`by status       ${JSON.stringify(report.byStatus)}\n`);
    out.write(`server RSS      ${rssBefore ?? '?'} kB before, ${rssAfter ?? '?'} kB after\n`);
    out.write(`process alive   ${alive}\n`);
    out.write(`violations      ${report.violations.length}\n`);
    // One line per distinct violation (the path and the body text folded away).
    const distinct = new Map<string, number>();
    for (const v of report.violations) {
      const key = v.replace(/: (GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) \S+/, '').slice(0, 240);
      distinct.set(key, (distinct.get(key) ?? 0) + 1);
    }
    for (const [v, n] of distinct) out.write(`  - ${n} × ${v}\n`);
    for (const v of report.violations.slice(0, 20)) out.write(`    e.g. ${v}\n`);
    failed = report.violations.length > 0 || !alive;
  } finally {
    await child.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
  failedAny ||= failed;
}
process.exitCode = failedAny ? 1 : 0;
