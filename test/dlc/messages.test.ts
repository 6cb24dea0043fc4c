/**
 * The protocol-v1 message codec against every dlcspecs vector (`dlcspecs/test/test_vectors/*.json`,
 * made by rust-dlc): decode → encode is byte-identical for each file's offer, accept and sign
 * `serialized` hex, and the decoded fields agree with the vector's `message` view.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAcceptDlc,
  decodeDlcMessage,
  decodeOfferDlc,
  decodeSignDlc,
  encodeAcceptDlc,
  encodeOfferDlc,
  encodeSignDlc,
} from '../../src/dlc/messages.ts';
import { DecodeError } from '../../src/dlc/oracle-codec.ts';
import { big, loadVector, vectorFiles } from '../helpers/vectors.ts';

interface Vector {
  offer_message: { message: Record<string, unknown>; serialized: string };
  accept_message: { message: Record<string, unknown>; serialized: string };
  sign_message: { message: Record<string, unknown>; serialized: string };
}

const files = vectorFiles('protocol-v1').map((f) => f.replace(/^.*\//, ''));
const load = (file: string): Vector => loadVector<Vector>(`dlcspecs/test/test_vectors/${file}`);

describe('offer_dlc codec (protocol v1 vectors)', () => {
  it.each(files)('%s: round-trips byte for byte', (file) => {
    const v = load(file).offer_message;
    const offer = decodeOfferDlc(hexToBytes(v.serialized));
    expect(bytesToHex(encodeOfferDlc(offer))).toBe(v.serialized);
    expect(offer.offerCollateral).toBe(big(v.message['offerCollateral']));
    expect(offer.feeRatePerVb).toBe(big(v.message['feeRatePerVb']));
    expect(offer.cetLocktime).toBe(v.message['cetLocktime']);
    expect(offer.refundLocktime).toBe(v.message['refundLocktime']);
    expect(bytesToHex(offer.fundingPubkey)).toBe(v.message['fundingPubkey']);
    expect(offer.fundingInputs.map((i) => i.inputSerialId)).toEqual(
      (v.message['fundingInputs'] as { inputSerialId: unknown }[]).map((i) => big(i.inputSerialId)),
    );
  });
});

describe('accept_dlc codec (protocol v1 vectors)', () => {
  it.each(files)('%s: round-trips byte for byte', (file) => {
    const v = load(file).accept_message;
    const accept = decodeAcceptDlc(hexToBytes(v.serialized));
    expect(bytesToHex(encodeAcceptDlc(accept))).toBe(v.serialized);
    expect(accept.acceptCollateral).toBe(big(v.message['acceptCollateral']));
    const sigs = (v.message['cetAdaptorSignatures'] as { ecdsaAdaptorSignatures: unknown[] })
      .ecdsaAdaptorSignatures;
    expect(accept.cetAdaptorSignatures).toHaveLength(sigs.length);
  });
});

describe('sign_dlc codec (protocol v1 vectors)', () => {
  it.each(files)('%s: round-trips byte for byte', (file) => {
    const v = load(file).sign_message;
    const sign = decodeSignDlc(hexToBytes(v.serialized));
    expect(bytesToHex(encodeSignDlc(sign))).toBe(v.serialized);
    expect(bytesToHex(sign.contractId)).toBe(v.message['contractId']);
    const witnesses = (
      v.message['fundingSignatures'] as {
        fundingSignatures: { witnessElements: { witness: string }[] }[];
      }
    ).fundingSignatures.map((w) => w.witnessElements.map((e) => e.witness));
    expect(sign.fundingSignatures.map((w) => w.map(bytesToHex))).toEqual(witnesses);
  });
});

describe('strict decoding', () => {
  const v = load(files[0]!);
  it('refuses trailing garbage that is not a TLV record', () => {
    expect(() => decodeSignDlc(hexToBytes(v.sign_message.serialized + 'fd'))).toThrow(DecodeError);
  });
  it('refuses a truncated message', () => {
    expect(() => decodeAcceptDlc(hexToBytes(v.accept_message.serialized.slice(0, -2)))).toThrow(
      DecodeError,
    );
  });
  it('refuses another message type and dispatches by type', () => {
    expect(() => decodeOfferDlc(hexToBytes(v.sign_message.serialized))).toThrow(DecodeError);
    expect(decodeDlcMessage(hexToBytes(v.accept_message.serialized)).type).toBe('accept_dlc');
  });
  it('refuses another protocol version', () => {
    const hex = v.offer_message.serialized;
    expect(() => decodeOfferDlc(hexToBytes(hex.slice(0, 4) + '00000002' + hex.slice(12)))).toThrow(
      /protocol_version/,
    );
  });
});

describe('TLV stream and properties', () => {
  const v = load(files[0]!);
  it('keeps an unknown odd TLV record and refuses an unknown even one (BOLT 1)', () => {
    const odd = v.sign_message.serialized + '0302abcd';
    expect(decodeSignDlc(hexToBytes(odd)).tlvs).toEqual([{ type: 3n, value: hexToBytes('abcd') }]);
    expect(bytesToHex(encodeSignDlc(decodeSignDlc(hexToBytes(odd))))).toBe(odd);
    expect(() => decodeSignDlc(hexToBytes(v.sign_message.serialized + '0200'))).toThrow(
      /unknown even TLV type/,
    );
  });

  it('encode → decode is the identity for arbitrary field values', () => {
    const base = decodeOfferDlc(hexToBytes(v.offer_message.serialized));
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    fc.assert(
      fc.property(
        fc.record({
          temporaryContractId: bytes(32),
          payoutSerialId: u64,
          offerCollateral: u64,
          changeSerialId: u64,
          fundOutputSerialId: u64,
          feeRatePerVb: u64,
          cetLocktime: u32,
          refundLocktime: u32,
          payoutSpk: fc.uint8Array({ maxLength: 80 }),
          tlvs: fc
            .uniqueArray(fc.bigInt({ min: 0n, max: 1000n }), { maxLength: 3 })
            .chain((types) =>
              fc.tuple(
                ...[...types]
                  .sort((a, b) => (a < b ? -1 : 1))
                  .map((t) =>
                    fc.record({
                      type: fc.constant(2n * t + 1n),
                      value: fc.uint8Array({ maxLength: 20 }),
                    }),
                  ),
              ),
            ),
        }),
        (fields) => {
          const message = { ...base, ...fields };
          const encoded = encodeOfferDlc(message);
          const decoded = decodeOfferDlc(encoded);
          expect(bytesToHex(encodeOfferDlc(decoded))).toBe(bytesToHex(encoded));
          expect(decoded.payoutSerialId).toBe(fields.payoutSerialId);
          expect(decoded.tlvs).toEqual(fields.tlvs);
        },
      ),
      { numRuns: 200 },
    );
  });
});
