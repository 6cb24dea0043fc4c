/**
 * The contract page's DLC facts (issue 15): a milestone made and agreed in two apps, funded by
 * the same Party code `verdict dlc` runs (offer → accept → sign → finalize on the devnet, the
 * funding confirmed), then accepted in the app and settled by the watcher's poll. The apps show
 * the local DLC row (state, funding txid, confirmations from the chain, refund locktime), the
 * attestation verified against the DLC's announcement, and each side's payout in sats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPartyApp } from '../../party-app/server.ts';
import { startPartyApp } from '../../party-app/server.ts';
import type { CreatedContract } from '../oracle/helpers.ts';
import { contractRequest } from '../oracle/helpers.ts';
import { fundParty, milestoneTerms, PASSPHRASE, startWorld, type World } from '../party/helpers.ts';
import { AppClient } from './app-client.ts';

let world: World;
const apps: RunningPartyApp[] = [];

async function appFor(dir: string): Promise<AppClient> {
  const app = await startPartyApp({
    dataDir: dir,
    chain: world.node.rpc,
    nodeLabel: 'devnet',
    oracleUrl: world.oracleServer.url,
  });
  apps.push(app);
  const c = new AppClient(app);
  await c.ok('POST', '/api/session', { secret: app.url.split('#')[1] });
  await c.ok('POST', '/api/wallet/unlock', { passphrase: PASSPHRASE });
  return c;
}

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [400_000n]);
}, 60_000);
afterAll(async () => {
  for (const a of apps) await a.close();
  await world.dispose();
});

interface DlcView {
  state: string;
  role: string;
  fundingTxid: string | null;
  confirmations: number | null;
  closingKind: string | null;
  closingTxid: string | null;
  outcome: string | null;
  payoutSat: { mine: string; theirs: string } | null;
  refundLocktime: number;
}
interface Detail {
  milestones: {
    eventId: string;
    outcomeKind: 'enum' | 'share';
    amountSat: string;
    status: string;
    dlc: DlcView | null;
    attestation: { outcome: string; verified: boolean } | null;
  }[];
}

describe('a funded milestone on the contract page', () => {
  it('shows the DLC, its confirmations, the verified attestation and the payouts', async () => {
    const alice = await appFor(world.dirs.client);
    const bob = await appFor(world.dirs.freelancer);
    const draft = contractRequest(world.oracleServer.clock.t, [{ outcome: 'enum' }]);
    const p = await alice.ok<{ canonicalJson: string }>('POST', '/api/contracts/preview', {
      myRole: 'client',
      draft,
    });
    const { contractId, invite } = await alice.ok<{ contractId: string; invite: string }>(
      'POST',
      '/api/contracts',
      { myRole: 'client', draft, reviewedCanonicalJson: p.canonicalJson },
    );
    await bob.ok('POST', '/api/invites/open', { link: invite });
    await bob.ok('POST', `/api/contracts/${contractId}/agreement`, { decision: 'accept' });
    const before = await alice.ok<Detail>('GET', `/api/contracts/${contractId}`);
    const m = before.milestones[0]!;
    expect(m.dlc).toBeNull();

    // Funded with the CLI's code (the app's own funding job is another module's).
    const created = {
      contract: {
        milestones: [{ eventId: m.eventId, outcomeKind: 'enum', amountSat: m.amountSat }],
      },
    } as unknown as CreatedContract;
    const terms = await milestoneTerms(world, created, 0);
    const announcement = await world.oracle.announcement(terms.eventId);
    const { offer } = await world.client.offer({ terms, announcement });
    const { accept } = await world.freelancer.accept({ offer, terms });
    const { sign } = await world.client.sign({ accept });
    const { fundingTxid } = await world.freelancer.finalize({ sign });
    await world.mine(1);
    await world.client.poll(world.oracle);
    await world.freelancer.poll(world.oracle);

    const funded = await alice.ok<Detail>('GET', `/api/contracts/${contractId}`);
    const dlc = funded.milestones[0]!.dlc!;
    expect(dlc).toMatchObject({
      state: 'confirmed',
      role: 'offer',
      fundingTxid,
      confirmations: 1,
      closingKind: null,
      payoutSat: null,
    });
    expect(dlc.refundLocktime).toBeGreaterThan(world.chainClock.t);
    const list = await bob.ok<{ contracts: { milestones: { dlcState: string | null }[] }[] }>(
      'GET',
      '/api/contracts',
    );
    expect(list.contracts[0]?.milestones[0]?.dlcState).toBe('confirmed');

    // The watchtower switch: the freelancer hands the oracle's tower its CET signatures.
    world.oracleServer.setTowerChain(world.node.rpc);
    const handed = await bob.ok<{ url: string; cets: number }>(
      'POST',
      `/api/contracts/${contractId}/milestones/0/tower`,
      {},
    );
    expect(handed.cets).toBe(2);
    const watched = (
      await bob.ok<Detail & { milestones: { tower: unknown }[] }>(
        'GET',
        `/api/contracts/${contractId}`,
      )
    ).milestones[0]!.tower;
    expect(watched).toMatchObject({ url: handed.url });

    // Delivered and accepted in the apps; the freelancer's watcher pass settles.
    await bob.ok('POST', `/api/contracts/${contractId}/milestones/0/deliver`, {
      commitSha: 'ab'.repeat(20),
    });
    await alice.ok('POST', `/api/contracts/${contractId}/milestones/0/accept`, {});
    await world.freelancer.poll(world.oracle);
    await world.mine(1);
    await world.client.poll(world.oracle);
    await world.freelancer.poll(world.oracle);
    // The client learns the closing from the chain: its CET, the payout from the attestation.
    const seen = (await alice.ok<Detail>('GET', `/api/contracts/${contractId}`)).milestones[0]!;
    expect(seen.dlc).toMatchObject({
      closingKind: 'cet',
      payoutSat: { mine: '0', theirs: '150000' },
    });
    await world.client.poll(world.oracle);

    const b = (await bob.ok<Detail>('GET', `/api/contracts/${contractId}`)).milestones[0]!;
    expect(b.attestation).toEqual({ outcome: 'accepted', verified: true });
    expect(b.dlc).toMatchObject({
      state: 'settled',
      role: 'accept',
      closingKind: 'cet',
      outcome: 'accepted',
      payoutSat: { mine: '150000', theirs: '0' },
    });
    const a = (await alice.ok<Detail>('GET', `/api/contracts/${contractId}`)).milestones[0]!;
    expect(a.dlc).toMatchObject({
      state: 'settled',
      closingTxid: b.dlc?.closingTxid,
      payoutSat: { mine: '0', theirs: '150000' },
    });
    expect(a.attestation).toEqual({ outcome: 'accepted', verified: true });
    // Nothing left to watch: the tower switch says so in words.
    await alice.refused(
      'POST',
      `/api/contracts/${contractId}/milestones/0/tower`,
      {},
      409,
      'dlc_state',
    );
  });
});
