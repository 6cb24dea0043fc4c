import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

/**
 * Every kind of vector file (the vectors README's sections), by where its files live and how they
 * are named. A test takes all the files of its kind ({@link vectorFiles}), so a file added beside
 * the others (e.g. `dlcspecs/test/dlc_schnorr_test_more.json`) adds cases without a code change.
 * `test/helpers/vectors.test.ts` fails on a JSON file that no kind claims.
 */
export const VECTOR_KINDS = {
  /** dlcspecs ECDSA adaptor entries `{kind: verification|recovery|serialization}`. */
  'ecdsa-adaptor-spec': /^dlcspecs\/test\/ecdsa_adaptor[^/]*\.json$/,
  /** secp256k1-zkp transcription `{vectors[]{id, expect}}`. */
  'ecdsa-adaptor-zkp': /^secp256k1-zkp\/ecdsa_adaptor[^/]*\.json$/,
  schnorr: /^dlcspecs\/test\/dlc_schnorr_test[^/]*\.json$/,
  'nfc-hash': /^dlcspecs\/test\/dlc_hash_test[^/]*\.json$/,
  'contract-id': /^dlcspecs\/test\/contract_id_test[^/]*\.json$/,
  fee: /^dlcspecs\/test\/dlc_fee_test(?!_scripts)[^/]*\.json$/,
  'tx-gen-a': /^dlcspecs\/test\/dlc_tx_test[^/]*\.json$/,
  'full-gen-a': /^dlcspecs\/test\/dlc_test[^/]*\.json$/,
  'protocol-v1': /^dlcspecs\/test\/test_vectors\/[^/]+\.json$/,
  /** One per protocol-v1 vector, same file name (read beside its vector). */
  'protocol-v1-layout': /^derived\/protocol_v1_layout\/[^/]+\.json$/,
  'oracle-messages': /^node-dlc\/oracle_message_test_vectors[^/]*\.json$/,
  'messages-2021': /^node-dlc\/dlc_message_test[^/]*\.json$/,
  'oracle-examples': /^derived\/oracle_examples[^/]*\.json$/,
  'digit-decomposition': /^rust-dlc\/digit_decomposition_cases[^/]*\.json$/,
  'payout-curve': /^rust-dlc\/payout_curve_cases[^/]*\.json$/,
} as const;
export type VectorKind = keyof typeof VECTOR_KINDS;

/**
 * Files the README describes and no test runs, with the reason: they are data for formats Verdict
 * does not implement (the 2020 TLV messages, the unmerged oracle-v1 draft) or helper data.
 */
export const VECTORS_NOT_RUN: readonly { pattern: RegExp; why: string }[] = [
  {
    pattern: /^dlcspecs\/test\/dlc_message_test\.json$/,
    why: '2020 (generation A) TLV encodings; Verdict reads only protocol version 1',
  },
  {
    pattern: /^dlcspecs\/test\/dlc_fee_test_scripts\.json$/,
    why: 'example scripts for the fee lengths; the fee test takes lengths',
  },
  {
    pattern: /^dlcspecs\/proposals\/pr167-oracle-v1\//,
    why: 'unmerged oracle-v1 draft (PR #167); Verdict implements the merged oracle messages',
  },
];

/** Every `.json` file below `dir`, as `/`-separated paths relative to it, sorted. */
export function allVectorFiles(dir: string = vectorsDir): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && e.name.endsWith('.json'))
        out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** The files of one kind below `dir` (default {@link vectorsDir}), sorted; throws if there are none. */
export function vectorFiles(kind: VectorKind, dir: string = vectorsDir): string[] {
  const files = allVectorFiles(dir).filter((f) => VECTOR_KINDS[kind].test(f));
  if (files.length === 0) throw new Error(`no ${kind} vector files below ${dir}`);
  return files;
}

/** Each file of a kind, parsed losslessly. */
export function loadVectorFiles<T = unknown>(kind: VectorKind): { file: string; data: T }[] {
  return vectorFiles(kind).map((file) => ({ file, data: loadVector<T>(file) }));
}

/**
 * The entries of every file of a kind, in file order: the file's top-level list, or its list
 * under `key`. Each entry carries its file and index, for test names.
 */
export function loadVectorEntries<T>(
  kind: VectorKind,
  key?: string,
): { file: string; index: number; entry: T; name: string }[] {
  return loadVectorFiles<unknown>(kind).flatMap(({ file, data }) => {
    const list = key === undefined ? data : (data as Record<string, unknown>)[key];
    if (!Array.isArray(list))
      throw new Error(`${file}: expected a list${key ? ` under "${key}"` : ''}`);
    return (list as T[]).map((entry, index) => ({ file, index, entry, name: `${file} #${index}` }));
  });
}
