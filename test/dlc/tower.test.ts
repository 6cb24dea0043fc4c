/**
 * The tower's pure part (`src/dlc/tower.ts`), as properties over random milestone contracts
 * (enum or share, client or freelancer offering, random amount, either side uploading) built
 * through the real protocol (offer → accept → sign):
 * - a verified upload completes exactly the CET of the attested outcome, whose outputs pay that
 *   outcome's payouts; no other CET gets a valid witness, and attestations that are not the
 *   oracle's for this event (another outcome's signatures, another key, a tampered signature)
 *   complete nothing;
 * - any single mutated byte in any uploaded signature, counterparty adaptor signature or refund
 *   signature is refused with a typed error;
 * - an upload for another event or oracle is refused.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { RawTx } from '@scure/btc-signer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateOracleMnemonic, oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import { createAttestation } from '../../src/dlc/attestation.ts';
import { hash160, type FundingInput } from '../../src/dlc/funding-input.ts';
import type { OracleAttestation } from '../../src/dlc/oracle-types.ts';
import {
  acceptOffer,
  createOffer,
  fundingInputOutpoints,
  outpointKey,
  signAccept,
  type PartySide,
  type UtxoLookup,
} from '../../src/dlc/protocol.ts';
import { freelancerPayoutForShare } from '../../src/dlc/share-contract.ts';
import {
  completeAttestedCet,
  completeTowerRefund,
  InvalidTowerUploadError,
  towerCetSignatures,
  verifyTowerUpload,
  type TowerSide,
  type TowerUpload,
} from '../../src/dlc/tower.ts';
import { verifyFundingSpendSignature } from '../../src/dlc/transactions.ts';
import { ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import {
  milestoneContractInfo,
  milestoneDlcTerms,
  offerCollateralOf,
  type MilestoneTerms,
} from '../../src/party/milestone-terms.ts';
import { descriptorFor } from '../../oracle/domain/outcomes.ts';

const oracle = oracleKeysFromMnemonic(generateOracleMnemonic());
const otherOracle = oracleKeysFromMnemonic(generateOracleMnemonic());
const CHAIN = new Uint8Array(32).fill(6);
const scheme = ecdsaAdaptor();

function key(seed: number): { sk: Uint8Array; spk: Uint8Array } {
  const sk = new Uint8Array(32).fill(seed);
  sk[0] = 1;
  const pk = secp256k1.getPublicKey(sk, true);
  return { sk, spk: Uint8Array.of(0x00, 0x14, ...hash160(pk)) };
}

function coin(spk: Uint8Array, valueSat: bigint, serial: bigint): FundingInput {
  const prevTx = RawTx.encode({
    version: 2,
    segwitFlag: false,
    inputs: [
      {
        txid: new Uint8Array(32).fill(Number(serial)),
        index: 0,
        finalScriptSig: new Uint8Array(0),
        sequence: 0xffffffff,
      },
    ],
    outputs: [{ amount: valueSat, script: spk }],
    witnesses: undefined,
    lockTime: 0,
  });
  return {
    inputSerialId: serial,
    prevTx,
    prevTxVout: 0,
    sequence: 0xffffffff,
    maxWitnessLen: 107,
    redeemScript: new Uint8Array(0),
  };
}

type TxOut = { amount: bigint; script: Uint8Array };

function chainOf(inputs: readonly FundingInput[]): UtxoLookup {
  const out = new Map<string, { valueSat: bigint; scriptPubKey: Uint8Array }>();
  for (const input of inputs) {
    const { txid, vout } = fundingInputOutpoints([input])[0]!;
    const o = (RawTx.decode(input.prevTx).outputs as TxOut[])[vout]!;
    out.set(outpointKey(txid, vout), { valueSat: o.amount, scriptPubKey: o.script });
  }
  return out;
}

function side(seed: number, inputs: FundingInput[], walletSk: Uint8Array): PartySide {
  return {
    fundingSecretKey: key(seed).sk,
    payoutSpk: key(seed + 1).spk,
    payoutSerialId: BigInt(seed) * 10n + 1n,
    changeSpk: key(seed + 2).spk,
    changeSerialId: BigInt(seed) * 10n + 2n,
    inputs,
    inputSecretKey: () => walletSk,
  };
}

interface Case {
  readonly kind: 'enum' | 'share';
  readonly offererRole: 'client' | 'freelancer';
  readonly amountSat: bigint;
  readonly eventNo: number;
}

/** A signed milestone DLC through the real protocol, and both parties' keys. */
function signedContract(c: Case) {
  const announcement = createAnnouncement(oracle, {
    eventId: `verdict/tower-test/${c.eventNo}/0123456789abcdef`,
    maturityEpochSec: 1_800_000_000,
    descriptor: descriptorFor(c.kind),
  });
  const terms: MilestoneTerms = {
    eventId: announcement.event.eventId,
    oraclePublicKey: Buffer.from(oracle.publicKey).toString('hex'),
    outcome: c.kind,
    amountSat: c.amountSat,
    offererRole: c.offererRole,
    funding: 'single',
    feeRatePerVb: 2n,
    refundMarginSec: 7 * 86_400,
    convention: 'tagged',
  };
  const wallet = key(90);
  const clientInputs = [coin(wallet.spk, c.amountSat + 100_000n, 3n)];
  const offererSide = side(10, c.offererRole === 'client' ? clientInputs : [], wallet.sk);
  const accepterSide = side(20, c.offererRole === 'client' ? [] : clientInputs, wallet.sk);
  const offer = createOffer({
    chainHash: CHAIN,
    temporaryContractId: new Uint8Array(32).fill(c.eventNo % 250),
    contractInfo: milestoneContractInfo(terms, announcement),
    offerCollateral: offerCollateralOf(terms),
    side: offererSide,
    fundOutputSerialId: 5n,
    feeRatePerVb: 2n,
    refundLocktime: 1_800_000_000 + 7 * 86_400,
  });
  const { accept, contract } = acceptOffer({
    offer,
    terms: milestoneDlcTerms(terms, CHAIN),
    utxos: chainOf(offer.fundingInputs),
    side: accepterSide,
    scheme,
  });
  const { sign } = signAccept({
    offer,
    accept,
    convention: 'tagged',
    utxos: chainOf(accept.fundingInputs),
    side: offererSide,
    scheme,
  });
  const upload = (s: TowerSide): TowerUpload => ({
    offer,
    accept,
    sign,
    side: s,
    cetSignatures: towerCetSignatures(
      { ...contract, offer, accept },
      s,
      (s === 'offer' ? offererSide : accepterSide).fundingSecretKey,
    ),
  });
  return { announcement, terms, contract, upload, offererSide, accepterSide };
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  kind: fc.constantFrom('enum' as const, 'share' as const),
  offererRole: fc.constantFrom('client' as const, 'freelancer' as const),
  amountSat: fc.bigInt({ min: 20_000n, max: 2_000_000n }),
  eventNo: fc.integer({ min: 0, max: 1_000_000 }),
});

