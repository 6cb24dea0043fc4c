/**
 * Issue 10, targets 1 and 2: what DLC setup costs with the adaptor scheme users get on Node.js
 * (`src/native` `ecdsaAdaptor()`: native libsecp256k1 when the addon loads).
 *
 * (a) Per-CET setup cost (create this party's adaptor signatures + verify the counterparty's) of
 *     a 2-of-3 multi-oracle share contract (three Verdict oracles from fresh mnemonics, share
 *     events of 7 binary digits; C(3,2) = 3 oracle subsets, so ≈ 3 adaptor signatures per CET),
 *     single-threaded through `src/dlc/adaptor-set.ts` and on the worker pool, as a multiple of
 *     one native `publicKeyTweakMul` measured in the same run.
 * (b) End-to-end setup of the 1,024-CET numeric contract (10 binary digits, 1,000 sat per
 *     outcome, as in `adaptor.ts`) on an in-process devnet: offer → accept → sign → finalize
 *     with `src/dlc/protocol.ts` (both parties' full validation, messages encoded and decoded,
 *     funding inputs looked up on the chain), the funding transaction broadcast and mined, with
 *     the time of each phase and the part of it spent in adaptor signatures.
 */
import { availableParallelism, loadavg } from 'node:os';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { p2wpkh } from '@scure/btc-signer';
import { nobleEcdsaAdaptor, type EcdsaAdaptor } from 'verdict/crypto';
import { generateOracleMnemonic, oracleKeysFromMnemonic } from 'verdict/crypto';
import { devnetFaucet, REGTEST_NETWORK, startDevnet } from '../../src/chain/devnet/index.ts';
import type { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import {
  adaptorSigningItems,
  createAdaptorSignatures,
  verifyAdaptorSignatures,
  type AdaptorRunner,
} from '../../src/dlc/adaptor-set.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import {
  buildContractCets,
  type ContractCets,
  type ContractInfo,
  type LayoutPointOps,
} from '../../src/dlc/contract.ts';
import type { NumericContractDescriptor } from '../../src/dlc/contract-descriptor.ts';
import type { FundingInput } from '../../src/dlc/funding-input.ts';
import {
  decodeAcceptDlc,
  decodeOfferDlc,
  decodeSignDlc,
  encodeAcceptDlc,
  encodeOfferDlc,
  encodeSignDlc,
} from 'verdict/dlc';
import {
  acceptOffer,
  acceptOfferAsync,
  clearDerivedContracts,
  createOffer,
  finalizeSign,
  finalizeSignAsync,
  fundingInputOutpoints,
  outpointKey,
  signAccept,
  signAcceptAsync,
  type DlcTerms,
  type PartySide,
  type UtxoInfo,
} from '../../src/dlc/protocol.ts';
import { shareContractDescriptor } from '../../src/dlc/share-contract.ts';
import { fundingScript } from '../../src/dlc/transactions.ts';
import {
  AdaptorWorkerPool,
  adaptorRunner,
  POOL_MIN_SIGNATURES,
  sharedAdaptorPool,
} from '../../src/native/adaptor-pool.ts';
import { layoutPointOps } from '../../src/native/layout-points.ts';
import { adaptorBackend, ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import { loadSecp256k1Addon } from '../../src/native/secp256k1-addon.ts';
import { P2WPKH_MAX_WITNESS_LEN } from 'verdict/party';
import { formatNumber, measure, printTable, type Bench, type Measurement } from './harness.ts';

const N = secp256k1.Point.Fn.ORDER;
const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
/** Deterministic, distinct test scalars in [1, n). */
const scalar = (label: string, i: number): bigint =>
  (BigInt('0x' + bytesToHex(sha256(new TextEncoder().encode(`${label}/${i}`)))) % (N - 1n)) + 1n;

const SHARE_AMOUNT_SAT = 1_000_000n;
const SHARE_DIGITS = 7;
const BIG_NB_DIGITS = 10;
const BIG_STEP_SAT = 1_000n;
const MATURITY_EPOCH_SEC = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;

interface Timed {
  wallMs: number;
  /** Process CPU (user + system, all threads), ms. */
  cpuMs: number;
}

async function timeAsync<T>(fn: () => T | Promise<T>): Promise<Timed & { value: T }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** The machine's load average, for reading the figures (the machines are shared). */
const loadNote = (): string => {
  const [one = 0, five = 0] = loadavg();
  return `load average ${one.toFixed(1)} (1 min), ${five.toFixed(1)} (5 min), ${availableParallelism()} cores`;
};

function digitsAnnouncement(mnemonic: string, eventId: string, nbDigits: number) {
  return createAnnouncement(oracleKeysFromMnemonic(mnemonic), {
    eventId,
    maturityEpochSec: MATURITY_EPOCH_SEC,
    descriptor: { kind: 'digits', base: 2, isSigned: false, unit: 'u', precision: 0, nbDigits },
  });
}

// ---------------------------------------------------------------------------------------------
// (a) 2-of-3 multi-oracle share contract: per-CET adaptor cost

/**
 * The 2-of-3 share contract's info: three Verdict oracles from fresh mnemonics, each announcing a
 * share event (7 binary digits), Verdict's share payout curve over 1,000,000 sat.
 */
export function multiOracleShareContractInfo(): ContractInfo {
  const announcements = [0, 1, 2].map((i) =>
    digitsAnnouncement(generateOracleMnemonic(), `bench/share-2of3/${i}`, SHARE_DIGITS),
  );
  return {
    kind: 'single',
    totalCollateral: SHARE_AMOUNT_SAT,
    parts: [
      {
        descriptor: shareContractDescriptor(SHARE_AMOUNT_SAT, true),
        oracleInfo: { kind: 'multi', threshold: 2, announcements },
      },
    ],
  };
}

/** The CETs of `info` between two funding keys (a placeholder funding txid). */
export function benchContractCets(
  info: ContractInfo,
  offerFundingPubkey: Uint8Array,
  acceptFundingPubkey: Uint8Array,
  points?: LayoutPointOps<unknown>,
): ContractCets {
  return buildContractCets({
    ...(points === undefined ? {} : { points }),
    contractInfo: info,
    convention: 'tagged',
    fundingTxid: '11'.repeat(32),
    fundOutputIndex: 0,
    fundOutputValue: info.totalCollateral + 2_000n,
    fundingScript: fundingScript(offerFundingPubkey, acceptFundingPubkey),
    offerPayoutSpk: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(1)),
    acceptPayoutSpk: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(2)),
    offerPayoutSerialId: 1n,
    acceptPayoutSerialId: 2n,
    cetLocktime: 500_000_000,
  });
}

