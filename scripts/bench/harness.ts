/**
 * Shared helpers for the benchmark modules in this folder (not a benchmark itself: it exports no
 * `bench`). A module `scripts/bench/<name>.ts` exports `bench: Bench`; `scripts/bench.ts` finds it.
 */

/** One benchmark module, run by `npm run bench -- <name>`. */
export interface Bench {
  /** One line for the list printed by `npm run bench -- --list`. */
  readonly description: string;
  run(): void | Promise<void>;
}

export interface Measurement {
  readonly name: string;
  readonly iterations: number;
  readonly totalMs: number;
  /** Wall-clock µs per call. */
  readonly usPerOp: number;
  /** CPU (user + system) µs per call: steadier than wall time on a busy machine. */
  readonly cpuUsPerOp: number;
}

export interface MeasureOptions {
  /** Stop after this much measured time (default 1500 ms) … */
  readonly maxTimeMs?: number;
  /** … but never before this many iterations (default 5). */
  readonly minIterations?: number;
  /** Untimed warm-up calls (default 3), so the JIT and lazy tables are ready. */
  readonly warmup?: number;
}

/**
 * Times `fn` by repeated calls: warm-up first, then calls until `maxTimeMs` has passed (and at
 * least `minIterations`). Reports the mean wall-clock and CPU time per call; good enough for
 * per-operation costs in the µs–ms range (the code measured here is single-threaded).
 */
export function measure(
  name: string,
  fn: () => unknown,
  options: MeasureOptions = {},
): Measurement {
  const { maxTimeMs = 1500, minIterations = 5, warmup = 3 } = options;
  for (let i = 0; i < warmup; i++) fn();
  let iterations = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (iterations < minIterations || elapsed < maxTimeMs) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpuStart);
  return {
    name,
    iterations,
    totalMs: elapsed,
    usPerOp: (elapsed * 1000) / iterations,
    cpuUsPerOp: (cpu.user + cpu.system) / iterations,
  };
}

/** Formats a number with a fixed number of significant-looking decimals for the table. */
export function formatNumber(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Prints rows as an aligned plain-text table (first column left-aligned, the rest right). */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/**
 * Prints measurements with CPU and wall µs/op, ops/s (CPU) and the CPU cost as a multiple of
 * `baseline` (a measurement in the same run, e.g. one variable-base point multiplication).
 */
export function printMeasurements(
  title: string,
  measurements: readonly Measurement[],
  baseline: Measurement,
  notes: readonly string[] = [],
): void {
  printTable(
    title,
    ['operation', 'iterations', 'µs/op (cpu)', 'µs/op (wall)', 'ops/s (cpu)', `× ${baseline.name}`],
    measurements.map((m) => [
      m.name,
      String(m.iterations),
      formatNumber(m.cpuUsPerOp),
      formatNumber(m.usPerOp),
      formatNumber(1e6 / m.cpuUsPerOp),
      formatNumber(m.cpuUsPerOp / baseline.cpuUsPerOp),
    ]),
  );
  for (const note of notes) console.log(`  ${note}`);
}
