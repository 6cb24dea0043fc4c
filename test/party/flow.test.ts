/**
 * Issue 5 acceptance: a client and a freelancer, separate wallets and data dirs, through the whole
 * flow on devnet with the real oracle service: offer → accept → sign → funding → attestation →
 * CET → balances, for an enum milestone (accepted, rejected) and a share milestone (0, 37, 100),
 * and the refund path. Balances after settlement match the payout table to the satoshi after
 * exactly the fees the engine computed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawTx } from '@scure/btc-signer';
import { hexToBytes } from '@noble/hashes/utils.js';
import { freelancerPayoutForShare } from '../../src/dlc/share-contract.ts';
import type { Party } from '../../src/party/party.ts';
import type { ContractRow } from '../../src/party/store.ts';
import type { MilestoneTerms } from '../../src/party/milestone-terms.ts';
import { OracleClient } from '../../src/party/oracle-client.ts';
import {
  decide,
  fundParty,
  milestoneTerms,
  oracleContract,
  startWorld,
  type World,
} from './helpers.ts';
import type { CreatedContract } from '../oracle/helpers.ts';

let world: World;
let c: CreatedContract;
const AMOUNT = 150_000n;
// Milestones: 0 enum accepted, 1 enum rejected, 2 share 0, 3 share 37, 4 share 100,
// 5 enum accepted dual-funded.
const KINDS: ('enum' | 'share')[] = ['enum', 'enum', 'share', 'share', 'share', 'enum'];

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [
    400_000n,
    400_000n,
    400_000n,
    400_000n,
    400_000n,
    400_000n,
  ]);
  await fundParty(world, world.freelancer, [120_000n]);
  c = await oracleContract(world, KINDS);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

/** Sum of a transaction's outputs. */
function outputsSum(rawHex: string): bigint {
  return (RawTx.decode(hexToBytes(rawHex)).outputs as { amount: bigint }[]).reduce(
    (s, o) => s + o.amount,
    0n,
  );
}

/** offer → accept → sign → funding broadcast → mined → both parties see it confirmed. */
async function fund(
  index: number,
  overrides: Partial<MilestoneTerms> = {},
): Promise<{ clientRow: ContractRow; freelancerRow: ContractRow }> {
  const terms = await milestoneTerms(world, c, index, overrides);
  const announcement = await world.oracle.announcement(terms.eventId);
  const { offer } = await world.client.offer({ terms, announcement });
  const { accept } = await world.freelancer.accept({ offer, terms });
  const { sign } = await world.client.sign({ accept });
  const { contract: fRow, fundingTxid } = await world.freelancer.finalize({ sign });
  expect(fRow.state).toBe('broadcast');
  await world.mine(1);
  const clientActions = await world.client.poll(world.oracle);
  const freelancerActions = await world.freelancer.poll(world.oracle);
  const cRow = world.client.store.findContract(fRow.temporary_contract_id)!;
  expect(clientActions.find((a) => a.contract === cRow.id)).toMatchObject({
    action: 'funding_confirmed',
    txid: fundingTxid,
  });
  expect(freelancerActions.find((a) => a.contract === fRow.id)).toMatchObject({
    action: 'funding_confirmed',
  });
  return {
    clientRow: world.client.store.getContract(cRow.id),
    freelancerRow: world.freelancer.store.getContract(fRow.id),
  };
}

/** Polls the party owed money, mines, polls both: both end in `settled`. */
async function settle(
  first: Party,
  rows: { clientRow: ContractRow; freelancerRow: ContractRow },
): Promise<string> {
  const actions = await first.poll(world.oracle);
  const firstRow = first === world.client ? rows.clientRow : rows.freelancerRow;
  const broadcast = actions.find((a) => a.contract === firstRow.id);
  expect(broadcast?.action).toBe('cet_broadcast');
  await world.mine(1);
  await world.client.poll(world.oracle);
  await world.freelancer.poll(world.oracle);
  // The one that did not broadcast first learned the closing from the chain.
  await world.client.poll(world.oracle);
  await world.freelancer.poll(world.oracle);
  const clientRow = world.client.store.getContract(rows.clientRow.id);
  const freelancerRow = world.freelancer.store.getContract(rows.freelancerRow.id);
  expect(clientRow.state).toBe('settled');
  expect(freelancerRow.state).toBe('settled');
  expect(clientRow.closing_txid).toBe(broadcast?.txid);
  expect(freelancerRow.closing_txid).toBe(broadcast?.txid);
  return broadcast!.txid!;
}

