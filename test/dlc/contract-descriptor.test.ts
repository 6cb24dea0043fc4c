import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ContractDescriptor as NodeDlcContractDescriptor } from '@node-dlc/messaging';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cetsForNumeric } from '../../src/dlc/cet-compression.ts';
import {
  cetsForEnum,
  decodeContractDescriptorAt,
  deserializeContractDescriptor,
  fromNodeDlcContractDescriptor,
  InvalidContractDescriptorError,
  numericRangePayouts,
  serializeContractDescriptor,
  toNodeDlcContractDescriptor,
  UnsupportedByNodeDlcError,
  validateContractDescriptor,
  type ContractDescriptor,
  type EnumContractDescriptor,
  type NumericContractDescriptor,
} from '../../src/dlc/contract-descriptor.ts';
import { DecodeError } from '../../src/dlc/oracle-codec.ts';
import type { EventDescriptor } from '../../src/dlc/oracle-types.ts';
import type { PayoutFunctionPiece, PayoutPoint } from '../../src/dlc/payout-curve.ts';
import { big, loadVector } from '../helpers/vectors.ts';
import { protocolV1Names } from '../helpers/protocol-v1.ts';

// ---- the JSON view of the protocol-v1 vectors (vectors/README.md) ----

type JPoint = { eventOutcome: unknown; outcomePayout: unknown; extraPrecision: number };
type JDescriptor =
  | { enumeratedContractDescriptor: { payouts: { outcome: string; localPayout: unknown }[] } }
  | {
      numericOutcomeContractDescriptor: {
        numDigits: number;
        payoutFunction: {
          payoutFunctionPieces: {
            endPoint: JPoint;
            payoutCurvePiece:
              | { polynomialPayoutCurvePiece: { payoutPoints: JPoint[] } }
              | {
                  hyperbolaPayoutCurvePiece: {
                    usePositivePiece: boolean;
                    translateOutcome: number;
                    translatePayout: number;
                    a: number;
                    b: number;
                    c: number;
                    d: number;
                  };
                };
          }[];
          lastEndpoint: JPoint;
        };
        roundingIntervals: { intervals: { beginInterval: unknown; roundingMod: unknown }[] };
      };
    };
type JEventDescriptor =
  | { enumEvent: { outcomes: string[] } }
  | {
      digitDecompositionEvent: {
        base: number;
        isSigned: boolean;
        unit: string;
        precision: number;
        nbDigits: number;
      };
    };
type JAnnouncement = { oracleEvent: { eventDescriptor: JEventDescriptor } };
type JContractPart = {
  contractDescriptor: JDescriptor;
  oracleInfo:
    | { single: { oracleAnnouncement: JAnnouncement } }
    | { multi: { oracleAnnouncements: JAnnouncement[] } };
};
type JContractInfo =
  | { singleContractInfo: { totalCollateral: unknown; contractInfo: JContractPart } }
  | { disjointContractInfo: { totalCollateral: unknown; contractInfos: JContractPart[] } };
type ProtocolVector = {
  offer_message: { message: { contractInfo: JContractInfo }; serialized: string };
};
type Layout = {
  range_payouts?: { start: unknown; count: unknown; offer_payout: unknown }[];
  cets: { index: number; outcome?: string; offer_payout: unknown }[];
  adaptor_points: { cet_index: number; digit_prefix?: number[]; outcome?: string }[];
};

const point = (p: JPoint): PayoutPoint => ({
  eventOutcome: big(p.eventOutcome),
  outcomePayout: big(p.outcomePayout),
  extraPrecision: p.extraPrecision,
});

function descriptorFromJson(j: JDescriptor): ContractDescriptor {
  if ('enumeratedContractDescriptor' in j) {
    return {
      kind: 'enum',
      payouts: j.enumeratedContractDescriptor.payouts.map((p) => ({
        outcome: p.outcome,
        offerPayout: big(p.localPayout),
      })),
    };
  }
  const n = j.numericOutcomeContractDescriptor;
  const src = n.payoutFunction.payoutFunctionPieces;
  const pieces = src.map((piece, i): PayoutFunctionPiece => {
    const left = point(piece.endPoint);
    const right = point(src[i + 1]?.endPoint ?? n.payoutFunction.lastEndpoint);
    const c = piece.payoutCurvePiece;
    if ('polynomialPayoutCurvePiece' in c) {
      return {
        kind: 'polynomial',
        payoutPoints: [left, ...c.polynomialPayoutCurvePiece.payoutPoints.map(point), right],
      };
    }
    return {
      kind: 'hyperbola',
      leftEndPoint: left,
      rightEndPoint: right,
      ...c.hyperbolaPayoutCurvePiece,
    };
  });
  return {
    kind: 'numeric',
    nbDigits: n.numDigits,
    payoutFunction: { payoutFunctionPieces: pieces },
    roundingIntervals: n.roundingIntervals.intervals.map((i) => ({
      beginInterval: big(i.beginInterval),
      roundingMod: big(i.roundingMod),
    })),
  };
}

