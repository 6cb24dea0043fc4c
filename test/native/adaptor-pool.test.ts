// src/native/adaptor-pool.ts: the worker pool gives the same bytes and verdicts as the calling
// thread, in job order, on both backends; errors come back with their type; a closed pool
// refuses work.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { adaptorEncrypt, adaptorVerify } from '../../src/crypto/ecdsa-adaptor.ts';
import type { AdaptorSigningItem } from '../../src/dlc/adaptor-set.ts';
import {
  adaptorRunner,
  AdaptorWorkerPool,
  createAdaptorSignaturesParallel,
  verifyAdaptorSignaturesParallel,
  type EncryptJob,
} from '../../src/native/adaptor-pool.ts';
import type { AdaptorBackendName } from '../../src/native/ecdsa-adaptor.ts';
import { skipNative } from './native-backend.ts';

const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
const pub = (secret: Uint8Array): Uint8Array => secp256k1.getPublicKey(secret, true);

const x = be32(0xc0ffeen);
const X = pub(x);
/** 40 CETs: enough for several chunks per worker (chunks are ≥ 8 jobs). */
const jobs: EncryptJob[] = Array.from({ length: 40 }, (_, i) => ({
  encryptionKey: pub(be32(BigInt(1_000 + i))),
  msgHash: be32(BigInt(31 * i + 7)),
  auxRand: new Uint8Array(32).fill(i),
}));
const reference = jobs.map((j) => adaptorEncrypt(x, j.encryptionKey, j.msgHash, j.auxRand));

const backends: AdaptorBackendName[] = skipNative ? ['noble'] : ['native', 'noble'];

describe.each(backends)('worker pool, %s backend', (backend) => {
  const pool = new AdaptorWorkerPool({ size: 2, backend });
  afterAll(() => pool.close());

  it('creates the same signatures as the calling thread, in job order', async () => {
    expect(pool.backend).toBe(backend);
    expect(await pool.createAdaptorSignatures(x, jobs)).toEqual(reference);
  });

  it('verifies every job, and rejects exactly the tampered ones', async () => {
    const tampered = new Set([0, 9, 17, 39]);
    const verifyJobs = jobs.map((j, i) => {
      const adaptorSig = reference[i]!.slice();
      if (tampered.has(i)) adaptorSig[100] = adaptorSig[100]! ^ 0x40;
      return { adaptorSig, encryptionKey: j.encryptionKey, msgHash: j.msgHash };
    });
    const expected = verifyJobs.map((j) =>
      adaptorVerify(j.adaptorSig, X, j.encryptionKey, j.msgHash),
    );
    expect(expected.filter((ok) => !ok)).toHaveLength(tampered.size);
    expect(await pool.verifyAdaptorSignatures(X, verifyJobs)).toEqual(expected);
    // under another signer key nothing verifies
    expect(await pool.verifyAdaptorSignatures(pub(be32(2n)), verifyJobs)).toEqual(
      verifyJobs.map(() => false),
    );
  });

  it('draws aux randomness when a job has none: valid, and different each time', async () => {
    const bare = jobs.slice(0, 3).map(({ encryptionKey, msgHash }) => ({ encryptionKey, msgHash }));
    const [a, b] = [
      await pool.createAdaptorSignatures(x, bare),
      await pool.createAdaptorSignatures(x, bare),
    ];
    a.forEach((sig, i) =>
      expect(adaptorVerify(sig, X, bare[i]!.encryptionKey, bare[i]!.msgHash)).toBe(true),
    );
    expect(a[0]).not.toEqual(b[0]);
  });

  it('reports progress per chunk, ending at the total', async () => {
    const seen: [number, number][] = [];
    await pool.createAdaptorSignatures(x, jobs, (done, total) => seen.push([done, total]));
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every(([, total]) => total === jobs.length)).toBe(true);
    expect(seen.map(([done]) => done)).toEqual(
      [...seen.map(([done]) => done)].sort((a, b) => a - b),
    );
    expect(seen.at(-1)).toEqual([jobs.length, jobs.length]);
  });

  it('an empty list gives an empty result', async () => {
    expect(await pool.createAdaptorSignatures(x, [])).toEqual([]);
    expect(await pool.verifyAdaptorSignatures(X, [])).toEqual([]);
  });

  it('argument errors come back with their type, and the pool stays usable', async () => {
    await expect(pool.createAdaptorSignatures(new Uint8Array(32), jobs)).rejects.toThrow(
      RangeError,
    );
    await expect(
      pool.verifyAdaptorSignatures(X, [{ ...jobs[0]!, adaptorSig: new Uint8Array(5) }]),
    ).rejects.toThrow(RangeError);
    expect(await pool.createAdaptorSignatures(x, jobs.slice(0, 2))).toEqual(reference.slice(0, 2));
  });
});

