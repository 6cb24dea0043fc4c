/**
 * Issue 14 item 3: a party funds its side of a DLC from an external wallet through PSBTs. The
 * external signer here shares no code with the Verdict wallet: its own key, its own address, its
 * own PSBT built and signed with @scure/btc-signer's Transaction API. For the offerer and for the
 * accepter the contract funds on the devnet and settles; a PSBT tampered with between the two
 * steps is refused with a typed error and nothing is broadcast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { p2ms, p2pkh, p2sh, p2tr, p2wpkh, p2wsh, RawTx, Transaction } from '@scure/btc-signer';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDlc, type DlcIo } from '../../scripts/cli/dlc.ts';
import { REGTEST_NETWORK } from '../../src/chain/devnet/index.ts';
import { termsToJson } from '../../src/party/milestone-terms.ts';
import { decodeOfferDlc, decodeSignDlc } from '../../src/dlc/messages.ts';
import { verifyFundingWitness } from '../../src/dlc/transactions.ts';
import { InvalidFundingSignatureError } from '../../src/dlc/protocol.ts';
import { SignedPsbtRequiredError, type Party } from '../../src/party/party.ts';
import { FundingPsbtError, PsbtMismatchError, readPsbtBytes } from '../../src/party/psbt.ts';
import type { ContractRow } from '../../src/party/store.ts';
import type { CreatedContract } from '../oracle/helpers.ts';
import {
  decide,
  devnetOf,
  fundParty,
  PASSPHRASE,
  milestoneTerms,
  oracleContract,
  startWorld,
  type World,
} from './helpers.ts';

let world: World;
let c: CreatedContract;
const AMOUNT = 150_000n;

/**
 * The external wallet: one key, P2WPKH or P2SH-P2WPKH, or a k-of-n multisig P2WSH of its own
 * keys (scure's p2ms/p2wsh), its own PSBTs.
 */