function eventFromJson(part: JContractPart): EventDescriptor {
  const ann =
    'single' in part.oracleInfo
      ? part.oracleInfo.single.oracleAnnouncement
      : part.oracleInfo.multi.oracleAnnouncements[0]!;
  const e = ann.oracleEvent.eventDescriptor;
  return 'enumEvent' in e
    ? { kind: 'enum', outcomes: e.enumEvent.outcomes }
    : { kind: 'digits', ...e.digitDecompositionEvent };
}

// offer_dlc v1: type u16 ‖ protocol_version u32 ‖ contract_flags u8 ‖ chain_hash 32 ‖ temporary_contract_id 32
// ‖ contract_info: bigsize variant ‖ u64 total_collateral ‖ (single: descriptor | disjoint: bigsize n ‖ descriptor …)
const CONTRACT_INFO_OFFSET = 2 + 4 + 1 + 32 + 32;

// Every protocol-v1 vector file (dlcspecs/test/test_vectors/*.json).
const NAMES = protocolV1Names;

const vectors = NAMES.map((name) => {
  const v = loadVector<ProtocolVector>(`dlcspecs/test/test_vectors/${name}.json`);
  const offer = hexToBytes(v.offer_message.serialized);
  const ci = v.offer_message.message.contractInfo;
  // The first (or only) contract part: its descriptor starts right after the contract_info header.
  const single = 'singleContractInfo' in ci;
  const part = single
    ? ci.singleContractInfo.contractInfo
    : ci.disjointContractInfo.contractInfos[0]!;
  const total = big(
    single ? ci.singleContractInfo.totalCollateral : ci.disjointContractInfo.totalCollateral,
  );
  const offset = CONTRACT_INFO_OFFSET + 1 + 8 + (single ? 0 : 1);
  return { name, offer, part, total, offset, single };
});

describe('protocol-v1 vectors: contract descriptor codec', () => {
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_, v) => {
    expect(v.offer[CONTRACT_INFO_OFFSET]).toBe(v.single ? 0 : 1);
    const { descriptor, end } = decodeContractDescriptorAt(v.offer, v.offset);
    // Decoded bytes equal the JSON view, and re-encode to the same bytes.
    expect(descriptor).toEqual(descriptorFromJson(v.part.contractDescriptor));
    const wire = v.offer.subarray(v.offset, end);
    expect(bytesToHex(serializeContractDescriptor(descriptor))).toBe(bytesToHex(wire));
    expect(deserializeContractDescriptor(wire)).toEqual(descriptor);
    validateContractDescriptor(descriptor, eventFromJson(v.part), v.total);
  });
});

describe('protocol-v1 vectors: @node-dlc/messaging 1.1.7 conversion', () => {
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_, v) => {
    const { descriptor, end } = decodeContractDescriptorAt(v.offer, v.offset);
    const wire = Buffer.from(v.offer.subarray(v.offset, end));
    const hasHyperbola =
      descriptor.kind === 'numeric' &&
      descriptor.payoutFunction.payoutFunctionPieces.some((p) => p.kind === 'hyperbola');
    if (hasHyperbola) {
      // node-dlc 1.1.7 writes hyperbola parameters as raw f64: it cannot reproduce these bytes.
      expect(() => toNodeDlcContractDescriptor(descriptor)).toThrow(UnsupportedByNodeDlcError);
      return;
    }
    expect(toNodeDlcContractDescriptor(descriptor).serialize().toString('hex')).toBe(
      wire.toString('hex'),
    );
    expect(fromNodeDlcContractDescriptor(NodeDlcContractDescriptor.deserialize(wire))).toEqual(
      descriptor,
    );
  });
});

