#!/usr/bin/env -S npx tsx
/**
 * Benchmark dispatcher: `npm run bench -- [name...]` (or `tsx scripts/bench.ts [name...]`) runs
 * the named modules of `scripts/bench/` in order, all of them when no name is given;
 * `--list` prints the available names. A module `scripts/bench/<name>.ts` is a benchmark when it
 * exports `bench` (see `scripts/bench/harness.ts`); adding one needs no change here.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench } from './bench/harness.ts';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), 'bench');

function isBench(value: unknown): value is Bench {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { run?: unknown }).run === 'function' &&
    typeof (value as { description?: unknown }).description === 'string'
  );
}

/** Every `scripts/bench/<name>.ts` that exports `bench`, by name, in alphabetical order. */
async function discover(): Promise<Map<string, Bench>> {
  const found = new Map<string, Bench>();
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { bench?: unknown };
    if (isBench(mod.bench)) found.set(basename(file, '.ts'), mod.bench);
  }
  return found;
}

async function main(argv: readonly string[]): Promise<number> {
  const benches = await discover();
  if (argv.includes('--list') || argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run bench -- [name...]   (all when no name is given)\n');
    for (const [name, b] of benches) console.log(`  ${name.padEnd(12)} ${b.description}`);
    return 0;
  }
  const names = argv.length > 0 ? [...argv] : [...benches.keys()];
  const unknown = names.filter((n) => !benches.has(n));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; available: ${[...benches.keys()].join(', ')}`,
    );
    return 2;
  }
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const name of names) {
    const b = benches.get(name)!;
    console.log(`\n=== ${name}: ${b.description}`);
    const start = performance.now();
    await b.run();
    console.log(`\n(${name} took ${((performance.now() - start) / 1000).toFixed(1)} s)`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
