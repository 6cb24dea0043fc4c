/**
 * Coin selection for the wallet's own payments (pure: no chain, no keys).
 *
 * First Bitcoin Core's branch-and-bound (`SelectCoinsBnB`, Murch's "An Evaluation of Coin
 * Selection Strategies"): a depth-first search over the coins sorted by effective value for a set
 * whose effective value lies in `[target, target + costOfChange]`, so that no change output is
 * needed; among the matches, the one with the least waste. When no such set exists, largest-first
 * accumulation with a change output back to the wallet; a change that would be below the dust
 * threshold is never created: its value goes to the fee instead (Core does the same), which is
 * only ever less than the dust threshold.
 *
 * Sizes are P2WPKH inputs with a low-R signature (the wallet grinds for it), so fees computed here
 * are the fees paid, to the satoshi.
 */

/** P2WPKH input: outpoint 36 + scriptSig length 1 + sequence 4 (non-witness bytes). */
export const P2WPKH_INPUT_BASE_BYTES = 41;
/** Its witness: item count 1 + (1 + 71 low-R DER signature with sighash byte) + (1 + 33). */
export const P2WPKH_INPUT_WITNESS_BYTES = 107;
/** version 4 + locktime 4 + input count 1 + output count 1. */
const TX_OVERHEAD_BYTES = 10;
/** Segwit marker and flag, witness bytes. */
const SEGWIT_MARKER_WEIGHT = 2;
/** Core's BnB gives up after this many tries (`TOTAL_TRIES`). */
const BNB_TOTAL_TRIES = 100_000;

export interface CoinCandidate {
  readonly id: string;
  readonly valueSat: bigint;
}

/** Serialized size of an output paying `spkLen` bytes of script: amount 8 + length 1 + script. */
export function outputBytes(spkLen: number): number {
  return 8 + 1 + spkLen;
}

/** Virtual size of a segwit transaction of `inputs` P2WPKH inputs and these output scripts. */
export function p2wpkhTxVsize(inputs: number, outputSpkLens: readonly number[]): number {
  const base =
    TX_OVERHEAD_BYTES +
    inputs * P2WPKH_INPUT_BASE_BYTES +
    outputSpkLens.reduce((s, l) => s + outputBytes(l), 0);
  const weight = base * 4 + SEGWIT_MARKER_WEIGHT + inputs * P2WPKH_INPUT_WITNESS_BYTES;
  return Math.ceil(weight / 4);
}

/** Fee of one P2WPKH input at `feeRate` (its weight 4·41 + 107 = 271, rounded up in vbytes). */
export function inputFeeSat(feeRateSatPerVb: bigint): bigint {
  return (
    BigInt(Math.ceil((P2WPKH_INPUT_BASE_BYTES * 4 + P2WPKH_INPUT_WITNESS_BYTES) / 4)) *
    feeRateSatPerVb
  );
}

export interface SelectionParams {
  readonly coins: readonly CoinCandidate[];
  /** What the recipient gets (not used for a sweep). */
  readonly amountSat: bigint;
  readonly feeRateSatPerVb: bigint;
  readonly recipientSpkLen: number;
  readonly changeSpkLen: number;
  /** The smallest change output that is not dust (294 sat for P2WPKH at Core's dust relay fee). */
  readonly changeDustSat: bigint;
}

export interface Selection {
  readonly coins: CoinCandidate[];
  readonly feeSat: bigint;
  /** 0n when there is no change output. */
  readonly changeSat: bigint;
  readonly vsize: number;
  readonly algorithm: 'bnb' | 'largest-first';
}

/** The coins cannot pay `neededSat` (amount + fee at the smallest input count that could work). */
export class CoinSelectionError extends Error {
  override readonly name = 'CoinSelectionError';
  readonly code = 'insufficient_wallet_funds';
  constructor(
    readonly neededSat: bigint,
    readonly availableSat: bigint,
  ) {
    super(`the wallet has ${availableSat} sat spendable, ${neededSat} sat needed`);
  }
}

const byValueDesc = (a: CoinCandidate, b: CoinCandidate): number =>
  a.valueSat > b.valueSat ? -1 : a.valueSat < b.valueSat ? 1 : a.id < b.id ? -1 : 1;

