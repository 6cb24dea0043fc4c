/**
 * Errors raised by the chain layer. Each class has a stable string `code`; errors that come
 * from a node also carry the node's own numeric JSON-RPC code in `rpcCode`.
 */

/** Base class: anything that went wrong while talking to a chain backend. */
export class ChainError extends Error {
  readonly code: string = 'chain_error';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The node answered with a JSON-RPC error object (`{ code, message }`), e.g. `-5 No such
 * mempool or blockchain transaction`, `-8 Block height out of range`. `message` is the node's
 * message, verbatim.
 */
export class RpcError extends ChainError {
  override readonly code: string = 'chain_rpc_error';
  constructor(
    readonly method: string,
    /** The node's JSON-RPC error code (Bitcoin Core `RPCErrorCode`). */
    readonly rpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Bitcoin Core `RPC_VERIFY_ERROR`: e.g. `bad-txns-inputs-missingorspent`. */
export const RPC_VERIFY_ERROR = -25;
/** Bitcoin Core `RPC_VERIFY_REJECTED`: policy and consensus rejections. */
export const RPC_VERIFY_REJECTED = -26;
/** Bitcoin Core `RPC_VERIFY_ALREADY_IN_CHAIN`. */
export const RPC_VERIFY_ALREADY_IN_CHAIN = -27;
/** Bitcoin Core `RPC_INVALID_ADDRESS_OR_KEY`, also "no such transaction / mempool entry". */
export const RPC_INVALID_ADDRESS_OR_KEY = -5;
/** Bitcoin Core `RPC_IN_WARMUP`: the node is starting; transient. */
export const RPC_IN_WARMUP = -28;

/**
 * The node refused a transaction (`-25`, `-26`, `-27`). `reason` is Core's reject reason, the
 * part of the message before the first `", "` (e.g. `non-final`, `dust`,
 * `min relay fee not met`, `mandatory-script-verify-flag-failed (...)`); the full message
 * (with Core's debug detail, e.g. `min relay fee not met, 0 < 110`) stays in `message`.
 * Never retried.
 */
export class RpcRejectedError extends RpcError {
  override readonly code: string = 'chain_tx_rejected';
  readonly reason: string;
  constructor(method: string, rpcCode: number, message: string) {
    super(method, rpcCode, message);
    this.reason = rejectReasonOf(message);
  }
}

/**
 * Splits Core's `TxValidationState::ToString()` ("reason, debug") into its reason: the text
 * before the first ", " outside parentheses, so that `mandatory-script-verify-flag-failed (...)`
 * and `Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)` stay whole.
 */
export function rejectReasonOf(message: string): string {
  let depth = 0;
  for (let i = 0; i < message.length; i++) {
    const c = message[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0 && message[i + 1] === ' ') return message.slice(0, i);
  }
  return message;
}

/**
 * Script verification failures, under the names Bitcoin Core has used for them:
 * `mandatory-script-verify-flag-failed (...)` / `non-mandatory-script-verify-flag (...)`
 * (Core ≤ 29) and `block-script-verify-flag-failed (...)` / `mempool-script-verify-flag-failed
 * (...)` (Core 30+).
 */
export function isScriptVerifyFailure(reason: string): boolean {
  return /^(mandatory|non-mandatory|block|mempool)-script-verify-flag/.test(reason);
}

/** The node refused our credentials (HTTP 401/403). Not retried. */
export class RpcAuthError extends ChainError {
  override readonly code: string = 'chain_rpc_auth';
}

/**
 * The node could not be reached or kept failing transiently (connection refused/reset,
 * timeout, 5xx without a JSON-RPC error, work queue full, warming up) after all retries.
 */
export class RpcTransportError extends ChainError {
  override readonly code: string = 'chain_rpc_transport';
}

/** The node answered something that is not the JSON-RPC shape we expect. */
export class RpcProtocolError extends ChainError {
  override readonly code: string = 'chain_rpc_protocol';
}

/**
 * `estimatesmartfee` answered a fee rate that no transaction should be built with: zero,
 * negative, not a number, or above the ceiling (`MAX_FEE_RATE_SAT_PER_VB`). `feeRate` is the
 * node's text, verbatim.
 */
export class FeeEstimateError extends ChainError {
  override readonly code: string = 'chain_fee_estimate';
  constructor(
    readonly feeRate: string,
    readonly why: string,
  ) {
    super(`estimatesmartfee answered feerate ${feeRate.slice(0, 40)} BTC/kvB: refused, ${why}`);
  }
}