/** Figures for the summary of targets at the end of the run. */
const summary: { target: string; figure: string; baseline: string; met: boolean | null }[] = [];

async function multiOracleShare(baseline: Measurement): Promise<void> {
  const info = multiOracleShareContractInfo();
  const sk = be32(scalar('funding', 0));
  const counterpartySk = be32(scalar('funding', 1));
  const counterpartyPk = secp256k1.getPublicKey(counterpartySk, true);
  const build = (points: LayoutPointOps<unknown>) => () =>
    benchContractCets(info, secp256k1.getPublicKey(sk, true), counterpartyPk, points);
  const builtNoble = await timeAsync(build(layoutPointOps('noble')));
  await timeAsync(build(layoutPointOps('native'))); // warm-up
  const builds: (Timed & { value: ContractCets })[] = [];
  for (let round = 0; round < 3; round++) {
    builds.push(await timeAsync(build(layoutPointOps('native'))));
  }
  const built = builds[0]!;
  const buildCpuMs = Math.min(...builds.map((b) => b.cpuMs));
  const items = adaptorSigningItems(built.value);
  const cets = built.value.cets.length;
  const sigs = items.length;
  const native = ecdsaAdaptor('native');
  const theirs = createAdaptorSignatures(counterpartySk, items, undefined, native);

  const rows: string[][] = [];
  const row = (name: string, t: Timed): void => {
    const perSigCpu = (t.cpuMs * 1000) / sigs;
    const perSigWall = (t.wallMs * 1000) / sigs;
    rows.push([
      name,
      formatNumber(t.cpuMs),
      formatNumber(t.wallMs),
      formatNumber(perSigCpu / baseline.cpuUsPerOp),
      formatNumber(perSigWall / baseline.cpuUsPerOp),
      formatNumber((perSigCpu * sigs) / cets / baseline.cpuUsPerOp),
    ]);
  };
  const oneThread = (scheme: EcdsaAdaptor) => () => {
    createAdaptorSignatures(sk, items, undefined, scheme);
    const result = verifyAdaptorSignatures(counterpartyPk, items, theirs, undefined, scheme);
    if (!result.ok) throw new Error('counterparty set does not verify');
  };
  row('adaptor points + CETs + sighashes, noble points (before)', builtNoble);
  builds.forEach((b, i) =>
    row(`adaptor points + CETs + sighashes, native points, round ${i + 1}`, b),
  );
  await timeAsync(oneThread(native)); // warm-up
  const oneThreadCpu: number[] = [];
  for (let round = 1; round <= 3; round++) {
    const t = await timeAsync(oneThread(native));
    oneThreadCpu.push(t.cpuMs);
    row(`native, one thread (adaptor-set.ts), round ${round}`, t);
  }
  const perCetTx = (cpuMs: number): number => (cpuMs * 1000) / cets / baseline.cpuUsPerOp;
  const total = perCetTx(buildCpuMs + Math.min(...oneThreadCpu));
  const before = perCetTx(builtNoble.cpuMs + Math.min(...oneThreadCpu));
  summary.push({
    target:
      '2. 2-of-3 share contract, one thread, per CET tx (points + CETs + create + verify) ≤ 14 × P·k',
    figure:
      `${formatNumber(total)} × P·k (build ${formatNumber(perCetTx(buildCpuMs))}, ` +
      `adaptor sigs ${formatNumber(perCetTx(Math.min(...oneThreadCpu)))}; ` +
      `${formatNumber(sigs / cets)} sigs per CET)`,
    baseline: `P·k ${formatNumber(baseline.cpuUsPerOp)} µs; noble points: ${formatNumber(before)} × P·k`,
    met: total <= 14,
  });
  const pool = new AdaptorWorkerPool({ backend: 'native' });
  const encryptJobs = items.map((it) => ({ encryptionKey: it.point, msgHash: it.sighash }));
  const verifyJobs = encryptJobs.map((j, k) => ({ ...j, adaptorSig: theirs[k]! }));
  try {
    await pool.createAdaptorSignatures(sk, encryptJobs); // starts the workers
    for (let round = 1; round <= 3; round++) {
      const t = await timeAsync(async () => {
        const [, oks] = await Promise.all([
          pool.createAdaptorSignatures(sk, encryptJobs),
          pool.verifyAdaptorSignatures(counterpartyPk, verifyJobs),
        ]);
        if (!oks.every(Boolean)) throw new Error('counterparty set does not verify');
      });
      row(`native, worker pool of ${pool.size}, round ${round}`, t);
    }
  } finally {
    await pool.close();
  }
  row('pure JS (noble), one thread, once', await timeAsync(oneThread(nobleEcdsaAdaptor)));
  printTable(
    `2-of-3 multi-oracle share contract (${SHARE_AMOUNT_SAT} sat, 3 oracles × ${SHARE_DIGITS} binary digits): ` +
      `${cets} CETs, ${sigs} adaptor signatures per party (${formatNumber(sigs / cets)} per CET); ` +
      `create ours + verify theirs`,
    [
      'run',
      'ms (cpu)',
      'ms (wall)',
      'per sig × P·k (cpu)',
      'per sig × P·k (wall)',
      'per CET tx × P·k (cpu)',
    ],
    rows,
  );
  console.log(
    `  P·k = ${baseline.name}, ${formatNumber(baseline.cpuUsPerOp)} µs cpu, same run; ` +
      'target (issue 10): per CET (= per adaptor signature, BENCHMARKS.md convention) ≤ 14 × P·k. ' +
      'CPU of the pool rows is all threads of the process.',
  );
}

