/** Regtest parameters and addresses. */
import { Address, OutScript } from '@scure/btc-signer';
import type { BTC_NETWORK } from '@scure/btc-signer/utils.js';

/** Bitcoin Core's regtest: bech32 `bcrt`, base58 prefixes shared with testnet. */
export const REGTEST_NETWORK: BTC_NETWORK = {
  bech32: 'bcrt',
  pubKeyHash: 0x6f,
  scriptHash: 0xc4,
  wif: 0xef,
};

export const COINBASE_MATURITY = 100;
/** Regtest `nSubsidyHalvingInterval`. */
export const HALVING_INTERVAL = 150;
export const INITIAL_SUBSIDY_SAT = 50n * 100_000_000n;
/** Regtest `powLimit` in compact form; devnet grinds the nonce until the hash meets it. */
export const REGTEST_BITS = 0x207fffff;

export function blockSubsidySat(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  return halvings >= 64 ? 0n : INITIAL_SUBSIDY_SAT >> BigInt(halvings);
}

export class InvalidAddressError extends Error {
  readonly code = 'devnet_invalid_address';
  constructor(address: string) {
    super(`Invalid address: ${address}`);
    this.name = 'InvalidAddressError';
  }
}

/** scriptPubKey for a regtest address (bcrt1… segwit v0/v1, or base58 m/n/2…). */
export function addressToScript(address: string): Uint8Array {
  try {
    return OutScript.encode(Address(REGTEST_NETWORK).decode(address));
  } catch {
    throw new InvalidAddressError(address);
  }
}

/** The regtest address of a standard scriptPubKey, or undefined. */
export function scriptToAddress(script: Uint8Array): string | undefined {
  try {
    return Address(REGTEST_NETWORK).encode(OutScript.decode(script));
  } catch {
    return undefined;
  }
}