/**
 * The money: the client paid exactly collateral + the engine's funding and closing fees and got
 * its payout back; the freelancer got exactly its payout; the funding and closing transactions
 * pay exactly those fees to miners.
 */
async function expectBalances(
  index: number,
  before: { client: bigint; freelancer: bigint },
  freelancerPayout: bigint,
): Promise<void> {
  const row = world.client.store.listContracts().find((r) => {
    const t = JSON.parse(r.terms_json) as { eventId: string };
    return t.eventId === c.contract.milestones[index]!.eventId;
  })!;
  const { contract } = world.client.contractOf(row);
  const fees = contract.funding.fees.offer;
  const clientPayout = AMOUNT - freelancerPayout;
  const kept = (v: bigint): bigint => (v >= 1000n ? v : 0n);
  expect(await world.freelancer.wallet.balanceSat()).toBe(
    before.freelancer + kept(freelancerPayout),
  );
  expect(await world.client.wallet.balanceSat()).toBe(
    before.client - AMOUNT - fees.fundingFee - fees.closingFee + kept(clientPayout),
  );
  // On chain: the closing transaction spends exactly the funding output minus the closing fee.
  const closing = await world.node.rpc.getTransaction(row.closing_txid!);
  expect(contract.funding.fundOutputValue - outputsSum(bytesToHexLocal(closing!.raw))).toBe(
    fees.closingFee +
      (freelancerPayout < 1000n ? freelancerPayout : 0n) +
      (clientPayout < 1000n ? clientPayout : 0n),
  );
}

function bytesToHexLocal(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

async function balances(): Promise<{ client: bigint; freelancer: bigint }> {
  return {
    client: await world.client.wallet.balanceSat(),
    freelancer: await world.freelancer.wallet.balanceSat(),
  };
}

describe('enum milestone', () => {
  it('accepted: the freelancer is paid the whole amount', async () => {
    const before = await balances();
    const rows = await fund(0);
    await decide(world, c, 0, 'accepted');
    await settle(world.freelancer, rows);
    await expectBalances(0, before, AMOUNT);
  }, 60_000);

  it('rejected: the client gets the whole amount back', async () => {
    const before = await balances();
    const rows = await fund(1);
    await decide(world, c, 1, 'rejected');
    await settle(world.client, rows);
    await expectBalances(1, before, 0n);
  }, 60_000);
});

describe('share milestone', () => {
  it.each([
    [2, 0],
    [3, 37],
    [4, 100],
  ])(
    'milestone %i attested share %i: payouts follow the share table',
    async (index, share) => {
      const before = await balances();
      const rows = await fund(index);
      await decide(world, c, index, share);
      await settle(share === 0 ? world.client : world.freelancer, rows);
      await expectBalances(index, before, freelancerPayoutForShare(AMOUNT, share));
    },
    120_000,
  );
});

describe('dual-funded milestone', () => {
  it('both bring inputs: each pays its own fees, the freelancer gets the whole amount', async () => {
    const before = await balances();
    const rows = await fund(5, { funding: 'dual', offerCollateralSat: 100_000n });
    await decide(world, c, 5, 'accepted');
    // The same attestation through the kormir-style routes.
    const eventId = c.contract.milestones[5]!.eventId;
    expect(await new OracleClient(world.oracle.baseUrl, 'kormir').attestation(eventId)).toEqual(
      await world.oracle.attestation(eventId),
    );
    expect(await new OracleClient(world.oracle.baseUrl, 'kormir').announcement(eventId)).toEqual(
      await world.oracle.announcement(eventId),
    );
    await settle(world.freelancer, rows);
    const { contract } = world.client.contractOf(world.client.store.getContract(rows.clientRow.id));
    const fees = contract.funding.fees;
    expect(fees.singleFunder).toBeNull();
    expect(await world.client.wallet.balanceSat()).toBe(
      before.client - 100_000n - fees.offer.fundingFee - fees.offer.closingFee,
    );
    expect(await world.freelancer.wallet.balanceSat()).toBe(
      before.freelancer - 50_000n - fees.accept.fundingFee - fees.accept.closingFee + AMOUNT,
    );
  }, 60_000);
});
