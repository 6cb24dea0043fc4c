#!/usr/bin/env -S npx tsx
/**
 * `verdict <group> <command> [...]`: a thin dispatcher. Each group is a module
 * `scripts/cli/<group>.ts` exporting `run(argv, io?)` (or `run<Group>`) that resolves to an exit
 * code, and optionally `usage` (or `<GROUP>_USAGE`); adding a group needs no change here.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), 'cli');
const NOT_GROUPS = new Set(['common']);

type Runner = (argv: readonly string[]) => Promise<number> | number;

function groups(): string[] {
  return readdirSync(cliDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .filter((g) => !NOT_GROUPS.has(g))
    .sort();
}

function usage(): string {
  return [
    'usage: verdict <group> <command> [options]',
    '',
    `groups: ${groups().join(', ')}`,
    'Run "verdict <group> --help" for the commands of a group.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    console.log(usage());
    return group === undefined ? 2 : 0;
  }
  const file = join(cliDir, `${group}.ts`);
  if (!/^[a-z][a-z0-9-]*$/.test(group) || NOT_GROUPS.has(group) || !existsSync(file)) {
    console.error(`verdict: unknown group "${group}"\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const cap = group.replace(/(^|-)([a-z])/g, (_, _d: string, c: string) => c.toUpperCase());
  const run = (mod['run'] ?? mod[`run${cap}`]) as Runner | undefined;
  if (typeof run !== 'function') {
    console.error(`verdict: scripts/cli/${group}.ts exports no run function`);
    return 1;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`verdict: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
