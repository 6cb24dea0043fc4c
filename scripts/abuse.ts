/**
 * `npm run abuse [-- --seconds N --sockets N --guesses N]`: the abuse harness
 * (test/hardening/abuse-harness.ts) against a fresh service process on loopback, with the
 * service's default limits. Bounded: each flooding phase runs N seconds (default 20), then it
 * stops by itself and prints its figures.
 */
import { parseArgs } from 'node:util';
import { FULL_SCALE, runAbuse } from '../test/hardening/abuse-harness.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: String(FULL_SCALE.seconds) },
    sockets: { type: 'string', default: String(FULL_SCALE.sockets) },
    guesses: { type: 'string', default: String(FULL_SCALE.guesses) },
  },
});
const scale = {
  seconds: Math.min(120, Math.max(1, Number(values.seconds))),
  sockets: Math.min(10_000, Math.max(1, Number(values.sockets))),
  guesses: Math.min(1000, Math.max(1, Number(values.guesses))),
};
const r = await runAbuse(scale, (line) => process.stderr.write(`${line}\n`));
const out = (s: string) => process.stdout.write(`${s}\n`);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const lat = (l: { n: number; failed: number; p50Ms: number; p95Ms: number; maxMs: number }) =>
  `p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms, max ${l.maxMs} ms (${l.n} answered, ${l.failed} failed)`;
out(`disk: ${r.disk.seconds} s of 1 MiB DLC offers + 2 MB evidence files from one address`);
out(
  `  sent ${mb(r.disk.requestBytesSent)}, statuses ${JSON.stringify(r.disk.statuses)}, data dir grew ${mb(r.disk.dataDirGrowthBytes)}`,
);
out(`connections: ${r.connections.attempted} idle sockets from one address`);
out(
  `  kept open ${r.connections.keptOpen}, closed by the service ${r.connections.closedByService}; /healthz meanwhile ${lat(r.connections.health)}`,
);
out(`  a trickling GET body was cut after ${r.connections.trickleCutAfterMs} ms`);
out(`cpu: ${r.cpu.seconds} s of 20-milestone creates from 4 addresses`);
out(`  statuses ${JSON.stringify(r.cpu.statuses)}, ${r.cpu.milestonesCreated} milestones created`);
out(`  /healthz before ${lat(r.cpu.healthBaseline)}`);
out(`  /healthz during ${lat(r.cpu.health)}`);
out(`login: ${r.login.parallelGuesses} parallel guesses (the last one right) from one address`);
out(
  `  password checked ${r.login.passwordChecked}, refused 429 ${r.login.refused429}, connection closed by the per-address cap ${r.login.connectionRefused}`,
);
out(
  `  after ${r.login.distributedAttempts} guesses from 25 addresses: known device ${r.login.knownDeviceLogin}, new device ${r.login.newDeviceLogin}`,
);
