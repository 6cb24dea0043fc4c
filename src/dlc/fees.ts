/**
 * DLC fee and weight computation: dlcspecs `Transactions.md` "Fees" (DLC-NOTES.md §7.2).
 *
 * The spec splits every shared part of the funding transaction and of the CET/refund transaction
 * in two equal halves and lets each party pay for its own inputs and outputs:
 *
 * ```
 * script_sig_len = 0 if no redeemscript else 1 + len(redeemscript)
 * funding_weight = 107 + 36 + 4·len(change_spk) + Σ_inputs(164 + 4·script_sig_len + max_witness_len)
 * funding_fee    = ceil(funding_weight / 4) · feerate
 * closing_weight = 249 + 4·len(payout_spk)
 * closing_fee    = ceil(closing_weight / 4) · feerate
 * ```
 *
 * `107` is half of the funding transaction's shared weight (version, locktime, counts, segwit
 * marker/flag and the 43-byte P2WSH funding output); `36` is the fixed part of the party's change
 * output (8-byte value + 1-byte script length, ×4); `164` is an input without scriptSig and
 * witness (36-byte outpoint + 4-byte sequence + 1-byte scriptSig length, ×4). `249` is half of the
 * CET's shared weight (its one input with the 2-of-2 witness of two 72-byte signatures) plus the
 * fixed part of the party's payout output.
 *
 * Single-funded contracts (see {@link contractFees}) are not in the spec; there the party that
 * brings no inputs has no change output, its funding weight is only its half of the shared part
 * (107) and both that and its closing weight are paid by the funding party.
 */

/** Half of the funding transaction's shared weight (dlcspecs "Expected Weight of the Funding Transaction"). */
export const FUNDING_SHARED_WEIGHT_PER_PARTY = 107;
/** Fixed weight of a change output without its script: (8-byte value + 1-byte length) × 4. */
export const CHANGE_OUTPUT_FIXED_WEIGHT = 36;
/** Weight of a funding input without scriptSig bytes and witness: (32 + 4 + 1 + 4) × 4. */
export const FUNDING_INPUT_BASE_WEIGHT = 164;
/** Half of the CET/refund shared weight plus the fixed part of one payout output. */
export const CLOSING_WEIGHT_PER_PARTY = 249;

/** What the fee formula needs to know about one `funding_input`. */
export interface FeeInput {
  /** Length of `redeemscript` in bytes; 0 for a native SegWit input. */
  readonly redeemScriptLen: number;
  /** `max_witness_len`: the full serialized witness size in bytes. */
  readonly maxWitnessLen: number;
}

/** One party's view for the per-party fee formula. */
export interface PartyFeeParams {
  readonly inputs: readonly FeeInput[];
  readonly changeSpkLen: number;
  readonly payoutSpkLen: number;
  /** The offer's `feerate_per_vb`, sat/vB. */
  readonly feeRatePerVb: bigint;
}

/** Fees in satoshis that one party pays. */
export interface PartyFees {
  /** Paid to miners by the funding transaction. */
  readonly fundingFee: bigint;
  /** Reserved in the funding output for the CET or refund transaction. */
  readonly closingFee: bigint;
}

function assertLength(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
}

function assertFeeRate(feeRatePerVb: bigint): void {
  if (typeof feeRatePerVb !== 'bigint' || feeRatePerVb < 0n) {
    throw new RangeError(`feeRatePerVb must be a non-negative bigint, got ${String(feeRatePerVb)}`);
  }
}

/** `script_sig_len`: 0 for native SegWit, else the push of the redeem script (1 + len). */
export function scriptSigLen(redeemScriptLen: number): number {
  assertLength(redeemScriptLen, 'redeemScriptLen');
  // A redeem script of a P2SH-wrapped SegWit input is 22 or 34 bytes: a one-byte push suffices.
  return redeemScriptLen === 0 ? 0 : 1 + redeemScriptLen;
}

/** Weight of one funding input: `164 + 4·script_sig_len + max_witness_len`. */
export function fundingInputWeight(input: FeeInput): number {
  assertLength(input.maxWitnessLen, 'maxWitnessLen');
  return FUNDING_INPUT_BASE_WEIGHT + 4 * scriptSigLen(input.redeemScriptLen) + input.maxWitnessLen;
}

/**
 * A party's funding weight. With `changeSpkLen = null` the party has no change output (a party
 * without inputs in a single-funded contract): it counts only its half of the shared part.
 */
export function partyFundingWeight(
  inputs: readonly FeeInput[],
  changeSpkLen: number | null,
): number {
  let weight = FUNDING_SHARED_WEIGHT_PER_PARTY;
  if (changeSpkLen !== null) {
    assertLength(changeSpkLen, 'changeSpkLen');
    weight += CHANGE_OUTPUT_FIXED_WEIGHT + 4 * changeSpkLen;
  }
  for (const input of inputs) weight += fundingInputWeight(input);
  return weight;
}

