/**
 * ECDSA adaptor signature micro-benchmark: the per-operation cost of src/crypto/ecdsa-adaptor.ts,
 * next to the cost of one variable-base secp256k1 point multiplication measured in the same run
 * with the same library (@noble/curves), and with native libsecp256k1 (`secp256k1` addon,
 * `publicKeyTweakMul`) as the later performance target. Then the per-contract figures (issue 3):
 * for Verdict's share contract and for a 1,024-CET numeric contract, the number of CETs and
 * adaptor signatures, the time to compute the adaptor points and CETs, to create all adaptor
 * signatures and to verify a counterparty's set, and the cost per CET as a multiple of one
 * variable-base point multiplication (noble, same run; native libsecp256k1 for reference).
 */
import { createRequire } from 'node:module';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type * as NativeSecp256k1 from 'secp256k1';
import { adaptorDecrypt, adaptorEncrypt, adaptorRecover, adaptorVerify } from 'verdict/crypto';
import { createAnnouncement } from 'verdict/dlc';
import { adaptorSigningItems, createAdaptorSignatures, verifyAdaptorSignatures } from 'verdict/dlc';
import { buildContractCets, type ContractInfo } from 'verdict/dlc';
import type { NumericContractDescriptor } from 'verdict/dlc';
import { oracleKeysFromMnemonic } from 'verdict/crypto';
import { shareContractDescriptor } from 'verdict/dlc';
import { fundingScript } from 'verdict/dlc';
import {
  formatNumber,
  measure,
  printMeasurements,
  printTable,
  type Bench,
  type Measurement,
} from './harness.ts';

const POOL = 16;
const N = secp256k1.Point.Fn.ORDER;

/** Deterministic, distinct test scalars in [1, n). */
function scalar(label: string, i: number): bigint {
  return (
    (BigInt('0x' + Buffer.from(sha256(Buffer.from(`${label}/${i}`))).toString('hex')) % (N - 1n)) +
    1n
  );
}
const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);

/** The native addon itself (the package silently falls back to elliptic.js when it is not built). */
function loadNative(): typeof NativeSecp256k1 | string {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings.js') as typeof NativeSecp256k1;
  } catch (e) {
    return `native secp256k1 addon not built (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); try: npm rebuild secp256k1`;
  }
}

function run(): void {
  const G = secp256k1.Point.BASE;
  const signer = Array.from({ length: POOL }, (_, i) => be32(scalar('signer', i)));
  const deckeys = Array.from({ length: POOL }, (_, i) => be32(scalar('deckey', i)));
  const enckeys = deckeys.map((y) => secp256k1.getPublicKey(y, true));
  const msgs = Array.from({ length: POOL }, (_, i) => sha256(Buffer.from(`cet sighash ${i}`)));
  const pubkeys = signer.map((x) => secp256k1.getPublicKey(x, true));
  const points = Array.from({ length: POOL }, (_, i) => G.multiply(scalar('point', i)));
  const scalars = Array.from({ length: POOL }, (_, i) => scalar('tweak', i));
  const sigs = signer.map((x, i) => adaptorEncrypt(x, enckeys[i]!, msgs[i]!));
  const decrypted = sigs.map((a, i) => adaptorDecrypt(a, deckeys[i]!));
  let i = 0;
  const next = (): number => (i = (i + 1) % POOL);

  const mulNoble = measure('noble P·k', () => points[next()]!.multiply(scalars[i]!));
  const rows: Measurement[] = [
    mulNoble,
    measure('noble P·k (multiplyUnsafe, public k)', () =>
      points[next()]!.multiplyUnsafe(scalars[i]!),
    ),
    measure('noble point decompression (fromBytes)', () =>
      secp256k1.Point.fromBytes(enckeys[next()]!),
    ),
  ];
  const notes: string[] = [];
  let nativeMul: Measurement | undefined;
  const native = loadNative();
  if (typeof native === 'string') {
    notes.push(native);
  } else {
    const tweaks = scalars.map(be32);
    nativeMul = measure('native publicKeyTweakMul (33-byte in/out)', () =>
      native.publicKeyTweakMul(enckeys[next()]!, tweaks[i]!, true),
    );
    rows.push(nativeMul);
    notes.push(
      `native libsecp256k1 P·k is ${(mulNoble.cpuUsPerOp / nativeMul.cpuUsPerOp).toFixed(1)}× faster than noble P·k (CPU time)`,
    );
  }
  const aux = new Uint8Array(32).fill(7);
  rows.push(
    measure('adaptorEncrypt', () => adaptorEncrypt(signer[next()]!, enckeys[i]!, msgs[i]!, aux)),
    measure('adaptorVerify', () => {
      if (!adaptorVerify(sigs[next()]!, pubkeys[i]!, enckeys[i]!, msgs[i]!))
        throw new Error('verify failed');
    }),
    measure('adaptorDecrypt', () => adaptorDecrypt(sigs[next()]!, deckeys[i]!)),
    measure('adaptorRecover', () => adaptorRecover(sigs[next()]!, decrypted[i]!, enckeys[i]!)),
  );
  printMeasurements(
    'ECDSA adaptor signatures, per operation (@noble/curves backend)',
    rows,
    mulNoble,
    notes,
  );
  contracts(mulNoble, nativeMul);
}

// ---------------------------------------------------------------------------------------------
// Whole contracts

/** A fixed test mnemonic (BIP39 "abandon … art"): the oracle of the benchmark contracts. */
const ORACLE_MNEMONIC = `${'abandon '.repeat(23)}art`;
const SHARE_AMOUNT_SAT = 1_000_000n;
/** 10 binary digits, payout = 1,000 sat × outcome, rounding modulus 1: every outcome its own CET. */
const BIG_NB_DIGITS = 10;
const BIG_STEP_SAT = 1_000n;

