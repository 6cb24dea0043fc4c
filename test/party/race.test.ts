/**
 * A race between the two closings: the client's refund (after its locktime) reaches the mempool
 * first, then the freelancer settles a late attestation. The node refuses the freelancer's CET;
 * the freelancer's watcher recognizes the client's refund, waits for it to confirm and records the
 * contract as refunded, the refund as its closing. Nothing is broadcast twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RpcRejectedError } from '../../src/chain/errors.ts';
import {
  decide,
  fundParty,
  milestoneTerms,
  oracleContract,
  startWorld,
  type World,
} from './helpers.ts';

let world: World;

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [400_000n]);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

it('the confirmed refund wins over a CET chosen too late', async () => {
  const c = await oracleContract(world, ['enum']);
  const terms = await milestoneTerms(world, c, 0);
  const announcement = await world.oracle.announcement(terms.eventId);
  const { offer } = await world.client.offer({ terms, announcement });
  const { accept, contract: fRow } = await world.freelancer.accept({ offer, terms });
  const { sign, contract: cRow } = await world.client.sign({ accept });
  await world.freelancer.finalize({ sign });
  await world.mine(1);
  await world.client.poll(null);
  await world.freelancer.poll(null);

  // Past the refund locktime the client refunds (no attestation yet) …
  await world.setChainTime(announcement.event.maturityEpochSec + terms.refundMarginSec + 3600);
  await world.mine(11);
  const refund = await world.client.refund(world.client.store.getContract(cRow.id));
  expect(refund.action).toBe('refund_broadcast');

  // … and then the oracle attests and the freelancer tries to settle: the node refuses the CET.
  await decide(world, c, 0, 'accepted');
  const attestation = (await world.oracle.attestation(terms.eventId))!;
  const refused = await world.freelancer
    .settleWith(world.freelancer.store.getContract(fRow.id), attestation)
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(refused).toBeInstanceOf(RpcRejectedError);

  const seen = await world.freelancer.poll(world.oracle);
  expect(seen).toEqual([expect.objectContaining({ action: 'closing_seen', txid: refund.txid })]);
  await world.mine(1);
  await world.freelancer.poll(world.oracle);
  await world.client.poll(world.oracle);
  expect(world.freelancer.store.getContract(fRow.id)).toMatchObject({
    state: 'refunded',
    closing_kind: 'refund',
    closing_txid: refund.txid,
  });
  expect(world.client.store.getContract(cRow.id)).toMatchObject({
    state: 'refunded',
    closing_txid: refund.txid,
  });
  expect(await world.node.rpc.call('getrawmempool', [])).toEqual([]);
}, 120_000);