/** A party's CET/refund weight: `249 + 4·len(payout_spk)`. */
export function partyClosingWeight(payoutSpkLen: number): number {
  assertLength(payoutSpkLen, 'payoutSpkLen');
  return CLOSING_WEIGHT_PER_PARTY + 4 * payoutSpkLen;
}

/** `ceil(weight / 4) · feerate`. */
export function feeForWeight(weight: number, feeRatePerVb: bigint): bigint {
  assertLength(weight, 'weight');
  assertFeeRate(feeRatePerVb);
  return BigInt(Math.ceil(weight / 4)) * feeRatePerVb;
}

/**
 * Per-party funding and closing fees, exactly the dlcspecs formula (the change output is always
 * counted, as the spec does).
 */
export function partyFees(params: PartyFeeParams): PartyFees {
  return {
    fundingFee: feeForWeight(
      partyFundingWeight(params.inputs, params.changeSpkLen),
      params.feeRatePerVb,
    ),
    closingFee: feeForWeight(partyClosingWeight(params.payoutSpkLen), params.feeRatePerVb),
  };
}

/**
 * Expected weight of a whole funding transaction: `214 + Σ_change(36 + 4·len) +
 * Σ_inputs(164 + 4·script_sig_len + max_witness_len)` (with two change outputs this is the
 * spec's `214 + 72 + 4·total_change_len + …`).
 */
export function fundingTxWeight(
  inputs: readonly FeeInput[],
  changeSpkLens: readonly number[],
): number {
  let weight = 2 * FUNDING_SHARED_WEIGHT_PER_PARTY;
  for (const len of changeSpkLens) {
    assertLength(len, 'changeSpkLen');
    weight += CHANGE_OUTPUT_FIXED_WEIGHT + 4 * len;
  }
  for (const input of inputs) weight += fundingInputWeight(input);
  return weight;
}

/** Expected weight of a CET or refund transaction: `498 + 4·Σ len(payout_spk)`. */
export function closingTxWeight(payoutSpkLens: readonly number[]): number {
  let weight = 2 * CLOSING_WEIGHT_PER_PARTY;
  for (const len of payoutSpkLens) {
    assertLength(len, 'payoutSpkLen');
    weight += 4 * len;
  }
  return weight;
}

/** One party's side for {@link contractFees}. */
export interface ContractFeeParty {
  readonly inputs: readonly FeeInput[];
  readonly changeSpkLen: number;
  readonly payoutSpkLen: number;
}

/** Who pays what in a contract. */
export interface ContractFees {
  readonly offer: PartyFees;
  readonly accept: PartyFees;
  /** The party that pays everything when the other brings no inputs; `null` if dual-funded. */
  readonly singleFunder: 'offer' | 'accept' | null;
}

/**
 * Fees of both parties of a contract.
 *
 * Dual-funded (both parties bring inputs): each pays {@link partyFees}, the spec's split.
 *
 * Single-funded (one party brings no inputs; Verdict's milestone escrow): the party without
 * inputs pays nothing and has no change output. The funder pays the whole funding fee,
 * `ceil((own funding weight + 107) / 4)·feerate` (107: the other half of the shared part, so the
 * sum is the whole transaction's weight), and the whole CET/refund fee reserve,
 * `ceil((249 + 4·own payout_spk + 249 + 4·other payout_spk) / 4)·feerate`, i.e. both parties'
 * closing weights. node-dlc reserves only the funder's half of the closing fee, which leaves the
 * CETs underfunded; this does not (DLC-NOTES.md §7, issue 3).
 */
export function contractFees(params: {
  readonly offer: ContractFeeParty;
  readonly accept: ContractFeeParty;
  readonly feeRatePerVb: bigint;
}): ContractFees {
  const { offer, accept, feeRatePerVb } = params;
  const offerFunds = offer.inputs.length > 0;
  const acceptFunds = accept.inputs.length > 0;
  if (offerFunds && acceptFunds) {
    return {
      offer: partyFees({ ...offer, feeRatePerVb }),
      accept: partyFees({ ...accept, feeRatePerVb }),
      singleFunder: null,
    };
  }
  if (!offerFunds && !acceptFunds) {
    throw new RangeError('contractFees: at least one party must bring funding inputs');
  }
  const [funder, other] = offerFunds ? [offer, accept] : [accept, offer];
  const whole: PartyFees = {
    fundingFee: feeForWeight(
      partyFundingWeight(funder.inputs, funder.changeSpkLen) + partyFundingWeight([], null),
      feeRatePerVb,
    ),
    closingFee: feeForWeight(
      partyClosingWeight(funder.payoutSpkLen) + partyClosingWeight(other.payoutSpkLen),
      feeRatePerVb,
    ),
  };
  const nothing: PartyFees = { fundingFee: 0n, closingFee: 0n };
  return offerFunds
    ? { offer: whole, accept: nothing, singleFunder: 'offer' }
    : { offer: nothing, accept: whole, singleFunder: 'accept' };
}