/**
 * Branch-and-bound over effective values (value − the input's own fee). Returns the indexes (into
 * `sorted`) of the set with the least waste (excess over the target; fee rates are the same for
 * now and later here, so Core's waste reduces to the excess), or null.
 */
function branchAndBound(
  effective: readonly bigint[],
  target: bigint,
  costOfChange: bigint,
): number[] | null {
  const upper = target + costOfChange;
  // Coins whose input costs at least their value never help (sorted: they are at the end).
  const firstUseless = effective.findIndex((v) => v <= 0n);
  const usable = effective.slice(0, firstUseless === -1 ? effective.length : firstUseless);
  let best: number[] | null = null;
  let bestWaste = 0n;
  let tries = 0;
  const chosen: number[] = [];
  const search = (i: number, value: bigint, remaining: bigint): void => {
    if (++tries > BNB_TOTAL_TRIES || (best !== null && bestWaste === 0n)) return;
    if (value > upper || value + remaining < target) return;
    if (value >= target) {
      // More coins only add waste: record and go back.
      const waste = value - target;
      if (best === null || waste < bestWaste) {
        best = [...chosen];
        bestWaste = waste;
      }
      return;
    }
    if (i >= usable.length) return;
    const v = usable[i]!;
    chosen.push(i);
    search(i + 1, value + v, remaining - v); // include coin i first, as Core does
    chosen.pop();
    search(i + 1, value, remaining - v);
  };
  search(
    0,
    0n,
    usable.reduce((s, v) => s + v, 0n),
  );
  return best;
}

/**
 * Chooses coins paying `amountSat` to one recipient at `feeRateSatPerVb`: a changeless
 * branch-and-bound match when there is one, else largest-first with change (never dust).
 */
export function selectCoins(params: SelectionParams): Selection {
  const { feeRateSatPerVb: rate, amountSat } = params;
  const sorted = [...params.coins].sort(byValueDesc);
  const perInput = inputFeeSat(rate);
  const noChangeFee = (n: number): bigint =>
    BigInt(p2wpkhTxVsize(n, [params.recipientSpkLen])) * rate;
  // Target for BnB: amount + the fee of everything but the inputs.
  const fixedFee = noChangeFee(0);
  const changeOutputFee = BigInt(outputBytes(params.changeSpkLen)) * rate;
  // Core: cost of change = creating the change output now + spending it later.
  const costOfChange = changeOutputFee + perInput;
  const effective = sorted.map((c) => c.valueSat - perInput);
  const bnb = branchAndBound(effective, amountSat + fixedFee, costOfChange);
  if (bnb !== null) {
    const coins = bnb.map((i) => sorted[i]!);
    const total = coins.reduce((s, c) => s + c.valueSat, 0n);
    const vsize = p2wpkhTxVsize(coins.length, [params.recipientSpkLen]);
    return { coins, feeSat: total - amountSat, changeSat: 0n, vsize, algorithm: 'bnb' };
  }
  const chosen: CoinCandidate[] = [];
  let total = 0n;
  for (const coin of sorted) {
    if (coin.valueSat <= perInput) break; // an uneconomic coin only adds fee
    chosen.push(coin);
    total += coin.valueSat;
    const n = chosen.length;
    const withChange = p2wpkhTxVsize(n, [params.recipientSpkLen, params.changeSpkLen]);
    const change = total - amountSat - BigInt(withChange) * rate;
    if (change >= params.changeDustSat) {
      return {
        coins: chosen,
        feeSat: total - amountSat - change,
        changeSat: change,
        vsize: withChange,
        algorithm: 'largest-first',
      };
    }
    const fee = noChangeFee(n);
    if (total >= amountSat + fee) {
      // The change would be dust: it goes to the fee (less than the dust threshold more).
      return {
        coins: chosen,
        feeSat: total - amountSat,
        changeSat: 0n,
        vsize: p2wpkhTxVsize(n, [params.recipientSpkLen]),
        algorithm: 'largest-first',
      };
    }
  }
  throw new CoinSelectionError(
    amountSat + noChangeFee(Math.max(1, chosen.length)),
    sorted.reduce((s, c) => s + c.valueSat, 0n),
  );
}