// ---------------------------------------------------------------------------------------------
// (b) End-to-end setup on devnet

/** Payout 1,000 sat × outcome over `nbDigits` binary digits, rounding 1: a CET per outcome. */
function numericDescriptor(nbDigits: number): NumericContractDescriptor {
  const max = 2n ** BigInt(nbDigits) - 1n;
  return {
    kind: 'numeric',
    nbDigits,
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

/** Wall and CPU ms spent inside the adaptor scheme's batch calls during one phase. */
export interface AdaptorTime {
  encryptMs: number;
  encryptCpuMs: number;
  verifyMs: number;
  verifyCpuMs: number;
}

/** `scheme` with the time of its batch calls added to `spent`. */
function timedScheme(scheme: EcdsaAdaptor, spent: AdaptorTime): EcdsaAdaptor {
  const timed = <T>(fn: () => T, add: (wallMs: number, cpuMs: number) => void): T => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const out = fn();
    const used = process.cpuUsage(cpu);
    add(performance.now() - start, (used.user + used.system) / 1000);
    return out;
  };
  return {
    ...scheme,
    adaptorEncryptMany: (secretKey, jobs) =>
      timed(
        () => scheme.adaptorEncryptMany(secretKey, jobs),
        (w, c) => {
          spent.encryptMs += w;
          spent.encryptCpuMs += c;
        },
      ),
    adaptorVerifyMany: (publicKey, jobs) =>
      timed(
        () => scheme.adaptorVerifyMany(publicKey, jobs),
        (w, c) => {
          spent.verifyMs += w;
          spent.verifyCpuMs += c;
        },
      ),
  };
}

/** `runner` with the time of its calls added to `spent` (CPU: the whole process, all threads). */
function timedRunner(runner: AdaptorRunner, spent: AdaptorTime): AdaptorRunner {
  const timed = async <T>(
    fn: () => Promise<T>,
    add: (wallMs: number, cpuMs: number) => void,
  ): Promise<T> => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    try {
      return await fn();
    } finally {
      const used = process.cpuUsage(cpu);
      add(performance.now() - start, (used.user + used.system) / 1000);
    }
  };
  return {
    create: (key, items, onProgress) =>
      timed(
        () => runner.create(key, items, onProgress),
        (w, c) => {
          spent.encryptMs += w;
          spent.encryptCpuMs += c;
        },
      ),
    assertValid: (pubkey, items, sigs, onProgress) =>
      timed(
        () => runner.assertValid(pubkey, items, sigs, onProgress),
        (w, c) => {
          spent.verifyMs += w;
          spent.verifyCpuMs += c;
        },
      ),
  };
}