const expected = (announcementEventId: string, convention: 'tagged' = 'tagged') => ({
  oraclePublicKey: oracle.publicKey,
  eventId: announcementEventId,
  convention,
});

/** The freelancer's payout for an outcome, and the spk that receives it. */
function freelancerPayout(kind: 'enum' | 'share', amount: bigint, outcome: string | bigint) {
  if (kind === 'enum') return outcome === 'accepted' ? amount : 0n;
  return freelancerPayoutForShare(amount, Number(outcome));
}

describe('completion', () => {
  it('completes exactly the attested outcome’s CET, with that outcome’s payouts', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.constantFrom<TowerSide>('offer', 'accept'),
        fc.integer({ min: 0, max: 127 }),
        fc.boolean(),
        (c, uploader, share, accepted) => {
          const { announcement, contract, upload, offererSide, accepterSide } = signedContract(c);
          const job = verifyTowerUpload(
            upload(uploader),
            expected(announcement.event.eventId),
            scheme,
          );
          const outcome: string | bigint =
            c.kind === 'enum' ? (accepted ? 'accepted' : 'rejected') : BigInt(share);
          const att = createAttestation(oracle, announcement, outcome);
          const { tx, cetIndex } = completeAttestedCet(job, att);
          // Independently: the payouts of the attested outcome.
          const fl = freelancerPayout(c.kind, c.amountSat, outcome);
          const freelancerSpk = (c.offererRole === 'client' ? accepterSide : offererSide).payoutSpk;
          const outs = RawTx.decode(tx.toBytes(true, true)).outputs as TxOut[];
          const paid = outs
            .filter((o) => Buffer.from(o.script).equals(Buffer.from(freelancerSpk)))
            .reduce((s, o) => s + o.amount, 0n);
          expect(paid).toBe(fl >= 1000n ? fl : 0n);
          expect(tx.id).toBe(contract.cets.cets[cetIndex]!.tx.id);
          // The witness signatures are valid for this CET and for no other.
          const witness = tx.getInput(0).finalScriptWitness!;
          const { fundingScript, fundOutputValue } = contract.funding;
          const derToCompact = (der: Uint8Array) =>
            secp256k1.Signature.fromBytes(der.subarray(0, -1), 'der').toBytes('compact');
          const sigs = [witness[1]!, witness[2]!].map(derToCompact);
          const pubs = [contract.offer.fundingPubkey, contract.accept.fundingPubkey];
          contract.cets.cets.forEach((other, i) => {
            if (i === cetIndex || other.tx.id === tx.id) return;
            for (const sig of sigs)
              for (const pub of pubs)
                expect(
                  verifyFundingSpendSignature(other.tx, fundingScript, fundOutputValue, sig, pub),
                ).toBe(false);
          });
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);

  it('attestations that are not the oracle’s for this outcome complete nothing', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 6 }), (c, digit) => {
        const { announcement, upload } = signedContract(c);
        const job = verifyTowerUpload(upload('accept'), expected(announcement.event.eventId));
        const real = createAttestation(oracle, announcement, c.kind === 'enum' ? 'accepted' : 100n);
        const forgeries: OracleAttestation[] = [];
        // The outcome string changed, the signatures kept (the tower cannot pick another one).
        const flipped = [...real.outcomes];
        const i = c.kind === 'enum' ? 0 : digit;
        flipped[i] = c.kind === 'enum' ? 'rejected' : flipped[i] === '0' ? '1' : '0';
        forgeries.push({ ...real, outcomes: flipped });
        // A signature byte changed.
        const sigs = real.signatures.map((s) => s.slice());
        const target = sigs[Math.min(i, sigs.length - 1)]!;
        target[40] = target[40]! ^ 1;
        forgeries.push({ ...real, signatures: sigs });
        // Another oracle key (its own valid signatures on its own announcement).
        const foreign = createAnnouncement(otherOracle, {
          eventId: announcement.event.eventId,
          maturityEpochSec: 1_800_000_000,
          descriptor: descriptorFor(c.kind),
        });
        forgeries.push(
          createAttestation(otherOracle, foreign, c.kind === 'enum' ? 'rejected' : 0n),
        );
        for (const f of forgeries) expect(() => completeAttestedCet(job, f)).toThrow();
      }),
      { numRuns: 8 },
    );
  }, 240_000);

  it('the refund is completed from the messages alone', () => {
    const { announcement, contract, upload } = signedContract({
      kind: 'enum',
      offererRole: 'client',
      amountSat: 150_000n,
      eventNo: 1,
    });
    const job = verifyTowerUpload(upload('offer'), expected(announcement.event.eventId));
    const tx = completeTowerRefund(job);
    expect(tx.id).toBe(contract.refundTx.id);
    expect(tx.getInput(0).finalScriptWitness).toHaveLength(4);
  });
});

