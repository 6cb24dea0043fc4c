/**
 * The oracle's messages as plain data (dlcspecs Messaging.md "Oracle Messages", DLC-NOTES.md §2.2).
 * Bytes are Uint8Array; strings are the decoded (NFC) strings.
 */
export type { HashConvention } from '../crypto/hash.ts';

/**
 * `enum_event_descriptor` (55302) or `digit_decomposition_event_descriptor` (55306).
 * For `digits`: `base` ≥ 2, `nbDigits` ≥ 1, a signed event has one extra nonce first for the sign,
 * `precision` is the int32 exponent (attested number = composed digits × base^precision), `unit`
 * is informational.
 */
export type EventDescriptor =
  | { readonly kind: 'enum'; readonly outcomes: readonly string[] }
  | {
      readonly kind: 'digits';
      readonly base: number;
      readonly isSigned: boolean;
      readonly unit: string;
      readonly precision: number;
      readonly nbDigits: number;
    };

/** `oracle_event` (55330). */
export interface OracleEvent {
  readonly nonces: readonly Uint8Array[];
  readonly maturityEpochSec: number;
  readonly descriptor: EventDescriptor;
  readonly eventId: string;
}

/** `oracle_announcement` (55332). */
export interface OracleAnnouncement {
  readonly signature: Uint8Array;
  readonly oraclePublicKey: Uint8Array;
  readonly event: OracleEvent;
}

/** `oracle_attestation` (55400): one signature and one outcome string per nonce, in nonce order. */
export interface OracleAttestation {
  readonly eventId: string;
  readonly oraclePublicKey: Uint8Array;
  readonly signatures: readonly Uint8Array[];
  readonly outcomes: readonly string[];
}

/** Number of nonces an event needs: 1 for enum, `nbDigits (+1 for the sign)` for digits (rust-dlc `OracleEvent::validate`). */
export function expectedNonceCount(descriptor: EventDescriptor): number {
  return descriptor.kind === 'enum' ? 1 : descriptor.nbDigits + (descriptor.isSigned ? 1 : 0);
}
