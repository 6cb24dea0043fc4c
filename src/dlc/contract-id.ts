/**
 * Contract ids (dlcspecs `Protocol.md`, DLC-NOTES.md §7.6).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';

function bytes32(value: string | Uint8Array, name: string): Uint8Array {
  const bytes = typeof value === 'string' ? hexToBytes(value) : value;
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new TypeError(`${name} must be 32 bytes`);
  }
  return bytes;
}

/**
 * `contract_id = funding_txid XOR temporary_contract_id`, with the funding output index (u16
 * big-endian) XORed into the last two bytes. `fundingTxid` is in display (RPC) byte order.
 */
export function computeContractId(
  fundingTxid: string | Uint8Array,
  fundOutputIndex: number,
  temporaryContractId: string | Uint8Array,
): Uint8Array {
  const txid = bytes32(fundingTxid, 'fundingTxid');
  const temp = bytes32(temporaryContractId, 'temporaryContractId');
  if (!Number.isInteger(fundOutputIndex) || fundOutputIndex < 0 || fundOutputIndex > 0xffff) {
    throw new RangeError(`fundOutputIndex must be a u16, got ${String(fundOutputIndex)}`);
  }
  const id = new Uint8Array(32);
  for (let i = 0; i < 32; i++) id[i] = (txid[i] as number) ^ (temp[i] as number);
  id[30] = (id[30] as number) ^ (fundOutputIndex >> 8);
  id[31] = (id[31] as number) ^ (fundOutputIndex & 0xff);
  return id;
}

/**
 * A protocol-v1 `temporary_contract_id`: 32 random bytes chosen by the offerer. The random source
 * is a parameter so callers and tests can inject one.
 */
export function randomTemporaryContractId(
  random: (length: number) => Uint8Array = randomBytes,
): Uint8Array {
  const id = random(32);
  if (id.length !== 32) throw new TypeError('random source returned the wrong length');
  return id;
}

/** Generation-A (2020) `temporary_contract_id`: `sha256` of the serialized `offer_dlc`. */
export function legacyTemporaryContractId(offerMessage: Uint8Array): Uint8Array {
  return sha256(offerMessage);
}