const layoutVectors = vectors.filter((v) => v.single && !v.name.includes('with_diff'));

describe('protocol-v1 vectors: range payouts, CETs and prefix order (derived/protocol_v1_layout)', () => {
  it.each(layoutVectors.map((v) => [v.name, v] as const))('%s', (_, v) => {
    const layout = loadVector<Layout>(`derived/protocol_v1_layout/${v.name}.json`);
    const descriptor = descriptorFromJson(v.part.contractDescriptor);
    if (descriptor.kind === 'enum') {
      expect(cetsForEnum(descriptor)).toEqual(
        layout.cets.map((c) => ({
          cetIndex: c.index,
          outcome: c.outcome,
          offerPayout: big(c.offer_payout),
        })),
      );
      // One adaptor signature per outcome and oracle combination, outcomes in descriptor order.
      const order = layout.adaptor_points
        .map((p) => p.outcome)
        .filter((o, i, all) => i === 0 || o !== all[i - 1]);
      expect(order).toEqual(descriptor.payouts.map((p) => p.outcome));
      return;
    }
    const ranges = numericRangePayouts(descriptor, v.total);
    expect(ranges).toEqual(
      layout.range_payouts!.map((r) => ({
        start: big(r.start),
        count: big(r.count),
        offerPayout: big(r.offer_payout),
      })),
    );
    const event = eventFromJson(v.part);
    if (event.kind !== 'digits') throw new Error('numeric vector without a digit event');
    const prefixes = cetsForNumeric(ranges, event.base, descriptor.nbDigits);
    // adaptor_points lists, per prefix, one entry per oracle combination: collapse those.
    const expected = layout.adaptor_points
      .map((p) => ({ cetIndex: p.cet_index, prefix: p.digit_prefix }))
      .filter((p, i, all) => i === 0 || JSON.stringify(p) !== JSON.stringify(all[i - 1]));
    expect(prefixes.map(({ cetIndex, prefix }) => ({ cetIndex, prefix }))).toEqual(expected);
    for (const p of prefixes) expect(p.offerPayout).toBe(ranges[p.cetIndex]!.offerPayout);
  });
});

// ---- validation errors ----

const enumEvent: EventDescriptor = { kind: 'enum', outcomes: ['accepted', 'rejected'] };
const digits7: EventDescriptor = {
  kind: 'digits',
  base: 2,
  isSigned: false,
  unit: 'percent',
  precision: 0,
  nbDigits: 7,
};
const linear = (end: bigint, payout: bigint): NumericContractDescriptor => ({
  kind: 'numeric',
  nbDigits: 7,
  payoutFunction: {
    payoutFunctionPieces: [
      {
        kind: 'polynomial',
        payoutPoints: [
          { eventOutcome: 0n, outcomePayout: 0n, extraPrecision: 0 },
          { eventOutcome: end, outcomePayout: payout, extraPrecision: 0 },
        ],
      },
    ],
  },
  roundingIntervals: [{ beginInterval: 0n, roundingMod: 1n }],
});
const enumD = (payouts: [string, bigint][]): EnumContractDescriptor => ({
  kind: 'enum',
  payouts: payouts.map(([outcome, offerPayout]) => ({ outcome, offerPayout })),
});