describe('pool lifecycle and the shared pool', () => {
  it('a closed pool refuses work', async () => {
    const pool = new AdaptorWorkerPool({ size: 1 });
    expect(await pool.createAdaptorSignatures(x, jobs.slice(0, 1))).toEqual(reference.slice(0, 1));
    await pool.close();
    expect(pool.isClosed()).toBe(true);
    await expect(pool.createAdaptorSignatures(x, jobs.slice(0, 1))).rejects.toThrow(/closed/);
  });

  it('closing rejects the calls in flight and queued', async () => {
    const pool = new AdaptorWorkerPool({ size: 1 });
    const pending = pool.createAdaptorSignatures(x, jobs); // several chunks: one runs, others queue
    const closing = pool.close();
    await expect(pending).rejects.toThrow(/closed/);
    await closing;
  });

  it('a worker that dies fails the calls in flight and closes the pool', async () => {
    const pool = new AdaptorWorkerPool({ size: 1 });
    const pending = pool.createAdaptorSignatures(x, jobs);
    // reach into the pool to kill its worker, as a crash would
    const { workers } = pool as unknown as { workers: { worker: Worker }[] };
    expect(workers).toHaveLength(1);
    await workers[0]!.worker.terminate();
    await expect(pending).rejects.toThrow(/exited/);
    expect(pool.isClosed()).toBe(true);
    await expect(pool.createAdaptorSignatures(x, jobs.slice(0, 1))).rejects.toThrow(/exited/);
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => new AdaptorWorkerPool({ size: 0 })).toThrow(RangeError);
    expect(() => new AdaptorWorkerPool({ size: 1.5 })).toThrow(RangeError);
  });

  it('the convenience functions use the shared pool and match the reference', async () => {
    const sigs = await createAdaptorSignaturesParallel(x, jobs);
    expect(sigs).toEqual(reference);
    const ok = await verifyAdaptorSignaturesParallel(
      X,
      jobs.map((j, i) => ({
        adaptorSig: sigs[i]!,
        encryptionKey: j.encryptionKey,
        msgHash: j.msgHash,
      })),
    );
    expect(ok.every(Boolean)).toBe(true);
  });
});

describe('the calling thread takes part (createShared, verifyShared, adaptorRunner)', () => {
  const items: AdaptorSigningItem[] = jobs.map((j) => ({
    point: j.encryptionKey,
    sighash: j.msgHash,
  }));

  it('a fresh pool: same signatures and verdicts, whether or not a worker has started yet', async () => {
    const pool = new AdaptorWorkerPool({ size: 2 });
    try {
      expect(await pool.createShared(x, jobs)).toEqual(reference);
      const verifyJobs = jobs.map((j, i) => ({
        adaptorSig: reference[i]!,
        encryptionKey: j.encryptionKey,
        msgHash: j.msgHash,
      }));
      const progress: number[] = [];
      const ok = await pool.verifyShared(X, verifyJobs, (done) => progress.push(done));
      expect(ok).toEqual(jobs.map(() => true));
      expect(progress.at(-1)).toBe(jobs.length);
      pool.warm();
      expect(await pool.createShared(x, jobs)).toEqual(reference); // started workers too
    } finally {
      await pool.close();
    }
  });

  it('adaptorRunner: valid set passes; a tampered, short or malformed set fails at its index', async () => {
    const pool = new AdaptorWorkerPool({ size: 2 });
    const runner = adaptorRunner({ pool, minSignatures: 8 });
    try {
      const sigs = await runner.create(x, items);
      expect(sigs).toHaveLength(items.length);
      await runner.assertValid(X, items, sigs);
      const tampered = sigs.map((s) => s.slice());
      tampered[23]![100] = tampered[23]![100]! ^ 0x40;
      tampered[31]![100] = tampered[31]![100]! ^ 0x40;
      await expect(runner.assertValid(X, items, tampered)).rejects.toMatchObject({
        name: 'InvalidCetAdaptorSignaturesError',
        index: 23,
      });
      await expect(runner.assertValid(X, items, sigs.slice(1))).rejects.toMatchObject({
        index: items.length,
        message: `expected ${items.length} CET adaptor signatures, got ${items.length - 1}`,
      });
      const malformed = sigs.slice();
      malformed[5] = malformed[5]!.subarray(1);
      await expect(runner.assertValid(X, items, malformed)).rejects.toMatchObject({ index: 5 });
      await expect(runner.assertValid(pub(be32(2n)), items, sigs)).rejects.toMatchObject({
        index: 0,
      });
    } finally {
      await pool.close();
    }
  });

  it('adaptorRunner: below the threshold the pool is not used at all', async () => {
    const pool = new AdaptorWorkerPool({ size: 1 });
    await pool.close(); // a closed pool would reject any work given to it
    const runner = adaptorRunner({ pool, minSignatures: 1_000 });
    const sigs = await runner.create(x, items);
    await runner.assertValid(X, items, sigs);
  });
});
