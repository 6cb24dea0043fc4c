/**
 * The fast path of the party flow against the reference, on every dlcspecs protocol-v1 vector
 * (rust-dlc's CETs and adaptor signatures, oracle convention `sha256`): the async protocol
 * functions with native adaptor points and the worker-pool runner (threshold 1, so the pool and
 * the calling thread both take part) accept exactly what the sync noble path accepts, derive the
 * same contract (id, every CET sighash and adaptor point, byte for byte) and refuse the same
 * vectors with the same errors. Also: the cache of derived contracts gives the same contract
 * for the same offer and accept, whatever their signatures, and `deriveContractId` the same id.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidCetAdaptorSignaturesError } from '../../src/dlc/adaptor-set.ts';
import { nobleLayoutPoints, UnsupportedContractError } from '../../src/dlc/contract.ts';
import { fundingInputPrevout, type FundingInput } from '../../src/dlc/funding-input.ts';
import { decodeAcceptDlc, decodeOfferDlc, decodeSignDlc } from '../../src/dlc/messages.ts';
import {
  clearDerivedContracts,
  deriveContract,
  deriveContractId,
  outpointKey,
  verifyAccept,
  verifyAcceptAsync,
  verifySign,
  verifySignAsync,
  type DlcContract,
  type UtxoLookup,
} from '../../src/dlc/protocol.ts';
import { adaptorRunner, AdaptorWorkerPool } from '../../src/native/adaptor-pool.ts';
import { ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import { layoutPointOps } from '../../src/native/layout-points.ts';
import { loadVector, vectorsDir } from '../helpers/vectors.ts';
import { skipNative } from './native-backend.ts';

interface Vector {
  offer_message: { serialized: string };
  accept_message: { serialized: string };
  sign_message: { serialized: string };
}

function chainOf(inputs: readonly FundingInput[]): UtxoLookup {
  return new Map(
    inputs.map((input) => {
      const p = fundingInputPrevout(input);
      return [
        outpointKey(bytesToHex(p.txid), p.index),
        { valueSat: p.amount, scriptPubKey: p.script },
      ] as const;
    }),
  );
}

/** The contract as bytes: id, CET sighashes and transactions, adaptor points, refund. */
function fingerprint(c: DlcContract): string[] {
  return [
    bytesToHex(c.contractId),
    bytesToHex(c.refundSighash),
    ...c.cets.cets.map((cet) => `${bytesToHex(cet.sighash)} ${cet.tx.hex}`),
    ...c.adaptorItems.map((it) => `${bytesToHex(it.point)} ${bytesToHex(it.sighash)}`),
  ];
}

/** The error's class and message, or 'ok'. */
async function outcome(f: () => unknown): Promise<string> {
  try {
    await f();
    return 'ok';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const files = readdirSync(join(vectorsDir, 'dlcspecs', 'test', 'test_vectors'))
  .filter((f) => f.endsWith('.json'))
  .sort();

describe.skipIf(skipNative)(
  'native points + worker pool = noble reference, protocol-v1 vectors',
  () => {
    const pool = new AdaptorWorkerPool({ size: 2 });
    afterAll(() => pool.close());
    const runner = adaptorRunner({ pool, minSignatures: 1 });
    const points = layoutPointOps('native');

    it.each(files)(
      '%s',
      async (file) => {
        const v = loadVector<Vector>(`dlcspecs/test/test_vectors/${file}`);
        const offer = decodeOfferDlc(hexToBytes(v.offer_message.serialized));
        const accept = decodeAcceptDlc(hexToBytes(v.accept_message.serialized));
        const sign = decodeSignDlc(hexToBytes(v.sign_message.serialized));
        const params = {
          offer,
          accept,
          convention: 'sha256' as const,
          utxos: chainOf(accept.fundingInputs),
        };
        clearDerivedContracts();
        const reference = await outcome(() =>
          verifyAccept({ ...params, points: nobleLayoutPoints }),
        );
        clearDerivedContracts();
        const fast = await outcome(() =>
          verifyAcceptAsync({ ...params, points, runner, scheme: ecdsaAdaptor('native') }),
        );
        expect(fast).toBe(reference);
        if (file.includes('with_diff')) {
          expect(reference).toContain(UnsupportedContractError.name);
          return;
        }
        if (/^enum_and_numerical_\d/.test(file)) {
          expect(reference).toContain(InvalidCetAdaptorSignaturesError.name);
          return;
        }
        expect(reference).toBe('ok');
        clearDerivedContracts();
        const slow = fingerprint(verifySign({ offer, accept, sign, convention: 'sha256' }));
        clearDerivedContracts();
        const native = fingerprint(
          await verifySignAsync({ offer, accept, sign, convention: 'sha256', points, runner }),
        );
        expect(native).toEqual(slow);
        // cached: the same contract again (the accept's signatures do not matter)
        const again = deriveContract(
          offer,
          { ...accept, cetAdaptorSignatures: [], refundSignature: new Uint8Array(64) },
          'sha256',
        );
        expect(fingerprint(again)).toEqual(slow);
        expect(again.accept.cetAdaptorSignatures).toEqual([]);
        expect(bytesToHex(deriveContractId(offer, accept))).toBe(bytesToHex(sign.contractId));
        // another convention is another contract: not served from the cache
        clearDerivedContracts();
        const tagged = deriveContract(offer, accept, 'tagged', points);
        expect(fingerprint(tagged)[0]).toBe(slow[0]); // same funding, same id …
        expect(fingerprint(tagged).slice(2)).not.toEqual(slow.slice(2)); // … other adaptor points
      },
      120_000,
    );
  },
);
