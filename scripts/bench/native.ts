/**
 * Issue 10, target 1: the per-CET cost of DLC setup (create our adaptor signature + verify the
 * counterparty's) with the native libsecp256k1 backend (src/native), single-threaded and on the
 * worker pool, as a multiple of one native variable-base multiplication (`publicKeyTweakMul`)
 * measured in the same run; the pure-JS (noble) backend beside it.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { PREPARE_SIGNER_KEY_AFTER } from 'verdict/crypto';
import { AdaptorWorkerPool } from 'verdict/native';
import { ecdsaAdaptor, nativeEcdsaAdaptor } from 'verdict/native';
import type { Secp256k1Addon } from '../../src/native/secp256k1-addon.ts';
import { loadSecp256k1Addon } from '../../src/native/secp256k1-addon.ts';
import {
  formatNumber,
  measure,
  printMeasurements,
  printTable,
  type Bench,
  type Measurement,
} from './harness.ts';

const POOL = 16;
const CONTRACT_CETS = 1024;
const N = secp256k1.Point.Fn.ORDER;

const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
/** Deterministic, distinct test scalars in [1, n). */
const scalar = (label: string, i: number): bigint =>
  (BigInt('0x' + Buffer.from(sha256(Buffer.from(`${label}/${i}`))).toString('hex')) % (N - 1n)) +
  1n;

/** One party's side of a contract: its key, the counterparty's key and n CETs. */
function contract(n: number): {
  x: Uint8Array;
  counterpartyX: Uint8Array;
  counterpartyPub: Uint8Array;
  cets: { encryptionKey: Uint8Array; msgHash: Uint8Array; auxRand: Uint8Array }[];
} {
  return {
    x: be32(scalar('x', 0)),
    counterpartyX: be32(scalar('x', 1)),
    counterpartyPub: secp256k1.getPublicKey(be32(scalar('x', 1)), true),
    cets: Array.from({ length: n }, (_, i) => ({
      encryptionKey: secp256k1.getPublicKey(be32(scalar('adaptor point', i)), true),
      msgHash: sha256(Buffer.from(`cet sighash ${i}`)),
      auxRand: sha256(Buffer.from(`aux ${i}`)),
    })),
  };
}