class ExternalSigner {
  readonly secretKey = secp256k1.utils.randomSecretKey();
  readonly publicKey = secp256k1.getPublicKey(this.secretKey, true);
  readonly multisigKeys: Uint8Array[] = [];
  readonly pay: {
    script: Uint8Array;
    address: string;
    redeemScript?: Uint8Array;
    witnessScript?: Uint8Array;
    tapInternalKey?: Uint8Array;
  };
  readonly changePay = p2wpkh(
    secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true),
    REGTEST_NETWORK,
  );
  constructor(kind: 'p2wpkh' | 'p2sh-p2wpkh' | 'p2tr' | { m: number; n: number } = 'p2wpkh') {
    if (kind === 'p2tr') {
      const internal = this.publicKey.subarray(1);
      const pay = p2tr(internal, undefined, REGTEST_NETWORK);
      this.pay = { script: pay.script, address: pay.address, tapInternalKey: internal };
      return;
    }
    if (typeof kind === 'object') {
      for (let i = 0; i < kind.n; i++) this.multisigKeys.push(secp256k1.utils.randomSecretKey());
      const ms = p2ms(
        kind.m,
        this.multisigKeys.map((k) => secp256k1.getPublicKey(k, true)),
      );
      const pay = p2wsh(ms, REGTEST_NETWORK);
      this.pay = { script: pay.script, address: pay.address, witnessScript: ms.script };
      return;
    }
    const wrapped = kind === 'p2sh-p2wpkh';
    const inner = p2wpkh(this.publicKey, REGTEST_NETWORK);
    const pay = wrapped ? p2sh(inner, REGTEST_NETWORK) : inner;
    this.pay = {
      script: pay.script,
      address: pay.address,
      ...(wrapped ? { redeemScript: inner.script } : {}),
    };
  }

  /** Like Core's walletcreatefundedpsbt: the coin it chose, its change output (base64). */
  async fundingPsbt(
    coinSat: bigint,
    withPrevTx: boolean,
    withWitnessScript = true,
  ): Promise<string> {
    const { txid } = await world.fund(this.pay.address, coinSat);
    const raw = await world.node.rpc.getRawTransaction(txid);
    const outs = RawTx.decode(raw).outputs as { script: Uint8Array; amount: bigint }[];
    const vout = outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(this.pay.script));
    const tx = new Transaction({ version: 2 });
    tx.addInput({
      txid,
      index: vout,
      witnessUtxo: { script: this.pay.script, amount: coinSat },
      ...(withPrevTx ? { nonWitnessUtxo: raw } : {}),
      ...(this.pay.redeemScript === undefined ? {} : { redeemScript: this.pay.redeemScript }),
      ...(this.pay.witnessScript === undefined || !withWitnessScript
        ? {}
        : { witnessScript: this.pay.witnessScript }),
      ...(this.pay.tapInternalKey === undefined ? {} : { tapInternalKey: this.pay.tapInternalKey }),
    });
    tx.addOutput({ script: this.changePay.script, amount: coinSat - 100_000n });
    return Buffer.from(tx.toPSBT()).toString('base64');
  }

  /** Like Core's walletprocesspsbt: signs the inputs it owns (base64 in, base64 out). */
  sign(psbt: Uint8Array): Uint8Array {
    const tx = Transaction.fromPSBT(psbt);
    for (let i = 0; i < tx.inputsLength; i++) {
      const utxo = tx.getInput(i).witnessUtxo;
      if (utxo !== undefined && bytesToHex(utxo.script) === bytesToHex(this.pay.script)) {
        if (this.multisigKeys.length === 0) tx.signIdx(this.secretKey, i);
        for (const key of this.multisigKeys) tx.signIdx(key, i);
      }
    }
    return tx.toPSBT();
  }
}

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [400_000n]);
  await fundParty(world, world.freelancer, [50_000n, 120_000n]);
  c = await oracleContract(world, [
    'enum',
    'enum',
    'enum',
    'enum',
    'enum',
    'enum',
    'enum',
    'enum',
    'enum',
    'enum',
  ]);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

/** Mines, polls both to `confirmed`; then the attested outcome settles through the freelancer. */
async function settleAccepted(index: number, clientRow: ContractRow, fRow: ContractRow) {
  await world.mine(1);
  await world.client.poll(world.oracle);
  await world.freelancer.poll(world.oracle);
  expect(world.client.store.getContract(clientRow.id).state).toBe('confirmed');
  expect(world.freelancer.store.getContract(fRow.id).state).toBe('confirmed');
  await decide(world, c, index, 'accepted');
  const actions = await world.freelancer.poll(world.oracle);
  expect(actions.find((a) => a.contract === fRow.id)?.action).toBe('cet_broadcast');
  await world.mine(1);
  for (const p of [world.client, world.freelancer, world.client]) await p.poll(world.oracle);
  expect(world.client.store.getContract(clientRow.id).state).toBe('settled');
  expect(world.freelancer.store.getContract(fRow.id).state).toBe('settled');
}

async function changeOnChain(signer: ExternalSigner, fundingTxid: string): Promise<bigint> {
  const raw = await world.node.rpc.getRawTransaction(fundingTxid);
  const outs = RawTx.decode(raw).outputs as { script: Uint8Array; amount: bigint }[];
  return outs
    .filter((o) => bytesToHex(o.script) === bytesToHex(signer.changePay.script))
    .reduce((s, o) => s + o.amount, 0n);
}