describe('validateContractDescriptor', () => {
  it.each([
    ['enum: missing outcome', enumD([['accepted', 10n]]), enumEvent],
    [
      'enum: unknown outcome',
      enumD([
        ['accepted', 10n],
        ['rejected', 0n],
        ['maybe', 0n],
      ]),
      enumEvent,
    ],
    [
      'enum: duplicate outcome',
      enumD([
        ['accepted', 10n],
        ['rejected', 0n],
        ['accepted', 0n],
      ]),
      enumEvent,
    ],
    [
      'enum: payout above collateral',
      enumD([
        ['accepted', 11n],
        ['rejected', 0n],
      ]),
      enumEvent,
    ],
    [
      'enum: negative payout',
      enumD([
        ['accepted', -1n],
        ['rejected', 0n],
      ]),
      enumEvent,
    ],
    [
      'enum descriptor on a digit event',
      enumD([
        ['accepted', 10n],
        ['rejected', 0n],
      ]),
      digits7,
    ],
    ['numeric: ends before base^nbDigits − 1', linear(126n, 10n), digits7],
    ['numeric: ends after base^nbDigits − 1', linear(128n, 10n), digits7],
    ['numeric: payout above collateral', linear(127n, 11n), digits7],
    ['numeric: wrong digit count', { ...linear(127n, 10n), nbDigits: 6 }, digits7],
    ['numeric descriptor on an enum event', linear(127n, 10n), enumEvent],
    [
      'numeric: rounding begins not increasing',
      {
        ...linear(127n, 10n),
        roundingIntervals: [
          { beginInterval: 0n, roundingMod: 1n },
          { beginInterval: 0n, roundingMod: 2n },
        ],
      },
      digits7,
    ],
    [
      'numeric: does not start at 0',
      {
        ...linear(127n, 10n),
        payoutFunction: {
          payoutFunctionPieces: [
            {
              kind: 'polynomial',
              payoutPoints: [
                { eventOutcome: 1n, outcomePayout: 0n, extraPrecision: 0 },
                { eventOutcome: 127n, outcomePayout: 10n, extraPrecision: 0 },
              ],
            },
          ],
        },
      },
      digits7,
    ],
  ] as [string, ContractDescriptor, EventDescriptor][])('rejects %s', (_, d, event) => {
    expect(() => validateContractDescriptor(d, event, 10n)).toThrow(InvalidContractDescriptorError);
  });

  it('accepts valid enum and numeric descriptors', () => {
    expect(() =>
      validateContractDescriptor(
        enumD([
          ['rejected', 0n],
          ['accepted', 10n],
        ]),
        enumEvent,
        10n,
      ),
    ).not.toThrow();
    expect(() => validateContractDescriptor(linear(127n, 10n), digits7, 10n)).not.toThrow();
  });
});

describe('contract descriptor codec: errors and round trips', () => {
  const bytes = serializeContractDescriptor(linear(127n, 10n));
  it.each([
    ['trailing byte', Uint8Array.of(...bytes, 0)],
    ['truncated', bytes.subarray(0, bytes.length - 1)],
    ['unknown variant', Uint8Array.of(2, ...bytes.subarray(1))],
    ['empty', new Uint8Array()],
  ] as const)('rejects %s', (_, b) => {
    expect(() => deserializeContractDescriptor(b)).toThrow(DecodeError);
  });

  it('writes UTF-8 byte lengths for enum outcomes (node-dlc 1.1.7 would not)', () => {
    const d = enumD([['café', 1n]]);
    expect(bytesToHex(serializeContractDescriptor(d))).toBe('000105636166c3a90000000000000001');
    expect(deserializeContractDescriptor(serializeContractDescriptor(d))).toEqual(d);
    expect(() => toNodeDlcContractDescriptor(d)).toThrow(UnsupportedByNodeDlcError);
  });

  it('serialize → deserialize is the identity and node-dlc writes the same bytes (property)', () => {
    const arbPoint = (outcome: bigint) =>
      fc.record({
        eventOutcome: fc.constant(outcome),
        outcomePayout: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        extraPrecision: fc.integer({ min: 0, max: 0xffff }),
      });
    const arbDescriptor = fc
      .uniqueArray(fc.bigInt({ min: 0n, max: 1n << 40n }), { minLength: 2, maxLength: 8 })
      .map((xs) => [...xs].sort((a, b) => (a < b ? -1 : 1)))
      .chain((xs) => fc.tuple(...xs.map(arbPoint)))
      .chain((pts) =>
        fc.record({
          kind: fc.constant('numeric' as const),
          nbDigits: fc.integer({ min: 1, max: 0xffff }),
          payoutFunction: fc.constant({
            payoutFunctionPieces: pts.slice(1).map((p, i): PayoutFunctionPiece => ({
              kind: 'polynomial',
              payoutPoints: [pts[i]!, p],
            })),
          }),
          roundingIntervals: fc.array(
            fc.record({
              beginInterval: fc.bigInt({ min: 0n, max: 1n << 50n }),
              roundingMod: fc.bigInt({ min: 1n, max: 1n << 50n }),
            }),
            { maxLength: 3 },
          ),
        }),
      );
    fc.assert(
      fc.property(arbDescriptor, (d) => {
        const wire = serializeContractDescriptor(d);
        expect(deserializeContractDescriptor(wire)).toEqual(d);
        expect(bytesToHex(toNodeDlcContractDescriptor(d).serialize())).toBe(bytesToHex(wire));
      }),
    );
  });
});
