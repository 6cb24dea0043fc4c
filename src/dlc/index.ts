/**
 * `verdict/dlc`: events and outcomes, oracle announcements and attestations (TLV and JSON),
 * contract descriptors and payout curves, CET compression, fees, funding / CET / refund
 * transactions, offer / accept / sign (protocol v1) and settlement. Pure: no I/O, no clock.
 */
export * from './adaptor-set.ts';
export * from './announcement.ts';
export * from './attestation.ts';
export * from './cet-compression.ts';
export * from './contract.ts';
export * from './contract-descriptor.ts';
export * from './contract-id.ts';
export * from './digit-decomposition.ts';
export * from './digits.ts';
export * from './execution.ts';
export * from './fees.ts';
export * from './funding-input.ts';
export * from './messages.ts';
export * from './oracle-codec.ts';
export * from './oracle-types.ts';
export * from './payout-curve.ts';
export * from './protocol.ts';
export * from './rounding.ts';
export * from './share-contract.ts';
export * from './transactions.ts';
export * from './wire.ts';
// Two modules export these names: the index picks one and renames the other.
export type { RoundingIntervals } from './rounding.ts';
/** The whole signed refund transaction of a contract (protocol.ts). */
export { signRefund } from './protocol.ts';
/** Only this party's 64-byte refund signature (execution.ts). */
export { signRefund as signRefundSignature } from './execution.ts';