describe('fund from an external wallet (PSBT)', () => {
  it('the offerer (client, single-funded) funds from the external wallet; it funds and settles', async () => {
    const signer = new ExternalSigner();
    const clientBefore = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 0);
    const announcement = await world.oracle.announcement(terms.eventId);
    // Without non_witness_utxo: the previous transaction comes from the node.
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(300_000n, false)));
    const { offer, contract: cRow } = await world.client.offer({
      terms,
      announcement,
      fundingPsbt: psbt,
    });
    const { accept } = await world.freelancer.accept({ offer, terms });
    // Signing needs the external wallet's signatures.
    await expect(world.client.sign({ accept })).rejects.toBeInstanceOf(SignedPsbtRequiredError);
    const unsigned = await world.client.fundingPsbt({ message: accept });
    // What the wallet is asked to sign: witness UTXO, previous tx, and only its coin.
    const view = Transaction.fromPSBT(unsigned.psbt);
    expect(view.inputsLength).toBe(1);
    expect(view.getInput(0).witnessUtxo?.amount).toBe(300_000n);
    expect(view.getInput(0).nonWitnessUtxo).toBeDefined();
    const { sign } = await world.client.sign({ accept, signedPsbt: signer.sign(unsigned.psbt) });
    const { contract: fRow, fundingTxid } = await world.freelancer.finalize({ sign });
    expect(fundingTxid).toBe(unsigned.fundingTxid);
    const { contract } = world.freelancer.contractOf(world.freelancer.store.getContract(fRow.id));
    const fees = contract.funding.fees.offer;
    expect(await changeOnChain(signer, fundingTxid)).toBe(
      300_000n - AMOUNT - fees.fundingFee - fees.closingFee,
    );
    await settleAccepted(0, cRow, fRow);
    // The Verdict wallets: the client's untouched, the freelancer paid the whole amount.
    expect(await world.client.wallet.balanceSat()).toBe(clientBefore);
    expect(await world.freelancer.wallet.balanceSat()).toBe(freelancerBefore + AMOUNT);
  }, 120_000);

  it('the accepter (client of a freelancer offer) funds from the external wallet; it funds and settles', async () => {
    const signer = new ExternalSigner();
    const clientBefore = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 1, { offererRole: 'freelancer' });
    const announcement = await world.oracle.announcement(terms.eventId);
    const { offer, contract: fRow } = await world.freelancer.offer({ terms, announcement });
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(260_000n, true)));
    const { contract: cRow, accept } = await world.client.accept({
      offer,
      terms,
      fundingPsbt: psbt,
    });
    const { sign } = await world.freelancer.sign({ accept });
    await expect(world.client.finalize({ sign })).rejects.toBeInstanceOf(SignedPsbtRequiredError);
    const unsigned = await world.client.fundingPsbt({ message: sign });
    const { fundingTxid } = await world.client.finalize({
      sign,
      signedPsbt: signer.sign(unsigned.psbt),
    });
    expect(fundingTxid).toBe(unsigned.fundingTxid);
    expect(await world.node.rpc.getMempoolEntry(fundingTxid)).not.toBeNull();
    await settleAccepted(1, cRow, fRow);
    expect(await world.client.wallet.balanceSat()).toBe(clientBefore);
    expect(await world.freelancer.wallet.balanceSat()).toBe(freelancerBefore + AMOUNT);
  }, 120_000);

  it('dual-funded: the offerer side from the external wallet, the accepter side from its Verdict wallet', async () => {
    const signer = new ExternalSigner();
    const clientBefore = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 5, {
      funding: 'dual',
      offerCollateralSat: 100_000n,
    });
    const announcement = await world.oracle.announcement(terms.eventId);
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(200_000n, true)));
    const { offer, contract: cRow } = await world.client.offer({
      terms,
      announcement,
      fundingPsbt: psbt,
    });
    const { accept, contract: fRow } = await world.freelancer.accept({ offer, terms });
    const unsigned = await world.client.fundingPsbt({ message: accept });
    // Every input has its witness UTXO; the external wallet signs only its own.
    const view = Transaction.fromPSBT(unsigned.psbt);
    expect(view.inputsLength).toBeGreaterThan(1);
    for (let i = 0; i < view.inputsLength; i++) {
      expect(view.getInput(i).witnessUtxo).toBeDefined();
    }
    const { sign } = await world.client.sign({ accept, signedPsbt: signer.sign(unsigned.psbt) });
    const { fundingTxid } = await world.freelancer.finalize({ sign });
    expect(fundingTxid).toBe(unsigned.fundingTxid);
    await settleAccepted(5, cRow, fRow);
    const { contract } = world.freelancer.contractOf(world.freelancer.store.getContract(fRow.id));
    const fees = contract.funding.fees;
    expect(await changeOnChain(signer, fundingTxid)).toBe(
      200_000n - 100_000n - fees.offer.fundingFee - fees.offer.closingFee,
    );
    expect(await world.client.wallet.balanceSat()).toBe(clientBefore);
    expect(await world.freelancer.wallet.balanceSat()).toBe(
      freelancerBefore - 50_000n - fees.accept.fundingFee - fees.accept.closingFee + AMOUNT,
    );
    // The client's history lists no funding out of its Verdict wallet for this contract.
    const history = await world.client.walletHistory();
    expect(history.filter((h) => h.kind === 'dlc_funding' && h.txid === fundingTxid)).toEqual([]);
  }, 120_000);

  it('a PSBT tampered with between the two steps is refused; nothing is broadcast', async () => {
    const signer = new ExternalSigner();
    const terms = await milestoneTerms(world, c, 2, { offererRole: 'freelancer' });
    const announcement = await world.oracle.announcement(terms.eventId);
    const { offer } = await world.freelancer.offer({ terms, announcement });
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(260_000n, true)));
    const { contract: cRow, accept } = await world.client.accept({
      offer,
      terms,
      fundingPsbt: psbt,
    });
    const { sign } = await world.freelancer.sign({ accept });
    const unsigned = await world.client.fundingPsbt({ message: sign });

    // An output changed: the change takes 5,000 sat more (the wallet signs what it is shown).
    const moreChange = Transaction.fromPSBT(unsigned.psbt);
    const agreed = RawTx.decode(hexToBytes(bytesToHex(moreChange.toBytes(true, false))));
    const changeIndex = agreed.outputs.findIndex(
      (o: { script: Uint8Array }) => bytesToHex(o.script) === bytesToHex(signer.changePay.script),
    );
    moreChange.updateOutput(changeIndex, {
      amount: (agreed.outputs[changeIndex] as { amount: bigint }).amount + 5_000n,
    });
    await expect(
      world.client.finalize({ sign, signedPsbt: signer.sign(moreChange.toPSBT()) }),
    ).rejects.toBeInstanceOf(PsbtMismatchError);

    // An input added: another coin of the external wallet.
    const moreInputs = Transaction.fromPSBT(unsigned.psbt);
    const { txid } = await world.fund(signer.pay.address, 20_000n);
    moreInputs.addInput({
      txid,
      index: 0,
      witnessUtxo: { script: signer.pay.script, amount: 20_000n },
    });
    await expect(
      world.client.finalize({ sign, signedPsbt: signer.sign(moreInputs.toPSBT()) }),
    ).rejects.toBeInstanceOf(PsbtMismatchError);

    // The agreed transaction, signed by another key: the signature does not verify.
    const other = new ExternalSigner();
    const forged = Transaction.fromRaw(Transaction.fromPSBT(unsigned.psbt).toBytes(true, false), {
      allowUnknownOutputs: true,
    });
    forged.updateInput(0, { witnessUtxo: { script: other.pay.script, amount: 260_000n } });
    forged.signIdx(other.secretKey, 0);
    await expect(
      world.client.finalize({ sign, signedPsbt: forged.toPSBT() }),
    ).rejects.toBeInstanceOf(InvalidFundingSignatureError);

    // Unsigned: refused too.
    await expect(world.client.finalize({ sign, signedPsbt: unsigned.psbt })).rejects.toBeInstanceOf(
      PsbtMismatchError,
    );

    expect(await world.node.rpc.getMempoolEntry(unsigned.fundingTxid)).toBeNull();
    expect(await world.node.rpc.getTransaction(unsigned.fundingTxid)).toBeNull();
    const row = world.client.store.getContract(cRow.id);
    expect(row.state).toBe('accepted');
    expect(row.funding_tx_hex).toBeNull();
  }, 120_000);

  it('P2SH-P2WPKH: the funding transaction carries the redeem script; it funds and settles', async () => {
    const signer = new ExternalSigner('p2sh-p2wpkh');
    const clientBefore = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 6, { offererRole: 'freelancer' });
    const announcement = await world.oracle.announcement(terms.eventId);
    const { offer, contract: fRow } = await world.freelancer.offer({ terms, announcement });
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(260_000n, true)));
    const { contract: cRow, accept } = await world.client.accept({
      offer,
      terms,
      fundingPsbt: psbt,
    });
    const { sign } = await world.freelancer.sign({ accept });
    const unsigned = await world.client.fundingPsbt({ message: sign });
    expect(bytesToHex(Transaction.fromPSBT(unsigned.psbt).getInput(0).redeemScript!)).toBe(
      bytesToHex(signer.pay.redeemScript!),
    );
    // The devnet validates the nested spend as Core does (BIP16 + BIP141).
    const { fundingTxid } = await world.client.finalize({
      sign,
      signedPsbt: signer.sign(unsigned.psbt),
    });
    expect(fundingTxid).toBe(unsigned.fundingTxid);
    const funding = Transaction.fromRaw(await world.node.rpc.getRawTransaction(fundingTxid), {
      allowUnknownOutputs: true,
    });
    const input = funding.getInput(0);
    expect(bytesToHex(input.finalScriptSig!)).toBe('16' + bytesToHex(signer.pay.redeemScript!));
    expect(input.finalScriptWitness?.[1]).toEqual(signer.publicKey);
    await settleAccepted(6, cRow, fRow);
    expect(await world.client.wallet.balanceSat()).toBe(clientBefore);
    expect(await world.freelancer.wallet.balanceSat()).toBe(freelancerBefore + AMOUNT);
  }, 120_000);

  it('P2WSH 2-of-2 multisig (offerer): max_witness_len from the script; funds and settles to the sat', async () => {
    const signer = new ExternalSigner({ m: 2, n: 2 });
    const clientBefore = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 7);
    const announcement = await world.oracle.announcement(terms.eventId);
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(300_000n, true)));
    const { offer, contract: cRow } = await world.client.offer({
      terms,
      announcement,
      fundingPsbt: psbt,
    });
    // 1 count + 1 dummy + 2 × (1 + 72) + 1 + 71-byte script.
    const [fundingInput] = decodeOfferDlc(offer).fundingInputs;
    expect(fundingInput!.maxWitnessLen).toBe(1 + 1 + 2 * 73 + 1 + 71);
    const { accept } = await world.freelancer.accept({ offer, terms });
    const unsigned = await world.client.fundingPsbt({ message: accept });
    expect(bytesToHex(Transaction.fromPSBT(unsigned.psbt).getInput(0).witnessScript!)).toBe(
      bytesToHex(signer.pay.witnessScript!),
    );
    // One of the two signatures only: refused before anything is sent.
    const half = Transaction.fromPSBT(unsigned.psbt);
    half.signIdx(signer.multisigKeys[0]!, 0);
    await expect(world.client.sign({ accept, signedPsbt: half.toPSBT() })).rejects.toThrow(
      /has 1 of the 2 signatures/,
    );
    const { sign } = await world.client.sign({ accept, signedPsbt: signer.sign(unsigned.psbt) });
    // The signatures in the wrong order do not verify (CHECKMULTISIG matches keys in order).
    const { contract: offered } = world.client.contractOf(world.client.store.getContract(cRow.id));
    const good = decodeSignDlc(sign).fundingSignatures[0]! as Uint8Array[];
    expect(verifyFundingWitness(offered.funding, 0, good)).toBe(true);
    expect(verifyFundingWitness(offered.funding, 0, [good[0]!, good[2]!, good[1]!, good[3]!])).toBe(
      false,
    );
    // The freelancer verifies the offerer's multisig witness before it broadcasts.
    const { contract: fRow, fundingTxid } = await world.freelancer.finalize({ sign });
    expect(fundingTxid).toBe(unsigned.fundingTxid);
    const raw = await world.node.rpc.getRawTransaction(fundingTxid);
    const witness = Transaction.fromRaw(raw, { allowUnknownOutputs: true }).getInput(
      0,
    ).finalScriptWitness!;
    expect(witness).toHaveLength(4);
    expect(witness[0]).toHaveLength(0);
    expect(bytesToHex(witness[3]!)).toBe(bytesToHex(signer.pay.witnessScript!));
    const { contract } = world.freelancer.contractOf(world.freelancer.store.getContract(fRow.id));
    const fees = contract.funding.fees.offer;
    expect(await changeOnChain(signer, fundingTxid)).toBe(
      300_000n - AMOUNT - fees.fundingFee - fees.closingFee,
    );
    await settleAccepted(7, cRow, fRow);
    expect(await world.client.wallet.balanceSat()).toBe(clientBefore);
    expect(await world.freelancer.wallet.balanceSat()).toBe(freelancerBefore + AMOUNT);
  }, 120_000);

  it('P2WSH 1-of-1 multisig (accepter): funds and settles; the unsigned PSBT is refused', async () => {
    const signer = new ExternalSigner({ m: 1, n: 1 });
    const clientBefore = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 8, { offererRole: 'freelancer' });
    const announcement = await world.oracle.announcement(terms.eventId);
    const { offer, contract: fRow } = await world.freelancer.offer({ terms, announcement });
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(260_000n, false)));
    const { contract: cRow, accept } = await world.client.accept({
      offer,
      terms,
      fundingPsbt: psbt,
    });
    const { sign } = await world.freelancer.sign({ accept });
    const unsigned = await world.client.fundingPsbt({ message: sign });
    // Unsigned: refused with a typed error, nothing broadcast.
    await expect(world.client.finalize({ sign, signedPsbt: unsigned.psbt })).rejects.toBeInstanceOf(
      PsbtMismatchError,
    );
    const { fundingTxid } = await world.client.finalize({
      sign,
      signedPsbt: signer.sign(unsigned.psbt),
    });
    expect(fundingTxid).toBe(unsigned.fundingTxid);
    await settleAccepted(8, cRow, fRow);
    expect(await world.client.wallet.balanceSat()).toBe(clientBefore);
    expect(await world.freelancer.wallet.balanceSat()).toBe(freelancerBefore + AMOUNT);
  }, 120_000);

  it('P2TR key path (offerer): max_witness_len 67; funds and settles to the sat', async () => {
    const signer = new ExternalSigner('p2tr');
    const clientBefore = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const terms = await milestoneTerms(world, c, 9);
    const announcement = await world.oracle.announcement(terms.eventId);
    const psbt = readPsbtBytes(Buffer.from(await signer.fundingPsbt(300_000n, true)));
    const { offer, contract: cRow } = await world.client.offer({
      terms,
      announcement,
      fundingPsbt: psbt,
    });
    expect(decodeOfferDlc(offer).fundingInputs[0]!.maxWitnessLen).toBe(67);
    const { accept } = await world.freelancer.accept({ offer, terms });
    const unsigned = await world.client.fundingPsbt({ message: accept });
    expect(Transaction.fromPSBT(unsigned.psbt).getInput(0).tapInternalKey).toEqual(
      signer.pay.tapInternalKey,
    );
    const { sign } = await world.client.sign({ accept, signedPsbt: signer.sign(unsigned.psbt) });
    // A signature over another transaction does not verify at the counterparty.
    const { contract: offered } = world.client.contractOf(world.client.store.getContract(cRow.id));
    const good = decodeSignDlc(sign).fundingSignatures[0]! as Uint8Array[];
    expect(good).toHaveLength(1);
    expect(verifyFundingWitness(offered.funding, 0, good)).toBe(true);
    const bad = Uint8Array.from(good[0]!);
    bad[5] = bad[5]! ^ 1;
    expect(verifyFundingWitness(offered.funding, 0, [bad])).toBe(false);
    const { contract: fRow, fundingTxid } = await world.freelancer.finalize({ sign });
    expect(fundingTxid).toBe(unsigned.fundingTxid);
    const { contract } = world.freelancer.contractOf(world.freelancer.store.getContract(fRow.id));
    const fees = contract.funding.fees.offer;
    expect(await changeOnChain(signer, fundingTxid)).toBe(
      300_000n - AMOUNT - fees.fundingFee - fees.closingFee,
    );
    await settleAccepted(9, cRow, fRow);
    expect(await world.client.wallet.balanceSat()).toBe(clientBefore);
    expect(await world.freelancer.wallet.balanceSat()).toBe(freelancerBefore + AMOUNT);
  }, 120_000);

  it('a P2WSH input without its witness script, or with a script that is not multisig, is refused', async () => {
    const terms = await milestoneTerms(world, c, 3);
    const announcement = await world.oracle.announcement(terms.eventId);
    const contractsBefore = world.client.store.listContracts().length;
    const signer = new ExternalSigner({ m: 1, n: 2 });
    const noScript = readPsbtBytes(Buffer.from(await signer.fundingPsbt(300_000n, true, false)));
    await expect(
      world.client.offer({ terms, announcement, fundingPsbt: noScript }),
    ).rejects.toThrow(/needs its witness script/);
    // A P2WSH of `<key> OP_CHECKSIG`: a script shape whose witness size is not computed here.
    const key = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
    const checksig = Uint8Array.of(33, ...key, 0xac);
    const pay = p2wsh({ type: 'unknown', script: checksig }, REGTEST_NETWORK);
    const { txid } = await world.fund(pay.address, 300_000n);
    const raw = await world.node.rpc.getRawTransaction(txid);
    const vout = (RawTx.decode(raw).outputs as { script: Uint8Array }[]).findIndex(
      (o) => bytesToHex(o.script) === bytesToHex(pay.script),
    );
    const other = new Transaction({ version: 2, allowUnknownInputs: true });
    other.addInput({
      txid,
      index: vout,
      nonWitnessUtxo: raw,
      witnessUtxo: { script: pay.script, amount: 300_000n },
      witnessScript: checksig,
    });
    other.addOutput({ script: signer.changePay.script, amount: 200_000n });
    const err = await world.client
      .offer({ terms, announcement, fundingPsbt: other.toPSBT() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FundingPsbtError);
    expect((err as Error).message).toMatch(/only a k-of-n CHECKMULTISIG witness script/);
    expect(world.client.store.listContracts()).toHaveLength(contractsBefore);
  }, 60_000);

  it('a PSBT with a non-segwit input, or no change output, is refused at offer', async () => {
    const terms = await milestoneTerms(world, c, 3);
    const announcement = await world.oracle.announcement(terms.eventId);
    const contractsBefore = world.client.store.listContracts().length;
    // A legacy P2PKH coin (its previous transaction in the PSBT).
    const legacyKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
    const legacy = p2pkh(legacyKey, REGTEST_NETWORK);
    const { txid } = await world.fund(legacy.address, 300_000n);
    const raw = await world.node.rpc.getRawTransaction(txid);
    const vout = (RawTx.decode(raw).outputs as { script: Uint8Array }[]).findIndex(
      (o) => bytesToHex(o.script) === bytesToHex(legacy.script),
    );
    const p2pkhPsbt = new Transaction({ version: 2 });
    p2pkhPsbt.addInput({ txid, index: vout, nonWitnessUtxo: raw });
    p2pkhPsbt.addOutput({ script: new ExternalSigner().changePay.script, amount: 200_000n });
    await expect(
      world.client.offer({ terms, announcement, fundingPsbt: p2pkhPsbt.toPSBT() }),
    ).rejects.toThrow(/only P2WPKH, P2SH-P2WPKH, P2WSH multisig and P2TR key-path/);
    // Two outputs, neither marked as the wallet's change.
    const signer = new ExternalSigner();
    const twoOutputs = Transaction.fromPSBT(
      readPsbtBytes(Buffer.from(await signer.fundingPsbt(300_000n, true))),
    );
    twoOutputs.addOutput({ script: signer.changePay.script, amount: 1_000n });
    await expect(
      world.client.offer({ terms, announcement, fundingPsbt: twoOutputs.toPSBT() }),
    ).rejects.toBeInstanceOf(FundingPsbtError);
    expect(world.client.store.listContracts()).toHaveLength(contractsBefore);
  }, 60_000);
});

