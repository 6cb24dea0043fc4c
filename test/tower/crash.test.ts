/**
 * Issue 16: the tower survives kill -9. The real service runs as a child process whose tower
 * broadcasts to a devnet in this process; `VERDICT_TOWER_FAILPOINT` makes it SIGKILL itself
 *
 * - between attestation and broadcast (`after_choose`: the CET is recorded, not sent), and
 * - between broadcast and record (`after_send`: the node has the CET, the tower's tables do not
 *   say so).
 *
 * After each kill the service restarts without the failpoint; its scheduler resumes the job and
 * the CET is broadcast and confirmed, once in effect: one transaction spends the funding output,
 * and it is the recorded CET.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { devnetFaucet, startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { OracleClient, TowerClient } from '../../src/party/oracle-client.ts';
import { Party } from '../../src/party/party.ts';
import { enableTower } from '../../src/party/tower.ts';
import { childEnv, startServiceChild, tempDir, type ServiceChild } from '../hardening/child.ts';
import {
  call,
  createContract,
  expectOk,
  milestoneUrl,
  TestClock,
  type CreatedContract,
} from '../oracle/helpers.ts';
import { ChainClock, MINER_ADDRESS, milestoneTerms, PASSPHRASE } from '../party/helpers.ts';

let devnet: Devnet;
let chainClock: ChainClock;
const dirs = { oracle: '', client: '', freelancer: '', devnet: '' };
let client: Party;
let freelancer: Party;
let child: ServiceChild | undefined;

beforeAll(async () => {
  dirs.oracle = tempDir('verdict-tower-crash-');
  for (const k of ['client', 'freelancer', 'devnet'] as const) {
    dirs[k] = mkdtempSync(join(tmpdir(), `verdict-tower-crash-${k}-`));
  }
  chainClock = new ChainClock();
  devnet = await startDevnet({ dataDir: dirs.devnet, nowSec: chainClock.now });
  for (const d of [dirs.client, dirs.freelancer]) Party.init(d, PASSPHRASE, { scryptN: 1024 });
  const open = (d: string) => Party.open({ dataDir: d, passphrase: PASSPHRASE, chain: devnet.rpc });
  client = await open(dirs.client);
  freelancer = await open(dirs.freelancer);
  for (let i = 0; i < 2; i++) {
    await devnetFaucet(devnet.rpc, client.wallet.nextAddress('receive').address, 400_000n, false);
  }
  await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
}, 60_000);

afterAll(async () => {
  await child?.kill9();
  client.close();
  freelancer.close();
  await devnet.stop();
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
});

function start(failpoint?: 'after_choose' | 'after_send'): Promise<ServiceChild> {
  return startServiceChild(
    childEnv(dirs.oracle, {
      VERDICT_DEVNET: 'off',
      VERDICT_BITCOIN_RPC: devnet.url,
      VERDICT_BITCOIN_RPC_COOKIE: devnet.cookieFile!,
      VERDICT_SCHEDULER_TICK_SEC: '1',
      ...(failpoint === undefined ? {} : { VERDICT_TOWER_FAILPOINT: failpoint }),
    }),
  );
}

interface JobRow {
  state: string;
  txid: string | null;
  funding_txid: string;
  fund_output_index: number;
}

/** The tower's tables, read from the file (the service may be dead). */
function readTower(dlcContractId: string): { job: JobRow; broadcasts: { result: string }[] } {
  const db = new Database(join(dirs.oracle, 'verdict.db'), { readonly: true });
  try {
    const job = db
      .prepare('SELECT * FROM tower_jobs WHERE dlc_contract_id = ?')
      .get(dlcContractId) as JobRow;
    const broadcasts = db
      .prepare('SELECT result FROM tower_broadcasts WHERE dlc_contract_id = ? ORDER BY id')
      .all(dlcContractId) as { result: string }[];
    return { job, broadcasts };
  } finally {
    db.close();
  }
}

