/**
 * Issue 17, target 3: the adaptor worker pool (`src/native/adaptor-pool.ts`) as the party flow
 * uses it (`adaptorRunner`: the calling thread takes part, small batches stay on it).
 *
 * - Start-up: a fresh pool's workers from `warm()` to loaded, paid once per process.
 * - A cold pool is never waited for: a batch given to a fresh pool (workers still starting)
 *   against the same batch on one thread.
 * - Crossover: create + verify of n adaptor signatures (native backend) on one thread and on
 *   the warm shared pool, n = 8 … 1,024, wall time (median of the rounds); the threshold
 *   `POOL_MIN_SIGNATURES` should be at or above the smallest n from which the pool wins.
 * Figures are wall-clock (what a user waits); on a loaded machine they swing, see the load line.
 */
import { availableParallelism, loadavg } from 'node:os';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import {
  assertAdaptorSignatures,
  createAdaptorSignatures,
  type AdaptorSigningItem,
} from '../../src/dlc/adaptor-set.ts';
import {
  adaptorRunner,
  AdaptorWorkerPool,
  POOL_MIN_SIGNATURES,
  sharedAdaptorPool,
} from '../../src/native/adaptor-pool.ts';
import { adaptorBackend, ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import { formatNumber, printTable, type Bench } from './harness.ts';

const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
const ROUNDS = 5;
const SIZES = [8, 16, 32, 64, 128, 256, 1024];

const loadNote = (): string => {
  const [one = 0, five = 0] = loadavg();
  return `load average ${one.toFixed(1)} (1 min), ${five.toFixed(1)} (5 min), ${availableParallelism()} cores`;
};

function items(n: number): AdaptorSigningItem[] {
  return Array.from({ length: n }, (_, i) => ({
    point: secp256k1.getPublicKey(be32(BigInt(10_000 + i)), true),
    sighash: be32(BigInt(7 * i + 3)),
  }));
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function wall(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function run(): Promise<void> {
  const backend = adaptorBackend();
  const scheme = ecdsaAdaptor();
  const sk = be32(0xc0ffeen);
  const pk = secp256k1.getPublicKey(sk, true);
  console.log(`  backend ${backend}; ${loadNote()}`);
  if (availableParallelism() < 2) {
    console.log('  one core: adaptorRunner never uses the pool here; nothing to measure');
    return;
  }
  const oneThread = (its: AdaptorSigningItem[]) => () => {
    const sigs = createAdaptorSignatures(sk, its, undefined, scheme);
    assertAdaptorSignatures(pk, its, sigs, undefined, scheme);
  };

  // Start-up, paid once per process, and a batch given to a pool that is still starting.
  const big = items(1024);
  const fresh = new AdaptorWorkerPool({ size: sharedAdaptorPool().size });
  let startMs = 0;
  try {
    const start = performance.now();
    fresh.warm();
    await fresh.ready();
    startMs = performance.now() - start;
  } finally {
    await fresh.close();
  }
  const cold = new AdaptorWorkerPool({ size: sharedAdaptorPool().size });
  const coldRunner = adaptorRunner({ pool: cold, minSignatures: 1 });
  let coldMs = 0;
  try {
    coldMs = await wall(async () => {
      cold.warm(); // as the party flow does when it sees a large contract
      const sigs = await coldRunner.create(sk, big);
      await coldRunner.assertValid(pk, big, sigs);
    });
  } finally {
    await cold.close();
  }
  const oneMs = await wall(oneThread(big));
  printTable(
    `pool start-up (${sharedAdaptorPool().size} workers) and a 1,024-signature batch (create + verify) on a pool still starting`,
    ['what', 'ms (wall)'],
    [
      ['fresh pool: warm() → every worker loaded (once per process)', formatNumber(startMs)],
      [
        'cold pool (warm() then the batch at once), calling thread taking part',
        formatNumber(coldMs),
      ],
      ['one thread, same batch', formatNumber(oneMs)],
    ],
  );

  // Crossover on the warm shared pool.
  const pool = sharedAdaptorPool();
  pool.warm();
  await pool.ready();
  const runner = adaptorRunner({ pool, minSignatures: 1 });
  const rows: string[][] = [];
  let crossover: number | null = null;
  for (const n of SIZES) {
    const its = items(n);
    const single: number[] = [];
    const pooled: number[] = [];
    await wall(oneThread(its)); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      single.push(await wall(oneThread(its)));
      pooled.push(
        await wall(async () => {
          const sigs = await runner.create(sk, its);
          await runner.assertValid(pk, its, sigs);
        }),
      );
    }
    const s = median(single);
    const p = median(pooled);
    if (p < s && crossover === null) crossover = n;
    if (p >= s) crossover = null; // the pool must win from here on
    rows.push([String(n), formatNumber(s), formatNumber(p), formatNumber(s / p)]);
  }
  printTable(
    `create + verify of n adaptor signatures: one thread vs the warm shared pool (${pool.size} workers + the calling thread), median of ${ROUNDS}`,
    ['n', 'one thread ms (wall)', 'pool ms (wall)', 'speed-up'],
    rows,
  );
  const met = crossover !== null && POOL_MIN_SIGNATURES >= crossover;
  console.log(
    `\n  target 3 (issue 17): start-up ${formatNumber(startMs)} ms once per process; a cold pool ` +
      `${formatNumber(coldMs)} ms vs one thread ${formatNumber(oneMs)} ms (never waited for: ` +
      `${coldMs <= oneMs * 1.1 ? 'met' : 'NOT met'}); crossover n = ${crossover ?? 'none (pool never won)'}, ` +
      `threshold POOL_MIN_SIGNATURES = ${POOL_MIN_SIGNATURES}: ${met ? 'met' : 'NOT met'} ` +
      `(no pool below the crossover). ${loadNote()}`,
  );
}

export const bench: Bench = {
  description:
    'issue 17: adaptor worker pool start-up, a cold pool vs one thread, and the crossover (n signatures) that sets POOL_MIN_SIGNATURES',
  run,
};
