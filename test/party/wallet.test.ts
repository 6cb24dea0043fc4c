/**
 * Issue 14: the party wallet as a wallet, on devnet. A paid freelancer withdraws everything to an
 * address outside the wallet and ends at zero, exact to the sat; a send with change back to the
 * wallet; an RBF bump the devnet accepts as a BIP125 replacement; refusals; the wallet bound to
 * its network; descriptors that derive the wallet's own addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { NETWORK, p2wpkh, p2tr, TEST_NETWORK } from '@scure/btc-signer';
import { REGTEST_NETWORK } from '../../src/chain/devnet/index.ts';
import { Party, WrongNetworkError } from '../../src/party/party.ts';
import {
  DustAmountError,
  FeeTooHighError,
  InsufficientWalletFundsError,
  RBF_SEQUENCE,
  WrongNetworkAddressError,
  BumpError,
  decodeRawTx,
} from '../../src/party/wallet.ts';
import {
  devnetOf,
  decide,
  fundParty,
  milestoneTerms,
  oracleContract,
  PASSPHRASE,
  startWorld,
  type World,
} from './helpers.ts';
import type { CreatedContract } from '../oracle/helpers.ts';

let world: World;
let c: CreatedContract;
const AMOUNT = 150_000n;

/** An address of nobody's wallet in this test. */
function outsideAddress(seed: number): { address: string; spk: Uint8Array } {
  const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + seed) % 251 || 1);
  const pay = p2wpkh(secp256k1.getPublicKey(key, true), REGTEST_NETWORK);
  return { address: pay.address, spk: pay.script };
}

async function valueAt(spk: Uint8Array): Promise<bigint> {
  const coins = await devnetOf(world).rpc.scanUtxos([spk]);
  return coins.reduce((s, u) => s + u.valueSat, 0n);
}

/** Fee a transaction pays: its inputs (looked up on chain) minus its outputs. */
async function feeOf(rawHex: string): Promise<bigint> {
  const tx = decodeRawTx(hexToBytes(rawHex));
  let inputs = 0n;
  for (const input of tx.inputs) {
    const prev = decodeRawTx(await devnetOf(world).rpc.getRawTransaction(bytesToHex(input.txid)));
    inputs += prev.outputs[input.index]!.amount;
  }
  return inputs - tx.outputs.reduce((s, o) => s + o.amount, 0n);
}

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [400_000n, 60_000n, 35_000n]);
  c = await oracleContract(world, ['enum']);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

describe('a paid freelancer takes the money out', () => {
  it('settles a milestone, then sweeps the whole payout to an outside address: zero left, exact to the sat', async () => {
    expect(await world.freelancer.wallet.balanceSat()).toBe(0n);
    const terms = await milestoneTerms(world, c, 0);
    const announcement = await world.oracle.announcement(terms.eventId);
    const { offer } = await world.client.offer({ terms, announcement });
    const { accept } = await world.freelancer.accept({ offer, terms });
    const { sign } = await world.client.sign({ accept });
    await world.freelancer.finalize({ sign });
    await world.mine(1);
    await world.freelancer.poll(world.oracle);
    await decide(world, c, 0, 'accepted');
    const [settled] = await world.freelancer.poll(world.oracle);
    expect(settled?.action).toBe('cet_broadcast');
    await world.mine(1);
    await world.freelancer.poll(world.oracle);
    const paid = await world.freelancer.wallet.balanceSat();
    expect(paid).toBe(AMOUNT);

    const out = outsideAddress(1);
    const dry = await world.freelancer.wallet.send({
      address: out.address,
      amount: 'all',
      feeRateSatPerVb: 3n,
      dryRun: true,
    });
    expect(dry.broadcast).toBe(false);
    expect(await devnetOf(world).rpc.getMempoolEntry(dry.txid)).toBeNull();
    const sweep = await world.freelancer.wallet.send({
      address: out.address,
      amount: 'all',
      feeRateSatPerVb: 3n,
    });
    expect(sweep.changeSat).toBe(0n);
    expect(sweep.amountSat + sweep.feeSat).toBe(paid);
    expect(sweep.feeSat).toBe(BigInt(sweep.vsize) * 3n);
    expect(await feeOf(sweep.rawHex)).toBe(sweep.feeSat);
    await world.mine(1);
    expect(await world.freelancer.wallet.balanceSat()).toBe(0n);
    expect(await valueAt(out.spk)).toBe(paid - sweep.feeSat);
    const history = await world.freelancer.walletHistory();
    expect(history.map((h) => h.kind)).toEqual(['dlc_payout', 'sweep']);
    expect(history[0]).toMatchObject({ amountSat: AMOUNT, direction: 'in', milestone: 0 });
    expect(history[1]).toMatchObject({ amountSat: paid - sweep.feeSat, feeSat: sweep.feeSat });
  }, 120_000);
});