/**
 * How the parties compute: the adaptor-point arithmetic, and where the adaptor signatures run
 * (`runner`: the `*Async` protocol functions, as `src/party` does; absent: the sync functions on
 * this thread with the scheme).
 */
export interface SetupMode {
  readonly points?: LayoutPointOps<unknown>;
  readonly runner?: AdaptorRunner;
}

/** One party: a funding key, a P2WPKH wallet key with one confirmed faucet coin. */
async function fundedSide(
  rpc: BitcoinRpcClient,
  label: string,
  amountSat: bigint,
  serial: bigint,
): Promise<PartySide> {
  const walletKey = be32(scalar(`${label} wallet`, Date.now()));
  const walletPub = secp256k1.getPublicKey(walletKey, true);
  const payment = p2wpkh(walletPub, REGTEST_NETWORK);
  const paid = await devnetFaucet(rpc, payment.address, amountSat, true);
  const input: FundingInput = {
    inputSerialId: serial,
    prevTx: await rpc.getRawTransaction(paid.txid),
    prevTxVout: paid.vout,
    sequence: 0xfffffffd,
    maxWitnessLen: P2WPKH_MAX_WITNESS_LEN,
    redeemScript: new Uint8Array(0),
  };
  const spk = (tag: string): Uint8Array =>
    p2wpkh(secp256k1.getPublicKey(be32(scalar(`${label} ${tag}`, 0)), true), REGTEST_NETWORK)
      .script;
  return {
    fundingSecretKey: be32(scalar(`${label} funding`, Date.now())),
    payoutSpk: spk('payout'),
    payoutSerialId: serial + 1n,
    changeSpk: spk('change'),
    changeSerialId: serial + 2n,
    inputs: [input],
    inputSecretKey: () => walletKey,
  };
}