describe('upload refusals', () => {
  it('any mutated signature byte is refused with a typed error', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.constantFrom<TowerSide>('offer', 'accept'),
        fc.constantFrom('own-cet', 'adaptor', 'refund-offer', 'refund-accept'),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (c, uploader, where, which, at, xor) => {
          const { announcement, upload } = signedContract(c);
          const u = upload(uploader);
          const flip = (sigs: readonly Uint8Array[]): Uint8Array[] => {
            const out = sigs.map((s) => s.slice());
            const s = out[which % out.length]!;
            s[at % s.length]! ^= xor;
            return out;
          };
          let mutated: TowerUpload;
          let code: string;
          if (where === 'own-cet') {
            mutated = { ...u, cetSignatures: flip(u.cetSignatures) };
            code = 'invalid_cet_signature';
          } else if (where === 'adaptor') {
            mutated =
              uploader === 'offer'
                ? {
                    ...u,
                    accept: {
                      ...u.accept,
                      cetAdaptorSignatures: flip(u.accept.cetAdaptorSignatures),
                    },
                  }
                : {
                    ...u,
                    sign: { ...u.sign, cetAdaptorSignatures: flip(u.sign.cetAdaptorSignatures) },
                  };
            code = 'invalid_cet_adaptor_signature';
          } else if (where === 'refund-offer') {
            mutated = {
              ...u,
              sign: { ...u.sign, refundSignature: flip([u.sign.refundSignature])[0]! },
            };
            code = 'invalid_refund_signature';
          } else {
            mutated = {
              ...u,
              accept: { ...u.accept, refundSignature: flip([u.accept.refundSignature])[0]! },
            };
            code = 'invalid_refund_signature';
          }
          let caught: unknown;
          try {
            verifyTowerUpload(mutated, expected(announcement.event.eventId), scheme);
          } catch (e) {
            caught = e;
          }
          expect(caught).toBeInstanceOf(InvalidTowerUploadError);
          expect((caught as InvalidTowerUploadError).code).toBe(code);
        },
      ),
      { numRuns: 25 },
    );
  }, 240_000);

  it('an upload for another event or another oracle is refused', () => {
    const { announcement, upload } = signedContract({
      kind: 'share',
      offererRole: 'client',
      amountSat: 150_000n,
      eventNo: 2,
    });
    const u = upload('accept');
    expect(() => verifyTowerUpload(u, expected('verdict/other/0/0123456789abcdef'))).toThrow(
      expect.objectContaining({ code: 'tower_wrong_oracle' }),
    );
    expect(() =>
      verifyTowerUpload(u, {
        ...expected(announcement.event.eventId),
        oraclePublicKey: otherOracle.publicKey,
      }),
    ).toThrow(expect.objectContaining({ code: 'tower_wrong_oracle' }));
    expect(() =>
      verifyTowerUpload(
        { ...u, cetSignatures: u.cetSignatures.slice(1) },
        expected(announcement.event.eventId),
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid_cet_signature' }));
  });
});
