/**
 * Bad counterparty messages are refused with a named error before anything is signed, stored or
 * broadcast (issue 5 acceptance): a wrong adaptor signature, a wrong refund signature, a spent or
 * non-existent funding input, a fee below the agreed rate, an announcement from another oracle
 * key, a tampered payout. Real devnet, real oracle, two data dirs.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { RawTx, Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGTEST_NETWORK } from '../../src/chain/devnet/index.ts';
import { generateOracleMnemonic, oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { InvalidCetAdaptorSignaturesError } from '../../src/dlc/adaptor-set.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import {
  decodeAcceptDlc,
  decodeOfferDlc,
  decodeSignDlc,
  encodeAcceptDlc,
  encodeOfferDlc,
  encodeSignDlc,
  type OfferDlc,
} from '../../src/dlc/messages.ts';
import { fundingInputPrevout } from '../../src/dlc/funding-input.ts';
import {
  ContractTermsMismatchError,
  FeeRateTooLowError,
  FundingInputUnavailableError,
  InvalidRefundSignatureError,
  UnexpectedOracleError,
} from '../../src/dlc/protocol.ts';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { MilestoneTerms } from '../../src/party/milestone-terms.ts';
import { ContractStateError } from '../../src/party/party.ts';
import {
  fundParty,
  milestoneTerms,
  MINER_ADDRESS,
  oracleContract,
  startWorld,
  type World,
} from './helpers.ts';
import type { CreatedContract } from '../oracle/helpers.ts';

let world: World;
let c: CreatedContract;
let terms: MilestoneTerms;

beforeAll(async () => {
  world = await startWorld();
  await fundParty(
    world,
    world.client,
    Array.from({ length: 10 }, () => 300_000n),
  );
  c = await oracleContract(world, ['enum']);
  terms = await milestoneTerms(world, c, 0);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

async function honestOffer(t: MilestoneTerms = terms): Promise<Uint8Array> {
  const announcement = await world.oracle.announcement(t.eventId);
  return (await world.client.offer({ terms: t, announcement })).offer;
}

function withOffer(bytes: Uint8Array, change: (o: OfferDlc) => OfferDlc): Uint8Array {
  return encodeOfferDlc(change(decodeOfferDlc(bytes)));
}

/** The freelancer refuses `offer` with `error`, and stores and signs nothing. */
async function expectAcceptRefused(
  offer: Uint8Array,
  error: new (...args: never[]) => Error,
  code: string,
  t: MilestoneTerms = terms,
): Promise<void> {
  const before = world.freelancer.store.listContracts().length;
  const refused = await world.freelancer.accept({ offer, terms: t }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(refused).toBeInstanceOf(error);
  expect((refused as { code: string }).code).toBe(code);
  expect(world.freelancer.store.listContracts()).toHaveLength(before);
}

describe('the accepter refuses an offer', () => {
  it('with an announcement from another oracle key', async () => {
    const real = await world.oracle.announcement(terms.eventId);
    const forged = createAnnouncement(oracleKeysFromMnemonic(generateOracleMnemonic()), {
      eventId: real.event.eventId,
      maturityEpochSec: real.event.maturityEpochSec,
      descriptor: real.event.descriptor,
    });
    // A client who trusts the forger makes a self-consistent offer on the forged announcement.
    const offer = (
      await world.client.offer({
        terms: { ...terms, oraclePublicKey: bytesToHex(forged.oraclePublicKey) },
        announcement: forged,
      })
    ).offer;
    await expectAcceptRefused(offer, UnexpectedOracleError, 'unexpected_oracle');
  });

  it('with a tampered payout', async () => {
    const offer = withOffer(await honestOffer(), (o) => {
      const part = o.contractInfo.parts[0]!;
      if (part.descriptor.kind !== 'enum') throw new Error('enum expected');
      // The client (offerer) would keep 50 000 sat even when the work is accepted.
      const payouts = part.descriptor.payouts.map((p) =>
        p.outcome === 'accepted' ? { ...p, offerPayout: 50_000n } : p,
      );
      return {
        ...o,
        contractInfo: {
          ...o.contractInfo,
          parts: [{ ...part, descriptor: { kind: 'enum', payouts } }],
        },
      };
    });
    await expectAcceptRefused(offer, ContractTermsMismatchError, 'contract_terms_mismatch');
  });

  it('with a fee rate below the agreed rate', async () => {
    const offer = await honestOffer({ ...terms, feeRatePerVb: 1n });
    await expectAcceptRefused(offer, FeeRateTooLowError, 'fee_rate_too_low', {
      ...terms,
      feeRatePerVb: 2n,
    });
  });

  it('with a funding input that does not exist', async () => {
    const offer = withOffer(await honestOffer(), (o) => {
      const input = o.fundingInputs[0]!;
      // The same previous transaction with a larger output: a transaction no chain has.
      const tx = RawTx.decode(input.prevTx);
      const outputs = tx.outputs.map((out, i) =>
        i === input.prevTxVout ? { ...out, amount: out.amount + 1_000_000n } : out,
      );
      const prevTx = RawTx.encode({ ...tx, outputs });
      return { ...o, fundingInputs: [{ ...input, prevTx }, ...o.fundingInputs.slice(1)] };
    });
    await expectAcceptRefused(offer, FundingInputUnavailableError, 'funding_input_unavailable');
  });

  it('with a funding input already spent', async () => {
    const offer = await honestOffer();
    // The client spends the coin of its own offer elsewhere before the freelancer looks.
    const input = decodeOfferDlc(offer).fundingInputs[0]!;
    const prevout = fundingInputPrevout(input);
    const key = world.client.wallet.secretKeyForSpk(prevout.script);
    const spend = new Transaction();
    spend.addInput({
      txid: prevout.txid,
      index: prevout.index,
      witnessUtxo: { script: prevout.script, amount: prevout.amount },
    });
    spend.addOutputAddress(MINER_ADDRESS, prevout.amount - 500n, REGTEST_NETWORK);
    spend.sign(key);
    spend.finalize();
    await world.node.rpc.sendRawTransaction(spend.hex);
    await expectAcceptRefused(offer, FundingInputUnavailableError, 'funding_input_unavailable');
    await world.mine(1);
  });
});

describe('the offerer refuses an accept, the accepter a sign', () => {
  it('with a wrong CET adaptor signature or refund signature; nothing is signed or broadcast', async () => {
    const offer = await honestOffer();
    const { accept } = await world.freelancer.accept({ offer, terms });
    const a = decodeAcceptDlc(accept);
    const swapped = encodeAcceptDlc({
      ...a,
      cetAdaptorSignatures: [a.cetAdaptorSignatures[1]!, a.cetAdaptorSignatures[0]!],
    });
    await expect(world.client.sign({ accept: swapped })).rejects.toThrow(
      InvalidCetAdaptorSignaturesError,
    );
    const badRefund = encodeAcceptDlc({
      ...a,
      refundSignature: secp256k1.sign(
        new Uint8Array(32).fill(7),
        world.client.wallet.fundingKey(99).secretKey,
        { prehash: false },
      ),
    });
    await expect(world.client.sign({ accept: badRefund })).rejects.toThrow(
      InvalidRefundSignatureError,
    );
    const tempId = bytesToHex(decodeOfferDlc(offer).temporaryContractId);
    expect(world.client.store.findContract(tempId)).toMatchObject({
      state: 'offered',
      sign_hex: null,
    });

    // The honest accept goes through; a sign with swapped adaptor signatures does not.
    const { sign, contract } = await world.client.sign({ accept });
    const s = decodeSignDlc(sign);
    const badSign = encodeSignDlc({
      ...s,
      cetAdaptorSignatures: [s.cetAdaptorSignatures[1]!, s.cetAdaptorSignatures[0]!],
    });
    await expect(world.freelancer.finalize({ sign: badSign })).rejects.toThrow(
      InvalidCetAdaptorSignaturesError,
    );
    expect(world.freelancer.store.findContract(tempId)).toMatchObject({
      state: 'accepted',
      funding_tx_hex: null,
    });
    expect(await world.node.rpc.getTransaction(contract.funding_txid!)).toBeNull();
  });
});

describe('withdrawing refused offers', () => {
  it('cancel frees the coins of offers not yet signed; a cancelled offer cannot be signed', async () => {
    const offer = await honestOffer();
    const { accept } = await world.freelancer.accept({ offer, terms });
    const open = world.client.store.listContracts().filter((r) => r.state === 'offered');
    expect(open.length).toBeGreaterThan(1);
    const before = await world.client.wallet.balanceSat();
    const reserved = world.client.store.reservedOutpoints().size;
    for (const row of open) world.client.cancel(String(row.id));
    // Only the coin of the contract signed above stays reserved.
    const signed = world.client.store.listContracts().filter((r) => r.state === 'signed');
    expect(signed).toHaveLength(1);
    expect(world.client.store.reservedOutpoints().size).toBe(1);
    expect(await world.client.wallet.balanceSat()).toBeGreaterThan(before);
    expect(reserved).toBeGreaterThan(0);
    await expect(world.client.sign({ accept })).rejects.toThrow(ContractStateError);
    expect(() => world.client.cancel(String(open[0]!.id))).toThrow(ContractStateError);
  });
});