describe('send', () => {
  it('pays an amount with change back to the wallet, every input signalling RBF', async () => {
    const before = await world.client.wallet.balanceSat();
    const out = outsideAddress(2);
    const p = await world.client.wallet.send({
      address: out.address,
      amount: 100_000n,
      feeRateSatPerVb: 2n,
    });
    const tx = decodeRawTx(hexToBytes(p.rawHex));
    expect(tx.inputs.every((i) => i.sequence === RBF_SEQUENCE)).toBe(true);
    expect(p.changeSat).toBeGreaterThan(0n);
    const change = tx.outputs.find((o) => bytesToHex(o.script) !== bytesToHex(out.spk))!;
    expect(world.client.wallet.keyForSpk(change.script)?.path).toMatch(/^m\/84'\/1'\/0'\/1\//);
    expect(await feeOf(p.rawHex)).toBe(p.feeSat);
    expect(p.feeSat >= BigInt(p.vsize) * 2n).toBe(true);
    await world.mine(1);
    expect(await world.client.wallet.balanceSat()).toBe(before - 100_000n - p.feeSat);
    expect(await valueAt(out.spk)).toBe(100_000n);
  }, 60_000);

  it('bumps an unconfirmed payment by RBF: the replacement confirms, the original is gone', async () => {
    const before = await world.client.wallet.balanceSat();
    const out = outsideAddress(3);
    const first = await world.client.wallet.send({
      address: out.address,
      amount: 20_000n,
      feeRateSatPerVb: 1n,
    });
    await expect(
      world.client.wallet.bump({ txid: first.txid, feeRateSatPerVb: 1n }),
    ).rejects.toBeInstanceOf(BumpError);
    const bumped = await world.client.wallet.bump({ txid: first.txid, feeRateSatPerVb: 5n });
    expect(bumped.replaces).toBe(first.txid);
    expect(bumped.feeSat).toBeGreaterThan(first.feeSat);
    expect(await devnetOf(world).rpc.getMempoolEntry(first.txid)).toBeNull();
    expect((await devnetOf(world).rpc.getMempoolEntry(bumped.txid))?.feeSat).toBe(bumped.feeSat);
    await expect(
      world.client.wallet.bump({ txid: first.txid, feeRateSatPerVb: 9n }),
    ).rejects.toThrow(/already replaced/);
    await world.mine(1);
    expect(await devnetOf(world).rpc.getTransactionConfirmations(bumped.txid)).toBe(1);
    expect(await devnetOf(world).rpc.getTransaction(first.txid)).toBeNull();
    expect(await world.client.wallet.balanceSat()).toBe(before - 20_000n - bumped.feeSat);
    expect(await valueAt(out.spk)).toBe(20_000n);
    const kinds = (await world.client.walletHistory()).map((h) => `${h.kind}:${h.status}`);
    expect(kinds).toContain('send:replaced');
  }, 60_000);

  it('refuses another network, dust, more than the balance, and a fee above the cap without force', async () => {
    const w = world.client.wallet;
    const mainnet = p2wpkh(secp256k1.getPublicKey(new Uint8Array(32).fill(3), true), NETWORK);
    const testnet = p2tr(
      secp256k1.getPublicKey(new Uint8Array(32).fill(4), true).subarray(1),
      undefined,
      TEST_NETWORK,
    );
    for (const address of [mainnet.address, testnet.address, 'not an address']) {
      await expect(
        w.send({ address, amount: 10_000n, feeRateSatPerVb: 1n }),
      ).rejects.toBeInstanceOf(WrongNetworkAddressError);
    }
    const out = outsideAddress(4).address;
    await expect(
      w.send({ address: out, amount: 293n, feeRateSatPerVb: 1n }),
    ).rejects.toBeInstanceOf(DustAmountError);
    const balance = await w.balanceSat();
    await expect(
      w.send({ address: out, amount: balance + 1n, feeRateSatPerVb: 1n }),
    ).rejects.toBeInstanceOf(InsufficientWalletFundsError);
    const tooHigh = w.send({ address: out, amount: 5_000n, feeRateSatPerVb: 50n, dryRun: true });
    await expect(tooHigh).rejects.toBeInstanceOf(FeeTooHighError);
    await expect(tooHigh).rejects.toThrow(
      /the fee would be \d+ sat \(50 sat\/vB, \d+\.\d\d% of the amount sent\)/,
    );
    const forced = await w.send({
      address: out,
      amount: 5_000n,
      feeRateSatPerVb: 50n,
      dryRun: true,
      force: true,
    });
    expect(forced.feeSat).toBeGreaterThan(500n);
  });
});

describe('descriptors and network', () => {
  it('the receive and change descriptors derive the wallet’s own addresses', () => {
    const d = world.client.wallet.descriptors();
    expect(d.receive).toMatch(
      /^wpkh\(\[[0-9a-f]{8}\/84'\/1'\/0'\]tpub[1-9A-HJ-NP-Za-km-z]+\/0\/\*\)#[a-z0-9]{8}$/,
    );
    const account = HDKey.fromExtendedKey(d.accountXpub, {
      private: 0x04358394,
      public: 0x043587cf,
    });
    for (const [branch, kind] of [
      [0, 'receive'],
      [1, 'change'],
    ] as const) {
      for (const i of [0, 1, 5]) {
        const pub = account.derive(`m/${branch}/${i}`).publicKey!;
        expect(p2wpkh(pub, REGTEST_NETWORK).address).toBe(
          world.client.wallet.addressKey(kind, i).address,
        );
      }
    }
  });

  it('a wallet made on one network refuses to run on another', async () => {
    world.client.store.db.prepare("UPDATE meta SET value = 'signet' WHERE key = 'network'").run();
    await expect(
      Party.open({
        dataDir: world.dirs.client,
        passphrase: PASSPHRASE,
        chain: devnetOf(world).rpc,
      }),
    ).rejects.toBeInstanceOf(WrongNetworkError);
    world.client.store.db.prepare("UPDATE meta SET value = 'regtest' WHERE key = 'network'").run();
    await world.reopen('client');
    expect(world.client.wallet.network).toBe('regtest');
  });
});