/** Wall and CPU milliseconds of one call. */
function timeOnce<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

function bigNumericDescriptor(): NumericContractDescriptor {
  const max = 2n ** BigInt(BIG_NB_DIGITS) - 1n;
  return {
    kind: 'numeric',
    nbDigits: BIG_NB_DIGITS,
    payoutFunction: {
      payoutFunctionPieces: [
        {
          kind: 'polynomial',
          payoutPoints: [
            { eventOutcome: 0n, outcomePayout: 0n, extraPrecision: 0 },
            { eventOutcome: max, outcomePayout: max * BIG_STEP_SAT, extraPrecision: 0 },
          ],
        },
      ],
    },
    roundingIntervals: [{ beginInterval: 0n, roundingMod: 1n }],
  };
}

function contracts(mulNoble: Measurement, nativeMul: Measurement | undefined): void {
  const oracle = oracleKeysFromMnemonic(ORACLE_MNEMONIC);
  const digitsEvent = (eventId: string, nbDigits: number) =>
    createAnnouncement(oracle, {
      eventId,
      maturityEpochSec: 1_790_000_000,
      descriptor: { kind: 'digits', base: 2, isSigned: false, unit: 'u', precision: 0, nbDigits },
    });
  const bigTotal = (2n ** BigInt(BIG_NB_DIGITS) - 1n) * BIG_STEP_SAT;
  const cases: { name: string; info: ContractInfo }[] = [
    {
      name: `share contract (${SHARE_AMOUNT_SAT} sat, 7 binary digits)`,
      info: {
        kind: 'single',
        totalCollateral: SHARE_AMOUNT_SAT,
        parts: [
          {
            descriptor: shareContractDescriptor(SHARE_AMOUNT_SAT, true),
            oracleInfo: { kind: 'single', announcement: digitsEvent('bench/share', 7) },
          },
        ],
      },
    },
    {
      name: `numeric, ${BIG_NB_DIGITS} binary digits, ${BIG_STEP_SAT} sat per outcome`,
      info: {
        kind: 'single',
        totalCollateral: bigTotal,
        parts: [
          {
            descriptor: bigNumericDescriptor(),
            oracleInfo: { kind: 'single', announcement: digitsEvent('bench/big', BIG_NB_DIGITS) },
          },
        ],
      },
    },
  ];
  const sk = be32(scalar('funding', 0));
  const counterpartySk = be32(scalar('funding', 1));
  const pk = secp256k1.getPublicKey(sk, true);
  const script = fundingScript(pk, secp256k1.getPublicKey(counterpartySk, true));
  const payoutSpk = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(1));
  const otherSpk = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(2));
  const rows: string[][] = [];
  for (const { name, info } of cases) {
    const built = timeOnce(() =>
      buildContractCets({
        contractInfo: info,
        convention: 'tagged',
        fundingTxid: '11'.repeat(32),
        fundOutputIndex: 0,
        fundOutputValue: info.totalCollateral + 2_000n,
        fundingScript: script,
        offerPayoutSpk: payoutSpk,
        acceptPayoutSpk: otherSpk,
        offerPayoutSerialId: 1n,
        acceptPayoutSerialId: 2n,
        cetLocktime: 1_790_000_000,
      }),
    );
    const items = adaptorSigningItems(built.value);
    const created = timeOnce(() => createAdaptorSignatures(sk, items));
    const verified = timeOnce(() => verifyAdaptorSignatures(pk, items, created.value));
    if (!verified.value.ok) throw new Error(`${name}: own adaptor signatures do not verify`);
    const n = items.length;
    const perSig = (ms: number): number => (ms * 1000) / n;
    const multiple = (ms: number): string => formatNumber(perSig(ms) / mulNoble.cpuUsPerOp);
    const nativeMultiple = (ms: number): string =>
      nativeMul === undefined ? 'n/a' : formatNumber(perSig(ms) / nativeMul.cpuUsPerOp);
    rows.push(
      [name, 'CETs / adaptor signatures', `${built.value.cets.length} / ${n}`, '', '', ''],
      [
        '',
        'adaptor points + CETs + sighashes',
        formatNumber(built.cpuMs),
        formatNumber(built.wallMs),
        formatNumber(perSig(built.cpuMs)),
        multiple(built.cpuMs),
      ],
      [
        '',
        'create all adaptor signatures',
        formatNumber(created.cpuMs),
        formatNumber(created.wallMs),
        formatNumber(perSig(created.cpuMs)),
        `${multiple(created.cpuMs)} (native: ${nativeMultiple(created.cpuMs)})`,
      ],
      [
        '',
        'verify a counterparty’s set',
        formatNumber(verified.cpuMs),
        formatNumber(verified.wallMs),
        formatNumber(perSig(verified.cpuMs)),
        `${multiple(verified.cpuMs)} (native: ${nativeMultiple(verified.cpuMs)})`,
      ],
    );
  }
  printTable(
    'Whole contracts (one run each; per CET = per adaptor signature, single oracle)',
    ['contract', 'step', 'ms (cpu)', 'ms (wall)', 'µs per CET (cpu)', `× ${mulNoble.name}`],
    rows,
  );
  console.log(
    `  one variable-base point multiplication in this run: noble ${formatNumber(mulNoble.cpuUsPerOp)} µs` +
      (nativeMul === undefined
        ? ''
        : `, native libsecp256k1 ${formatNumber(nativeMul.cpuUsPerOp)} µs (cpu)`),
  );
}

export const bench: Bench = {
  description:
    'ECDSA adaptor encrypt/verify/decrypt/recover vs one variable-base point multiplication',
  run,
};