async function utxoLookup(
  rpc: BitcoinRpcClient,
  inputs: readonly FundingInput[],
): Promise<Map<string, UtxoInfo>> {
  const out = new Map<string, UtxoInfo>();
  for (const { txid, vout } of fundingInputOutpoints(inputs)) {
    const o = await rpc.getTxOut(txid, vout, true);
    out.set(
      outpointKey(txid, vout),
      o === null ? null : { valueSat: o.valueSat, scriptPubKey: o.scriptPubKey },
    );
  }
  return out;
}

/** One phase of the end-to-end setup: its time and the part of it in adaptor signatures. */
export interface SetupPhase extends AdaptorTime {
  readonly name: string;
  readonly wallMs: number;
  readonly cpuMs: number;
}

/**
 * Sets up a numeric contract of `nbDigits` binary digits (1,000 sat per outcome, one CET per
 * outcome) between two parties funded by devnet's faucet: offer → accept → sign → finalize with
 * `src/dlc/protocol.ts` and `scheme`, then broadcasts the funding transaction and mines it.
 * Funding the parties is not part of the phases. Throws unless the funding confirms.
 */
export async function endToEndSetup(
  scheme: EcdsaAdaptor,
  nbDigits: number = BIG_NB_DIGITS,
  mode: SetupMode = {},
): Promise<{ phases: SetupPhase[]; fundingTxid: string; adaptorSignatures: number }> {
  const points = mode.points === undefined ? {} : { points: mode.points };
  // Both parties run in this process and would share protocol.ts's cache of derived contracts:
  // it is emptied before each party's first derivation, so each party builds its CETs once, as
  // two processes would (the accepter's finalize reuses what was built for the same contract).
  clearDerivedContracts();
  const devnet = await startDevnet();
  try {
    const rpc = devnet.rpc;
    const chainHash = hexToBytes(await rpc.getBlockHash(0)).reverse();
    const announcement = digitsAnnouncement(generateOracleMnemonic(), 'bench/e2e-1024', nbDigits);
    const descriptor = numericDescriptor(nbDigits);
    const totalCollateral = (2n ** BigInt(nbDigits) - 1n) * BIG_STEP_SAT;
    const offerCollateral = totalCollateral / 2n;
    const feeRatePerVb = 2n;
    const terms: DlcTerms = {
      chainHash,
      oraclePublicKey: announcement.oraclePublicKey,
      eventId: announcement.event.eventId,
      convention: 'tagged',
      descriptor,
      totalCollateral,
      offerCollateral,
      feeRatePerVb,
    };
    const offerSide = await fundedSide(rpc, 'offerer', 2_000_000n, 10n);
    const acceptSide = await fundedSide(rpc, 'accepter', 2_000_000n, 20n);
    const phases: SetupPhase[] = [];
    let adaptorSignatures = 0;
    const phase = async <T>(
      name: string,
      fn: (timed: EcdsaAdaptor, runner: AdaptorRunner | undefined) => T | Promise<T>,
    ): Promise<T> => {
      const spent: AdaptorTime = { encryptMs: 0, encryptCpuMs: 0, verifyMs: 0, verifyCpuMs: 0 };
      const runner = mode.runner === undefined ? undefined : timedRunner(mode.runner, spent);
      const t = await timeAsync(() => fn(timedScheme(scheme, spent), runner));
      phases.push({ name, wallMs: t.wallMs, cpuMs: t.cpuMs, ...spent });
      return t.value;
    };

    const offerBytes = await phase('offer: build + encode (offerer)', () =>
      encodeOfferDlc(
        createOffer({
          chainHash,
          temporaryContractId: sha256(new TextEncoder().encode(`tmp ${Date.now()}`)),
          contractInfo: {
            kind: 'single',
            totalCollateral,
            parts: [{ descriptor, oracleInfo: { kind: 'single', announcement } }],
          },
          offerCollateral,
          side: offerSide,
          fundOutputSerialId: 5n,
          feeRatePerVb,
        }),
      ),
    );
    const acceptBytes = await phase(
      'accept: decode, validate offer + chain, build CETs, sign (accepter)',
      async (timed, runner) => {
        const offer = decodeOfferDlc(offerBytes);
        const utxos = await utxoLookup(rpc, offer.fundingInputs);
        const params = { offer, terms, utxos, side: acceptSide, scheme: timed, ...points };
        const { accept } =
          runner === undefined
            ? acceptOffer(params)
            : await acceptOfferAsync({ ...params, runner });
        adaptorSignatures = accept.cetAdaptorSignatures.length;
        return encodeAcceptDlc(accept);
      },
    );
    const signBytes = await phase(
      'sign: decode, validate accept + chain, build CETs, verify, sign (offerer)',
      async (timed, runner) => {
        clearDerivedContracts(); // the offerer's process: nothing derived yet
        const offer = decodeOfferDlc(offerBytes);
        const accept = decodeAcceptDlc(acceptBytes);
        const utxos = await utxoLookup(rpc, accept.fundingInputs);
        const params = {
          offer,
          accept,
          convention: 'tagged' as const,
          utxos,
          side: offerSide,
          scheme: timed,
          ...points,
        };
        const { sign } =
          runner === undefined ? signAccept(params) : await signAcceptAsync({ ...params, runner });
        return encodeSignDlc(sign);
      },
    );
    const fundingTx = await phase(
      'finalize: decode, build CETs, verify sign_dlc, witnesses (accepter)',
      async (timed, runner) => {
        const params = {
          offer: decodeOfferDlc(offerBytes),
          accept: decodeAcceptDlc(acceptBytes),
          sign: decodeSignDlc(signBytes),
          convention: 'tagged' as const,
          side: acceptSide,
          scheme: timed,
          ...points,
        };
        return (
          runner === undefined
            ? finalizeSign(params)
            : await finalizeSignAsync({ ...params, runner })
        ).fundingTx;
      },
    );
    const fundingTxid = await phase(
      'broadcast + mine 1 block + confirmed (devnet RPC)',
      async () => {
        const txid = await rpc.sendRawTransaction(fundingTx.toBytes(true, true));
        await rpc.generateToAddress(
          1,
          p2wpkh(secp256k1.getPublicKey(be32(1n), true), REGTEST_NETWORK).address,
        );
        const confirmations = await rpc.getTransactionConfirmations(txid);
        if (confirmations === null || confirmations < 1) {
          throw new Error(`funding transaction ${txid} not confirmed`);
        }
        return txid;
      },
    );
    return { phases, fundingTxid, adaptorSignatures };
  } finally {
    await devnet.stop();
  }
}

