// src/native/layout-points.ts against the noble reference: the same adaptor points, in the same
// order, for enum and numeric contracts on one oracle and on 2-of-3 oracles.
import { describe, expect, it } from 'vitest';
import { generateOracleMnemonic, oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import {
  contractLayout,
  nobleLayoutPoints,
  type ContractInfo,
  type OracleInfo,
} from '../../src/dlc/contract.ts';
import { milestoneEnumDescriptor, shareContractDescriptor } from '../../src/dlc/share-contract.ts';
import { createNativeLayoutPoints, layoutPointOps } from '../../src/native/layout-points.ts';
import { addon, skipNative } from './native-backend.ts';

const TOTAL = 1_000_000n;
const oracles = [0, 1, 2].map(() => oracleKeysFromMnemonic(generateOracleMnemonic()));
let counter = 0;

function digits(i: number, d: { base: number; isSigned: boolean; nbDigits: number }) {
  return createAnnouncement(oracles[i]!, {
    eventId: `layout-points/${counter++}`,
    maturityEpochSec: 1_790_000_000,
    descriptor: { kind: 'digits', unit: 'u', precision: 0, ...d },
  });
}

function enumAnn(i: number) {
  return createAnnouncement(oracles[i]!, {
    eventId: `layout-points/${counter++}`,
    maturityEpochSec: 1_790_000_000,
    descriptor: { kind: 'enum', outcomes: ['accepted', 'rejected'] },
  });
}

function info(descriptor: ContractInfo['parts'][number]['descriptor'], oracleInfo: OracleInfo) {
  return { kind: 'single', totalCollateral: TOTAL, parts: [{ descriptor, oracleInfo }] } as const;
}

describe.skipIf(skipNative)('native layout points = noble layout points', () => {
  const cases: [string, () => ContractInfo][] = [
    [
      'share contract, one oracle (base 2, 7 digits)',
      () =>
        info(shareContractDescriptor(TOTAL, true), {
          kind: 'single',
          announcement: digits(0, { base: 2, isSigned: false, nbDigits: 7 }),
        }),
    ],
    [
      'share contract, 2 of 3 oracles',
      () =>
        info(shareContractDescriptor(TOTAL, true), {
          kind: 'multi',
          threshold: 2,
          announcements: [0, 1, 2].map((i) => digits(i, { base: 2, isSigned: false, nbDigits: 7 })),
        }),
    ],
    [
      'enum milestone contract, 2 of 3 oracles',
      () =>
        info(milestoneEnumDescriptor(TOTAL, true), {
          kind: 'multi',
          threshold: 2,
          announcements: [0, 1, 2].map((i) => enumAnn(i)),
        }),
    ],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const contract = make();
      const reference = contractLayout(contract, 'tagged', nobleLayoutPoints);
      const native = contractLayout(contract, 'tagged', createNativeLayoutPoints(addon()));
      expect(native.cets).toEqual(reference.cets);
      expect(native.adaptorPoints.length).toBe(reference.adaptorPoints.length);
      expect(native.adaptorPoints).toEqual(reference.adaptorPoints);
      // The default of node callers is the native backend.
      expect(layoutPointOps()).not.toBe(nobleLayoutPoints);
    });
  }

  it('rejects an oracle key that is not a point, as the reference does', () => {
    const a = digits(0, { base: 2, isSigned: false, nbDigits: 7 });
    const bad = { ...a, oraclePublicKey: new Uint8Array(32).fill(0xff) };
    const contract = info(shareContractDescriptor(TOTAL, true), {
      kind: 'single',
      announcement: bad,
    });
    expect(() => contractLayout(contract, 'tagged', nobleLayoutPoints)).toThrow(RangeError);
    expect(() => contractLayout(contract, 'tagged', createNativeLayoutPoints(addon()))).toThrow(
      'not the x-coordinate of a secp256k1 point',
    );
  });
});