/** Wall and process CPU time (all threads) of one async call, in ms. */
async function timeAsync(fn: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

function perOpRows(lib: Secp256k1Addon): { rows: Measurement[]; baseline: Measurement } {
  const G = secp256k1.Point.BASE;
  const points = Array.from({ length: POOL }, (_, i) => G.multiply(scalar('point', i)));
  const points33 = points.map((p) => p.toBytes(true));
  const points65 = points.map((p) => p.toBytes(false));
  const scalars = Array.from({ length: POOL }, (_, i) => scalar('tweak', i));
  const tweaks = scalars.map(be32);
  let i = 0;
  const next = (): number => (i = (i + 1) % POOL);
  const hashfn = (x: Uint8Array, y: Uint8Array): Uint8Array => {
    const out = new Uint8Array(65);
    out[0] = 4;
    out.set(x, 1);
    out.set(y, 33);
    return out;
  };
  const baseline = measure('native publicKeyTweakMul (33-byte in/out)', () =>
    lib.publicKeyTweakMul(points33[next()]!, tweaks[i]!, true),
  );
  const rows = [
    baseline,
    measure('native publicKeyTweakMul (65-byte in/out)', () =>
      lib.publicKeyTweakMul(points65[next()]!, tweaks[i]!, false),
    ),
    measure('native ecdh → point (constant-time P·k)', () =>
      lib.ecdh(points65[next()]!, tweaks[i]!, { hashfn }, new Uint8Array(65)),
    ),
    measure('native publicKeyCreate (k·G)', () => lib.publicKeyCreate(tweaks[next()]!, false)),
    measure('noble P·k (multiply)', () => points[next()]!.multiply(scalars[i]!), {
      maxTimeMs: 500,
    }),
    measure('noble P·k (multiplyUnsafe)', () => points[next()]!.multiplyUnsafe(scalars[i]!), {
      maxTimeMs: 500,
    }),
  ];
  return { rows, baseline };
}

async function run(): Promise<void> {
  const loaded = loadSecp256k1Addon();
  const native = nativeEcdsaAdaptor();
  if (!loaded.ok || !('adaptor' in native)) {
    console.log(
      `  ${loaded.ok ? 'native backend unavailable' : loaded.reason}; nothing to compare`,
    );
    return;
  }
  const { rows: opRows, baseline } = perOpRows(loaded.addon);

  // Per operation and per CET, single-threaded, both backends.
  const c = contract(POOL);
  const theirSigs = c.cets.map((j) =>
    ecdsaAdaptor('native').adaptorEncrypt(c.counterpartyX, j.encryptionKey, j.msgHash, j.auxRand),
  );
  let i = 0;
  const next = (): number => (i = (i + 1) % POOL);
  const schemeRows: Measurement[] = [];
  const perCet = new Map<string, Measurement>();
  for (const backend of ['native', 'noble'] as const) {
    const scheme = ecdsaAdaptor(backend);
    const options = backend === 'noble' ? { maxTimeMs: 1000 } : {};
    const verifier = scheme.adaptorVerifier(c.counterpartyPub);
    // Past the point where the verifier prepares the key (noble: ~50 ms of tables), so that no
    // measurement below includes it.
    for (let k = 0; k < PREPARE_SIGNER_KEY_AFTER; k++) {
      verifier(theirSigs[k % POOL]!, c.cets[k % POOL]!.encryptionKey, c.cets[k % POOL]!.msgHash);
    }
    const ok = (v: boolean): void => {
      if (!v) throw new Error('verify failed');
    };
    schemeRows.push(
      measure(
        `${backend} adaptorEncrypt`,
        () => scheme.adaptorEncrypt(c.x, c.cets[next()]!.encryptionKey, c.cets[i]!.msgHash),
        options,
      ),
      measure(
        `${backend} adaptorVerify`,
        () =>
          ok(
            scheme.adaptorVerify(
              theirSigs[next()]!,
              c.counterpartyPub,
              c.cets[i]!.encryptionKey,
              c.cets[i]!.msgHash,
            ),
          ),
        options,
      ),
      measure(
        `${backend} adaptorVerifier (prepared key)`,
        () => ok(verifier(theirSigs[next()]!, c.cets[i]!.encryptionKey, c.cets[i]!.msgHash)),
        options,
      ),
    );
    const cet = measure(
      `${backend} per CET: encrypt + verify (prepared key)`,
      () => {
        const j = c.cets[next()]!;
        scheme.adaptorEncrypt(c.x, j.encryptionKey, j.msgHash);
        ok(verifier(theirSigs[i]!, j.encryptionKey, j.msgHash));
      },
      options,
    );
    schemeRows.push(cet);
    perCet.set(backend, cet);
  }
  printMeasurements(
    'Point operations and ECDSA adaptor signatures, per operation (single thread, CPU time)',
    [...opRows, ...schemeRows],
    baseline,
    ['target (issue 10): per CET ≤ 14 × native publicKeyTweakMul'],
  );

  // A 1,024-CET contract: create ours + verify theirs, one thread vs the worker pool.
  const big = contract(CONTRACT_CETS);
  const bigTheirs = await (async () => {
    const p = new AdaptorWorkerPool();
    try {
      return await p.createAdaptorSignatures(big.counterpartyX, big.cets);
    } finally {
      await p.close();
    }
  })();
  const verifyJobs = big.cets.map((j, k) => ({ ...j, adaptorSig: bigTheirs[k]! }));
  const check = (oks: boolean[]): void => {
    if (!oks.every(Boolean)) throw new Error('verify failed');
  };
  const scheme = ecdsaAdaptor('native');
  const oneByOne = await timeAsync(() => {
    big.cets.forEach((j) => scheme.adaptorEncrypt(big.x, j.encryptionKey, j.msgHash));
    const verify = scheme.adaptorVerifier(big.counterpartyPub);
    check(verifyJobs.map((j) => verify(j.adaptorSig, j.encryptionKey, j.msgHash)));
    return Promise.resolve();
  });
  const batched = await timeAsync(() => {
    scheme.adaptorEncryptMany(big.x, big.cets);
    check(scheme.adaptorVerifyMany(big.counterpartyPub, verifyJobs));
    return Promise.resolve();
  });
  const pool = new AdaptorWorkerPool();
  const start = await timeAsync(() =>
    pool.createAdaptorSignatures(big.x, big.cets.slice(0, pool.size)),
  );
  const rows: string[][] = [];
  const row = (name: string, t: { wallMs: number; cpuMs: number }): void => {
    const wallUs = (t.wallMs * 1000) / CONTRACT_CETS;
    const cpuUs = (t.cpuMs * 1000) / CONTRACT_CETS;
    rows.push([
      name,
      formatNumber(t.wallMs),
      formatNumber(wallUs),
      formatNumber(cpuUs),
      formatNumber(wallUs / baseline.cpuUsPerOp),
      formatNumber(cpuUs / baseline.cpuUsPerOp),
    ]);
  };
  row('native, one thread, one call per CET', oneByOne);
  row('native, one thread, EncryptMany + VerifyMany', batched);
  try {
    for (let round = 0; round < 2; round++) {
      const t = await timeAsync(async () => {
        const [, oks] = await Promise.all([
          pool.createAdaptorSignatures(big.x, big.cets),
          pool.verifyAdaptorSignatures(big.counterpartyPub, verifyJobs),
        ]);
        check(oks);
      });
      row(`native, worker pool of ${pool.size} (warm, round ${round + 1})`, t);
    }
  } finally {
    await pool.close();
  }
  printTable(
    `${CONTRACT_CETS}-CET contract: create ${CONTRACT_CETS} + verify ${CONTRACT_CETS} adaptor signatures`,
    [
      'run',
      'ms (wall)',
      'µs/CET (wall)',
      'µs/CET (cpu, all threads)',
      'wall/CET × P·k',
      'cpu/CET × P·k',
    ],
    rows,
  );
  console.log(
    `  worker pool start-up (${pool.size} workers, first chunk): ${formatNumber(start.wallMs)} ms wall`,
  );
  const nativeCet = perCet.get('native')!;
  const nobleCet = perCet.get('noble')!;
  console.log(
    `  per CET single thread: native ${formatNumber(nativeCet.cpuUsPerOp / baseline.cpuUsPerOp)} × P·k, ` +
      `noble ${formatNumber(nobleCet.cpuUsPerOp / baseline.cpuUsPerOp)} × P·k ` +
      `(native ${formatNumber(nobleCet.cpuUsPerOp / nativeCet.cpuUsPerOp)}× faster than noble)`,
  );
}

export const bench: Bench = {
  description:
    'issue 10 target 1: per-CET adaptor create+verify, native libsecp256k1 vs noble, 1 thread and worker pool',
  run,
};