interface SetupTotals {
  wallMs: number;
  cpuMs: number;
  adaptorCpuMs: number;
  restCpuMs: number;
}

function totalsOf(result: { phases: readonly SetupPhase[] }): SetupTotals {
  const sum = (key: keyof AdaptorTime | 'wallMs' | 'cpuMs'): number =>
    result.phases.reduce((s, p) => s + p[key], 0);
  const adaptorCpuMs = sum('encryptCpuMs') + sum('verifyCpuMs');
  return {
    wallMs: sum('wallMs'),
    cpuMs: sum('cpuMs'),
    adaptorCpuMs,
    restCpuMs: sum('cpuMs') - adaptorCpuMs,
  };
}

function printEndToEnd(
  label: string,
  result: { phases: readonly SetupPhase[]; adaptorSignatures: number },
): SetupTotals {
  const { phases } = result;
  const sum = (key: keyof AdaptorTime | 'wallMs' | 'cpuMs'): number =>
    phases.reduce((s, p) => s + p[key], 0);
  const line = (name: string, p: Omit<SetupPhase, 'name'>): string[] => [
    name,
    formatNumber(p.wallMs / 1000),
    formatNumber(p.cpuMs / 1000),
    formatNumber(p.encryptCpuMs / 1000),
    formatNumber(p.verifyCpuMs / 1000),
    formatNumber((p.cpuMs - p.encryptCpuMs - p.verifyCpuMs) / 1000),
  ];
  const total = {
    wallMs: sum('wallMs'),
    cpuMs: sum('cpuMs'),
    encryptMs: sum('encryptMs'),
    encryptCpuMs: sum('encryptCpuMs'),
    verifyMs: sum('verifyMs'),
    verifyCpuMs: sum('verifyCpuMs'),
  };
  printTable(
    `End-to-end setup on devnet, 1,024-CET numeric contract (${BIG_NB_DIGITS} binary digits, ` +
      `${BIG_STEP_SAT} sat per outcome, ${result.adaptorSignatures} adaptor signatures per party), ` +
      label,
    [
      'phase',
      's (wall)',
      's (cpu)',
      'adaptor create s (cpu)',
      'adaptor verify s (cpu)',
      'rest s (cpu)',
    ],
    [...phases.map((p) => line(p.name, p)), line('total', total)],
  );
  console.log(
    '  "rest": decoding, announcement and chain checks, CETs + sighashes (once per party), refund ' +
      'and funding signatures; devnet runs in this process, its RPC work included. CPU: all threads.',
  );
  return totalsOf(result);
}

