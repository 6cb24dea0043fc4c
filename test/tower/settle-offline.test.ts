/**
 * Issue 16 acceptance: settlement with nobody online. On devnet with the real oracle service
 * (whose tower broadcasts to that devnet): both parties fund a milestone DLC and hand the oracle's
 * tower their CET signatures with `verdict dlc tower enable`; then both parties are closed (no
 * party code runs while the milestone is decided). The decision comes from a separate process
 * holding only a party token (the client's accept), or from arbiters (a dispute), or from
 * nobody (the refund locktime passes). The tower's scheduler pass broadcasts the CET (or the
 * refund), devnet confirms it, and the parties' data dirs, opened afterwards, show `settled` /
 * `refunded` with balances exact to the satoshi.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RawTx } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freelancerPayoutForShare } from '../../src/dlc/share-contract.ts';
import type { MilestoneTerms } from '../../src/party/milestone-terms.ts';
import type { ContractRow } from '../../src/party/store.ts';
import { runDlc, type DlcIo } from '../../scripts/cli/dlc.ts';
import { activeArbiters, disputeIdFor, panelOf, vote } from '../arbitration/helpers.ts';
import {
  call,
  createContract,
  DAY,
  expectOk,
  milestoneUrl,
  type CreatedContract,
} from '../oracle/helpers.ts';
import {
  devnetOf,
  fundParty,
  milestoneTerms,
  oracleContract,
  PASSPHRASE,
  startWorld,
  type World,
} from '../party/helpers.ts';

const run = promisify(execFile);
const AMOUNT = 150_000n;
let world: World;

beforeAll(async () => {
  world = await startWorld();
  // The oracle's tower broadcasts to the test's devnet.
  world.oracleServer.setTowerChain(devnetOf(world).rpc);
  await fundParty(world, world.client, [400_000n, 400_000n, 400_000n]);
  await fundParty(world, world.freelancer, [50_000n]);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

/** A POST from a separate OS process that holds nothing but the URL, the token and the body. */
async function postFromOtherProcess(path: string, token: string, body: unknown): Promise<void> {
  const script = `
    const r = await fetch(process.env.URL, { method: 'POST', headers: {
      authorization: 'Bearer ' + process.env.TOKEN, 'content-type': 'application/json' },
      body: process.env.BODY });
    process.stdout.write(String(r.status));
    process.exit(r.ok ? 0 : 1);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { URL: world.oracle.baseUrl + path, TOKEN: token, BODY: JSON.stringify(body) },
  });
  expect(Number(stdout)).toBeLessThan(300);
}

/** `verdict dlc ...` for a party, with its data dir and token (in this process). */
async function dlc(
  c: CreatedContract,
  who: 'client' | 'freelancer',
  argv: string[],
): Promise<{ code: number; json: Record<string, unknown>; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: DlcIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: () => Promise.resolve(''),
    progress: () => undefined,
  };
  const code = await runDlc(['--data-dir', world.dirs[who], ...argv], io, {
    VERDICT_PARTY_PASSPHRASE: PASSPHRASE,
    VERDICT_BITCOIN_RPC: devnetOf(world).url,
    VERDICT_BITCOIN_RPC_COOKIE: devnetOf(world).cookieFile!,
    VERDICT_ORACLE_URL: world.oracle.baseUrl,
    VERDICT_PARTY_TOKEN: c.tokens[who],
  });
  const last = out.at(-1) ?? '';
  return {
    code,
    json: (last.startsWith('{') ? JSON.parse(last) : {}) as Record<string, unknown>,
    out,
    err: err.join('\n'),
  };
}

interface Funded {
  readonly clientRowId: number;
  readonly freelancerRowId: number;
  readonly before: { client: bigint; freelancer: bigint };
  readonly fees: { fundingFee: bigint; closingFee: bigint };
  readonly refundLocktime: number;
}

/** offer → accept → sign → funding confirmed; both parties hand the tower their signatures; then
 * both parties are closed. */
async function fundAndHandOver(
  c: CreatedContract,
  index: number,
  overrides: Partial<MilestoneTerms> = {},
): Promise<Funded> {
  const before = {
    client: await world.client.wallet.balanceSat(),
    freelancer: await world.freelancer.wallet.balanceSat(),
  };
  const terms = await milestoneTerms(world, c, index, overrides);
  const announcement = await world.oracle.announcement(terms.eventId);
  const { offer } = await world.client.offer({ terms, announcement });
  const { accept } = await world.freelancer.accept({ offer, terms });
  const { sign } = await world.client.sign({ accept });
  const { contract: fRow } = await world.freelancer.finalize({ sign });
  await world.mine(1);
  await world.client.poll(null);
  await world.freelancer.poll(null);
  const cRow = world.client.store.findContract(fRow.temporary_contract_id)!;
  expect(world.client.store.getContract(cRow.id).state).toBe('confirmed');
  const { contract } = world.client.contractOf(world.client.store.getContract(cRow.id));
  // The parties' processes end: nothing of theirs runs from here on.
  world.client.close();
  world.freelancer.close();
  for (const [who, id] of [
    ['client', cRow.id],
    ['freelancer', fRow.id],
  ] as const) {
    const r = await dlc(c, who, ['--json', 'tower', 'enable', String(id)]);
    expect(r.code, r.err).toBe(0);
    expect(r.json).toMatchObject({ created: true, milestoneIndex: index });
  }
  const status = await dlc(c, 'client', ['--json', 'status', String(cRow.id)]);
  expect(status.json).toMatchObject({
    contracts: [{ towers: [{ held: true, state: 'watching', txid: null, fresh: true }] }],
  });
  return {
    clientRowId: cRow.id,
    freelancerRowId: fRow.id,
    before,
    fees: contract.funding.fees.offer,
    refundLocktime: contract.offer.refundLocktime,
  };
}

/** The tower's scheduler pass (as the cron tick runs it); returns the milestone's tower status. */
async function towerPass(c: CreatedContract, index: number) {
  world.oracleServer.scheduler.tick();
  await world.oracleServer.scheduler.towerTick();
  return expectOk(
    await call<{
      held: boolean;
      jobs: { state: string; kind: string; txid: string; outcome: string | null }[];
    }>(world.oracle.baseUrl, 'GET', milestoneUrl(c.contract.id, index, 'tower'), {
      token: c.tokens.freelancer,
    }),
  );
}

/** Opens both data dirs again, lets each see the chain (no oracle), and checks the money. */
async function expectClosedExactly(
  f: Funded,
  txid: string,
  state: 'settled' | 'refunded',
  freelancerPayout: bigint,
): Promise<void> {
  const client = await world.reopen('client');
  const freelancer = await world.reopen('freelancer');
  for (let i = 0; i < 2; i++) {
    await client.poll(null);
    await freelancer.poll(null);
  }
  const cRow: ContractRow = client.store.getContract(f.clientRowId);
  const fRow: ContractRow = freelancer.store.getContract(f.freelancerRowId);
  expect([cRow.state, fRow.state]).toEqual([state, state]);
  expect([cRow.closing_txid, fRow.closing_txid]).toEqual([txid, txid]);
  const kept = (v: bigint): bigint => (v >= 1000n ? v : 0n);
  const clientPayout = AMOUNT - freelancerPayout;
  expect(await freelancer.wallet.balanceSat()).toBe(f.before.freelancer + kept(freelancerPayout));
  expect(await client.wallet.balanceSat()).toBe(
    f.before.client - AMOUNT - f.fees.fundingFee - f.fees.closingFee + kept(clientPayout),
  );
  // The closing transaction is in a block, once.
  const info = await devnetOf(world).rpc.getTransaction(txid);
  expect(info?.confirmations).toBeGreaterThan(0);
  expect(RawTx.decode(info!.raw).inputs).toHaveLength(1);
}

describe('the tower settles while nobody is online', () => {
  it('the client accepts from another process: the tower broadcasts the CET, payouts exact', async () => {
    const c = await oracleContract(world, ['enum']);
    const f = await fundAndHandOver(c, 0);
    // Nothing attested yet: the tower waits.
    expect((await towerPass(c, 0)).jobs[0]).toMatchObject({ state: 'watching', txid: null });
    await postFromOtherProcess(milestoneUrl(c.contract.id, 0, 'deliver'), c.tokens.freelancer, {
      commitSha: 'ab'.repeat(20),
      note: 'done',
    });
    await postFromOtherProcess(milestoneUrl(c.contract.id, 0, 'accept'), c.tokens.client, {});
    const after = await towerPass(c, 0);
    expect(after.jobs[0]).toMatchObject({ state: 'broadcast', kind: 'cet', outcome: 'accepted' });
    const txid = after.jobs[0]!.txid;
    await world.mine(1);
    expect((await towerPass(c, 0)).jobs[0]).toMatchObject({ state: 'confirmed', txid });
    await expectClosedExactly(f, txid, 'settled', AMOUNT);
    // dlc status shows what the tower did, with the txid.
    const shown = await dlc(c, 'freelancer', ['status', String(f.freelancerRowId)]);
    expect(shown.out.join('\n')).toContain(`confirmed cet ${txid}`);
  }, 180_000);

  it('a dispute decided by arbiters (median 60 %): the tower broadcasts the 60 % CET', async () => {
    const s = world.oracleServer;
    const arbiters = await activeArbiters(s, ['t1', 't2', 't3']);
    const c = await createContract(s, [
      {
        outcome: 'share',
        dispute: {
          panel: { poolSize: 3 },
          quorum: 2,
          evidenceWindowSec: DAY,
          votingWindowSec: DAY,
        },
      },
    ]);
    const f = await fundAndHandOver(c, 0);
    await postFromOtherProcess(milestoneUrl(c.contract.id, 0, 'deliver'), c.tokens.freelancer, {
      commitSha: 'cd'.repeat(20),
      note: 'done',
    });
    await postFromOtherProcess(milestoneUrl(c.contract.id, 0, 'dispute'), c.tokens.client, {
      reason: 'half of it is missing',
    });
    const panel = await panelOf(s, c);
    s.clock.advance(DAY);
    const seated = panel.map((id) => arbiters.find((a) => a.id === id)!);
    const disputeId = await disputeIdFor(s, seated[0]!, c.contract.id);
    for (const [arbiter, share] of seated.map((a, i) => [a, [40, 60, 70][i]!] as const)) {
      expect((await vote(s, arbiter, disputeId, share)).status).toBe(204);
    }
    s.clock.advance(DAY);
    const after = await towerPass(c, 0);
    expect(after.jobs[0]).toMatchObject({ state: 'broadcast', kind: 'cet' });
    const txid = after.jobs[0]!.txid;
    await world.mine(1);
    expect((await towerPass(c, 0)).jobs[0]).toMatchObject({ state: 'confirmed', txid });
    await expectClosedExactly(f, txid, 'settled', freelancerPayoutForShare(AMOUNT, 60));
  }, 180_000);

  it('no decision: after the refund locktime the tower broadcasts the refund', async () => {
    const c = await oracleContract(world, ['enum']);
    const f = await fundAndHandOver(c, 0);
    // Before the locktime nothing is sent.
    expect((await towerPass(c, 0)).jobs[0]).toMatchObject({ state: 'watching' });
    // Time passes beyond the refund locktime (BIP113: the median of the last 11 blocks).
    world.chainClock.t = f.refundLocktime + 3600;
    await world.mine(11);
    const after = await towerPass(c, 0);
    expect(after.jobs[0]).toMatchObject({ state: 'broadcast', kind: 'refund', outcome: null });
    const txid = after.jobs[0]!.txid;
    await world.mine(1);
    expect((await towerPass(c, 0)).jobs[0]).toMatchObject({ state: 'confirmed', txid });
    await expectClosedExactly(f, txid, 'refunded', 0n);
  }, 180_000);
});