/** Funds milestone `index` and hands the tower both parties' signatures. */
async function fundAndHandOver(
  url: string,
  c: CreatedContract,
  index: number,
): Promise<{ dlcContractId: string }> {
  const oracle = new OracleClient(url);
  const world = { oracle } as Parameters<typeof milestoneTerms>[0];
  const terms = await milestoneTerms(world, c, index);
  const announcement = await oracle.announcement(terms.eventId);
  const { offer } = await client.offer({ terms, announcement });
  const { accept } = await freelancer.accept({ offer, terms });
  const { sign, contract: cRow } = await client.sign({ accept });
  const { contract: fRow } = await freelancer.finalize({ sign });
  await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
  const tower = new TowerClient(url);
  const a = await enableTower(client, client.store.getContract(cRow.id), tower, {
    token: c.tokens.client,
  });
  await enableTower(freelancer, freelancer.store.getContract(fRow.id), tower, {
    token: c.tokens.freelancer,
  });
  return { dlcContractId: a.record.dlc_contract_id };
}

async function decide(url: string, c: CreatedContract, index: number): Promise<void> {
  expectOk(
    await call(url, 'POST', milestoneUrl(c.contract.id, index, 'deliver'), {
      token: c.tokens.freelancer,
      body: { commitSha: 'ef'.repeat(20), note: 'done' },
    }),
  );
  expectOk(
    await call(url, 'POST', milestoneUrl(c.contract.id, index, 'accept'), {
      token: c.tokens.client,
      body: {},
    }),
  );
}

/** Waits (event-driven by the service's own ticks) until the job reaches `state`. */
async function until(dlcContractId: string, state: string): Promise<JobRow> {
  for (;;) {
    const { job } = readTower(dlcContractId);
    if (job.state === state) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Exactly one transaction spends the funding output, and it is the tower's CET, in a block. */
async function expectSpentOnceBy(job: JobRow): Promise<void> {
  expect(await devnet.rpc.getTxOut(job.funding_txid, job.fund_output_index, true)).toBeNull();
  const info = await devnet.rpc.getTransaction(job.txid!);
  expect(info?.confirmations).toBeGreaterThan(0);
  expect(devnet.chain.mempoolTxids()).toEqual([]);
}

it('kill -9 between attestation and broadcast, and between broadcast and record: the CET is broadcast once after restart', async () => {
  child = await start('after_choose');
  const c = await createContract(
    { url: child.url, clock: new TestClock(Math.floor(Date.now() / 1000)) },
    [{ outcome: 'enum' }, { outcome: 'enum' }],
  );

  // 1. Killed after the CET is recorded, before it is sent.
  const first = await fundAndHandOver(child.url, c, 0);
  await decide(child.url, c, 0);
  await child.exited();
  const chosen = readTower(first.dlcContractId);
  expect(chosen.job).toMatchObject({ state: 'chosen' });
  expect(chosen.broadcasts).toEqual([]);
  expect(devnet.chain.mempoolTxids()).not.toContain(chosen.job.txid);
  // Restarted: the pending job is resumed and the CET sent.
  child = await start();
  const sent = await until(first.dlcContractId, 'broadcast');
  expect(sent.txid).toBe(chosen.job.txid);
  expect(devnet.chain.mempoolTxids()).toContain(sent.txid);
  await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
  await expectSpentOnceBy(await until(first.dlcContractId, 'confirmed'));
  await child.stop();

  // 2. Killed after the node accepted the CET, before the tower recorded the broadcast.
  child = await start('after_send');
  const second = await fundAndHandOver(child.url, c, 1);
  await decide(child.url, c, 1);
  await child.exited();
  const unrecorded = readTower(second.dlcContractId);
  expect(unrecorded.job).toMatchObject({ state: 'chosen' });
  expect(unrecorded.broadcasts).toEqual([]);
  expect(devnet.chain.mempoolTxids()).toContain(unrecorded.job.txid);
  // Restarted: sending it again is harmless (a node that has it in its mempool answers with its
  // txid, as Core does); then it is recorded.
  child = await start();
  const resent = await until(second.dlcContractId, 'broadcast');
  expect(resent.txid).toBe(unrecorded.job.txid);
  expect(readTower(second.dlcContractId).broadcasts.map((b) => b.result)).toEqual(['accepted']);
  expect(devnet.chain.mempoolTxids()).toEqual([resent.txid]);
  await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
  await expectSpentOnceBy(await until(second.dlcContractId, 'confirmed'));
  await child.stop();
  child = undefined;
}, 300_000);
