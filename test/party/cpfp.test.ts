/**
 * Issue 14: a CET fixed at 2 sat/vB at setup, broadcast when the devnet's mempool requires
 * 10 sat/vB. The node refuses it alone; the watcher offers a bump after N blocks and makes none
 * above its cap; `bumpClosing` submits parent and CPFP child with `submitpackage`; both confirm in
 * the next block, and the freelancer ends with the payout minus exactly the child's fee.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devnetOf,
  decide,
  fundParty,
  milestoneTerms,
  oracleContract,
  startWorld,
  type World,
} from './helpers.ts';
import type { CreatedContract } from '../oracle/helpers.ts';
import type { ContractRow } from '../../src/party/store.ts';

let world: World;
let c: CreatedContract;
const AMOUNT = 150_000n;

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [400_000n, 400_000n]);
  c = await oracleContract(world, ['enum', 'enum']);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

async function funded(index: number): Promise<ContractRow> {
  const terms = await milestoneTerms(world, c, index); // feeRatePerVb 2
  const announcement = await world.oracle.announcement(terms.eventId);
  const { offer } = await world.client.offer({ terms, announcement });
  const { accept } = await world.freelancer.accept({ offer, terms });
  const { sign } = await world.client.sign({ accept });
  const { contract } = await world.freelancer.finalize({ sign });
  await world.mine(1);
  await world.freelancer.poll(world.oracle);
  return world.freelancer.store.getContract(contract.id);
}

const setMinFee = (satPerKvb: number) =>
  devnetOf(world).rpc.call('devnet_setmempoolminfee', [satPerKvb]);

describe('CPFP of a stuck CET', () => {
  it('the CET below the mempool minimum confirms as a package with its child', async () => {
    const row = await funded(0);
    await setMinFee(10_000);
    try {
      await decide(world, c, 0, 'accepted');
      const [first] = await world.freelancer.poll(world.oracle);
      expect(first).toMatchObject({ contract: row.id, action: 'error' });
      expect(first?.detail).toMatch(/mempool min fee not met/);
      const stored = world.freelancer.store.getContract(row.id);
      expect(stored.closing_kind).toBe('cet');
      expect(await devnetOf(world).rpc.getMempoolEntry(stored.closing_txid!)).toBeNull();

      // Before N blocks: only the reason; after: an offer, not a spend (the cap is 100 sat).
      const policy = { afterBlocks: 2, feeRateSatPerVb: 20n, maxAutoFeeSat: 100n };
      const [waiting] = await world.freelancer.poll(world.oracle, policy);
      expect(waiting?.detail).toMatch(/refuses the cet transaction \(mempool min fee not met\)/);
      await world.mine(2);
      const [offered] = await world.freelancer.poll(world.oracle, policy);
      expect(offered?.action).toBe('bump_offered');
      expect(offered?.detail).toMatch(
        /dlc bump \d+ --fee-rate 20" would pay \d+ sat, above the automatic cap of 100 sat/,
      );
      expect(await devnetOf(world).rpc.getMempoolEntry(stored.closing_txid!)).toBeNull();

      const plan = await world.freelancer.bumpClosing(String(row.id), 20n);
      expect(plan.parentTxid).toBe(stored.closing_txid);
      expect(plan.packageFeeRateSatPerVb).toBeGreaterThanOrEqual(19n);
      expect(plan.parentFeeSat * 1000n).toBeLessThan(BigInt(plan.parentVsize) * 10_000n);
      expect((await devnetOf(world).rpc.getMempoolEntry(plan.parentTxid))?.feeSat).toBe(
        plan.parentFeeSat,
      );
      expect((await devnetOf(world).rpc.getMempoolEntry(plan.childTxid))?.feeSat).toBe(
        plan.childFeeSat,
      );
      await world.mine(1);
      expect(await devnetOf(world).rpc.getTransactionConfirmations(plan.parentTxid)).toBe(1);
      expect(await devnetOf(world).rpc.getTransactionConfirmations(plan.childTxid)).toBe(1);
      await world.freelancer.poll(world.oracle);
      expect(world.freelancer.store.getContract(row.id).state).toBe('settled');
      expect(await world.freelancer.wallet.balanceSat()).toBe(AMOUNT - plan.childFeeSat);
      const history = await world.freelancer.walletHistory();
      expect(history.map((h) => [h.kind, h.amountSat, h.feeSat])).toEqual([
        ['dlc_payout', AMOUNT, null],
        ['dlc_cpfp', 0n, plan.childFeeSat],
      ]);
    } finally {
      await setMinFee(1000);
    }
  }, 120_000);

  it('the watcher bumps by itself when the child fee is within its cap', async () => {
    const before = await world.freelancer.wallet.balanceSat();
    const row = await funded(1);
    await setMinFee(5_000);
    try {
      await decide(world, c, 1, 'accepted');
      await world.freelancer.poll(world.oracle);
      await world.mine(1);
      const policy = { afterBlocks: 1, feeRateSatPerVb: 8n, maxAutoFeeSat: 5_000n };
      const [made] = await world.freelancer.poll(world.oracle, policy);
      expect(made).toMatchObject({ contract: row.id, action: 'cpfp_broadcast' });
      await world.mine(1);
      await world.freelancer.poll(world.oracle, policy);
      expect(world.freelancer.store.getContract(row.id).state).toBe('settled');
      const paid = (await world.freelancer.wallet.balanceSat()) - before;
      expect(paid).toBeLessThan(AMOUNT);
      expect(AMOUNT - paid).toBeLessThanOrEqual(5_000n);
    } finally {
      await setMinFee(1000);
    }
  }, 120_000);
});
