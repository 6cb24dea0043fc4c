import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSafeNumber, parse } from 'lossless-json';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

/**
 * Where the DLC vectors live. The project's copy of `shared/vectors` is committed under
 * `test/vectors/shared`; when the checkout sits beside a `shared/` folder (the team's layout, and
 * CI's), that one wins, so that vectors added there run without a copy step.
 * `VERDICT_VECTORS_DIR` overrides both.
 */
export const vectorsDir: string = (() => {
  const fromEnv = process.env['VERDICT_VECTORS_DIR'];
  if (fromEnv) return resolve(fromEnv);
  const beside = resolve(repoRoot, '..', 'shared', 'vectors');
  if (existsSync(join(beside, 'README.md'))) return beside;
  return join(repoRoot, 'test', 'vectors', 'shared');
})();

/** Our own vector data (BIP340 etc.), always the committed copy. */
export const ownVectorsDir: string = join(repoRoot, 'test', 'vectors');

/**
 * Parses JSON losslessly: integers outside the safe range become `bigint` (serial ids exceed
 * 2^53), every other number stays a `number`.
 */
export function parseLosslessJson(text: string): unknown {
  return parse(text, null, (value: string) => {
    if (isSafeNumber(value)) return Number(value);
    if (/^-?\d+$/.test(value)) return BigInt(value);
    return Number(value);
  });
}

/** Reads a vector file below {@link vectorsDir}, losslessly. */
export function loadVector<T = unknown>(relativePath: string): T {
  return parseLosslessJson(readFileSync(join(vectorsDir, relativePath), 'utf8')) as T;
}

/** Reads a vector file below `test/vectors/` (our own data), losslessly. */
export function loadOwnVector<T = unknown>(relativePath: string): T {
  return parseLosslessJson(readFileSync(join(ownVectorsDir, relativePath), 'utf8')) as T;
}

/** A JSON integer from a vector as `bigint`, whatever form the parser gave it. */
export function big(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new TypeError(`not an integer: ${String(value)}`);
}
