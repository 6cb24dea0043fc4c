import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeContractId,
  legacyTemporaryContractId,
  randomTemporaryContractId,
} from '../../src/dlc/contract-id.ts';
import { loadVectorEntries } from '../helpers/vectors.ts';

interface ContractIdVector {
  fundTxId: string;
  fundOutputIndex: number;
  temporaryContractId: string;
  contractId: string;
}

// Every contract_id_test*.json file.
const vectors = loadVectorEntries<ContractIdVector>('contract-id');

describe('dlcspecs contract_id_test.json', () => {
  it.each(vectors.map((x) => ({ name: x.name, v: x.entry })))('$name', ({ v }) => {
    expect(
      bytesToHex(computeContractId(v.fundTxId, v.fundOutputIndex, v.temporaryContractId)),
    ).toBe(v.contractId);
    expect(
      bytesToHex(
        computeContractId(
          hexToBytes(v.fundTxId),
          v.fundOutputIndex,
          hexToBytes(v.temporaryContractId),
        ),
      ),
    ).toBe(v.contractId);
  });
});

describe('contract id laws', () => {
  const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  it('is an involution in the temporary id (XOR) and only the last two bytes see the index', () => {
    fc.assert(
      fc.property(b32, b32, fc.integer({ min: 0, max: 0xffff }), (txid, temp, index) => {
        const id = computeContractId(txid, index, temp);
        expect(computeContractId(txid, index, id)).toEqual(temp);
        const id0 = computeContractId(txid, 0, temp);
        expect(id.subarray(0, 30)).toEqual(id0.subarray(0, 30));
        expect((((id[30] ?? 0) ^ (id0[30] ?? 0)) << 8) | ((id[31] ?? 0) ^ (id0[31] ?? 0))).toBe(
          index,
        );
      }),
    );
  });

  it('rejects bad lengths and indexes', () => {
    const z = new Uint8Array(32);
    expect(() => computeContractId(new Uint8Array(31), 0, z)).toThrow(TypeError);
    expect(() => computeContractId(z, 0x10000, z)).toThrow(RangeError);
    expect(() => computeContractId(z, -1, z)).toThrow(RangeError);
  });

  it('temporary ids: random source injected; legacy = sha256(offer)', () => {
    expect(randomTemporaryContractId((n) => new Uint8Array(n).fill(7))).toEqual(
      new Uint8Array(32).fill(7),
    );
    expect(bytesToHex(legacyTemporaryContractId(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