/** "met", "not met", or "n/a" (when the run cannot say: too few cores). */
const verdict = (met: boolean | null): string => (met === null ? 'n/a' : met ? 'met' : 'NOT met');

function printSummary(): void {
  printTable(
    'Targets of issue 17 (figures and baselines from this run)',
    ['target', 'figure', 'baseline (same run)', 'result'],
    summary.map((r) => [r.target, r.figure, r.baseline, verdict(r.met)]),
  );
}

async function run(): Promise<void> {
  summary.length = 0;
  const loaded = loadSecp256k1Addon();
  if (!loaded.ok || adaptorBackend() !== 'native') {
    console.log(
      `  ${loaded.ok ? 'native backend unavailable' : loaded.reason}; nothing to measure`,
    );
    return;
  }
  const lib = loaded.addon;
  const points = Array.from({ length: 16 }, (_, i) =>
    secp256k1.getPublicKey(be32(scalar('point', i)), true),
  );
  const tweaks = Array.from({ length: 16 }, (_, i) => be32(scalar('tweak', i)));
  let i = 0;
  const baseline = measure('native publicKeyTweakMul', () => {
    i = (i + 1) % 16;
    return lib.publicKeyTweakMul(points[i]!, tweaks[i]!, true);
  });
  console.log(
    `  baseline: ${baseline.name} ${formatNumber(baseline.cpuUsPerOp)} µs cpu, ` +
      `${formatNumber(baseline.usPerOp)} µs wall per call (${baseline.iterations} calls); ${loadNote()}`,
  );
  await multiOracleShare(baseline);

  const native = ecdsaAdaptor('native');
  const nativePoints = layoutPointOps('native');
  // "Before" of target 1 in this run: the adaptor points on noble (the CETs and the cache are
  // what they are now; BENCHMARKS.md has the figures of the commit before).
  // The first setup in a process pays the JIT's warm-up of the protocol code (a CLI process
  // does; the app and the tower are long-lived): measured, then the warm figures.
  const cold = totalsOf(await endToEndSetup(native, BIG_NB_DIGITS, { points: nativePoints }));
  console.log(
    `\n  first end-to-end setup of this process (JIT cold), native, one thread: ` +
      `${formatNumber(cold.wallMs / 1000)} s wall, ${formatNumber(cold.cpuMs / 1000)} s cpu, ` +
      `rest ${formatNumber(cold.restCpuMs / 1000)} s cpu`,
  );
  const oneThread = printEndToEnd(
    'native adaptor scheme and points, one thread (sync protocol functions)',
    await endToEndSetup(native, BIG_NB_DIGITS, { points: nativePoints }),
  );
  const noblePoints = printEndToEnd(
    'native adaptor scheme, noble points, one thread',
    await endToEndSetup(native, BIG_NB_DIGITS, { points: layoutPointOps('noble') }),
  );
  const cores = availableParallelism();
  const pool = sharedAdaptorPool();
  const runner = adaptorRunner({ pool });
  // The pool's start-up is paid once per process (a long-lived app; the CLI warms it while it
  // validates): a first setup starts it, the second is measured.
  await endToEndSetup(native, BIG_NB_DIGITS, { points: nativePoints, runner });
  const pooled = printEndToEnd(
    `native, adaptor signatures on the shared worker pool (${pool.size} worker(s) + this thread, ` +
      `from ${POOL_MIN_SIGNATURES} signatures), warm`,
    await endToEndSetup(native, BIG_NB_DIGITS, { points: nativePoints, runner }),
  );
  const perCetPk = (ms: number): string =>
    `${formatNumber((ms * 1000) / 2 / 1024 / baseline.cpuUsPerOp)} × P·k per CET per party`;
  summary.unshift(
    {
      target: '1a. end-to-end 1,024-CET setup, "rest" (non-adaptor CPU, both parties) ≤ 0.3 s',
      figure: `${formatNumber(oneThread.restCpuMs / 1000)} s (${perCetPk(oneThread.restCpuMs)})`,
      baseline:
        `adaptor sigs ${formatNumber(oneThread.adaptorCpuMs / 1000)} s; noble points: rest ` +
        `${formatNumber(noblePoints.restCpuMs / 1000)} s; first setup (JIT cold): rest ` +
        `${formatNumber(cold.restCpuMs / 1000)} s`,
      met: oneThread.restCpuMs <= 300,
    },
    {
      target: '1b. end-to-end wall, worker pool, ≥ 4 cores: ≤ 1.0 s',
      figure: `${formatNumber(pooled.wallMs / 1000)} s wall (${cores} cores)`,
      baseline: `one thread ${formatNumber(oneThread.wallMs / 1000)} s wall`,
      met: cores >= 4 ? pooled.wallMs <= 1000 : null,
    },
    {
      target: '1c. end-to-end wall, one thread: ≤ 1.6 s',
      figure: `${formatNumber(oneThread.wallMs / 1000)} s wall, ${formatNumber(oneThread.cpuMs / 1000)} s cpu`,
      baseline: `P·k ${formatNumber(baseline.cpuUsPerOp)} µs (${loadNote()})`,
      met: oneThread.wallMs <= 1600,
    },
  );
  if (process.env['VERDICT_BENCH_SKIP_NOBLE'] === '1') {
    console.log('\n  pure-JS end-to-end skipped (VERDICT_BENCH_SKIP_NOBLE=1)');
  } else {
    printEndToEnd(
      'pure-JS (noble) scheme and points, one thread',
      await endToEndSetup(nobleEcdsaAdaptor, BIG_NB_DIGITS, { points: layoutPointOps('noble') }),
    );
  }
  printSummary();
  console.log(`  ${loadNote()}`);
}

export const bench: Bench = {
  description:
    'issues 10, 17: DLC setup per CET for a 2-of-3 multi-oracle share contract (native, one thread and pool) and end-to-end offer→accept→sign→funding on devnet for the 1,024-CET contract (one thread, worker pool); targets met or not',
  run,
};
