import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allVectorFiles,
  big,
  parseLosslessJson,
  VECTOR_KINDS,
  vectorFiles,
  VECTORS_NOT_RUN,
  vectorsDir,
  type VectorKind,
} from './vectors.ts';

describe('lossless vector JSON', () => {
  it('keeps integers above 2^53 exact', () => {
    const parsed = parseLosslessJson('{"a": 18446744073709551615, "b": 7, "c": 1.5}') as Record<
      string,
      unknown
    >;
    expect(parsed['a']).toBe(18446744073709551615n);
    expect(parsed['b']).toBe(7);
    expect(parsed['c']).toBe(1.5);
    expect(big(parsed['b'])).toBe(7n);
  });
});

const kinds = Object.keys(VECTOR_KINDS) as VectorKind[];
const kindsOf = (file: string): string[] => [
  ...kinds.filter((k) => VECTOR_KINDS[k].test(file)),
  ...VECTORS_NOT_RUN.filter((n) => n.pattern.test(file)).map((n) => `not run: ${n.why}`),
];

describe(`vector discovery (${vectorsDir})`, () => {
  it('every JSON file below the vectors folder is of exactly one kind (or listed as not run)', () => {
    const files = allVectorFiles();
    expect(files.length).toBeGreaterThan(50);
    const unclaimed = files.filter((f) => kindsOf(f).length === 0);
    const twice = files.filter((f) => kindsOf(f).length > 1);
    expect(unclaimed, 'add a kind to VECTOR_KINDS in test/helpers/vectors.ts').toEqual([]);
    expect(twice).toEqual([]);
  });

  it.each(kinds)('%s has files', (kind) => {
    expect(vectorFiles(kind).length).toBeGreaterThan(0);
  });

  it('every protocol-v1 vector has its derived layout, and every layout its vector', () => {
    const base = (f: string) => f.replace(/^.*\//, '');
    expect(vectorFiles('protocol-v1-layout').map(base)).toEqual(
      vectorFiles('protocol-v1').map(base),
    );
  });

  it('a file added beside the others of its kind is discovered (in a copy of the folder)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-vectors-'));
    try {
      cpSync(vectorsDir, dir, { recursive: true });
      const added = {
        schnorr: 'dlcspecs/test/dlc_schnorr_test_more.json',
        'ecdsa-adaptor-spec': 'dlcspecs/test/ecdsa_adaptor_more.json',
        'payout-curve': 'rust-dlc/payout_curve_cases_more.json',
        'protocol-v1': 'dlcspecs/test/test_vectors/new_contract_test.json',
      } as const;
      for (const [kind, file] of Object.entries(added) as [VectorKind, string][]) {
        const before = vectorFiles(kind, dir);
        writeFileSync(join(dir, file), '[]');
        expect(vectorFiles(kind, dir)).toEqual([...before, file].sort());
        expect(kindsOf(file)).toEqual([kind]);
      }
      // A file of no known kind is reported by the first test above.
      writeFileSync(join(dir, 'dlcspecs/test/something_else.json'), '[]');
      expect(kindsOf('dlcspecs/test/something_else.json')).toEqual([]);
      expect(allVectorFiles(dir)).toContain('dlcspecs/test/something_else.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