describe('verdict dlc offer / sign with PSBT files', () => {
  it('offer --funding-psbt, sign writes the funding PSBT, sign --signed-psbt sends sign_dlc', async () => {
    const signer = new ExternalSigner();
    const tmp = mkdtempSync(join(tmpdir(), 'verdict-psbt-cli-'));
    const file = (name: string): string => join(tmp, name);
    const dlc = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      const out: string[] = [];
      const err: string[] = [];
      const io: DlcIo = {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        readStdin: () => Promise.resolve(''),
      };
      const code = await runDlc(['--data-dir', world.dirs.client, ...argv], io, {
        VERDICT_PARTY_PASSPHRASE: PASSPHRASE,
        VERDICT_BITCOIN_RPC: devnetOf(world).url,
        VERDICT_BITCOIN_RPC_COOKIE: devnetOf(world).cookieFile!,
        VERDICT_ORACLE_URL: world.oracleServer.url,
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    try {
      const terms = await milestoneTerms(world, c, 4);
      writeFileSync(file('terms.json'), JSON.stringify(termsToJson(terms)));
      // Core writes base64: so does the external signer here.
      writeFileSync(file('funding.psbt'), await signer.fundingPsbt(300_000n, false));
      const offered = await dlc(
        'offer',
        '--terms',
        file('terms.json'),
        '--funding-psbt',
        file('funding.psbt'),
        '--out',
        file('offer.hex'),
      );
      expect(offered.err).toBe('');
      expect(offered.code).toBe(0);
      const { accept } = await world.freelancer.accept({
        offer: hexToBytes(readFileSync(file('offer.hex'), 'utf8').trim()),
        terms,
      });
      writeFileSync(file('accept.hex'), bytesToHex(accept));
      const first = await dlc(
        'sign',
        '--in',
        file('accept.hex'),
        '--psbt-out',
        file('unsigned.psbt'),
        '--out',
        file('sign.hex'),
      );
      expect(first.code).toBe(0);
      expect(first.out).toContain('--signed-psbt');
      expect(existsSync(file('sign.hex'))).toBe(false);
      const unsigned = readPsbtBytes(readFileSync(file('unsigned.psbt')));
      writeFileSync(file('signed.psbt'), Buffer.from(signer.sign(unsigned)).toString('base64'));
      const second = await dlc(
        'sign',
        '--in',
        file('accept.hex'),
        '--signed-psbt',
        file('signed.psbt'),
        '--out',
        file('sign.hex'),
      );
      expect(second.err).toBe('');
      expect(second.code).toBe(0);
      const { fundingTxid } = await world.freelancer.finalize({
        sign: hexToBytes(readFileSync(file('sign.hex'), 'utf8').trim()),
      });
      expect(await world.node.rpc.getMempoolEntry(fundingTxid)).not.toBeNull();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

export type { Party };
