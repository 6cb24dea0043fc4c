/**
 * `npm run demo`: one contract's whole story on a private chain, in one process. The oracle service
 * and a devnet run on free loopback ports over a temp data dir (or, with `--rpc`, any Core-compatible
 * regtest node takes the devnet's place and only Core's RPCs are used: docs/bitcoin-core.md); a client and a freelancer, each
 * with its own wallet and data dir, fund one DLC per milestone through the oracle's relay with the
 * `verdict dlc` commands; CI, the client and three arbiters decide the milestones; each party's
 * watcher settles on its own; every payout is then checked against the terms, to the satoshi.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p2wpkh, RawTx } from '@scure/btc-signer';
import { BitcoinRpcClient, RegtestFunder } from 'verdict/chain';
import { REGTEST_NETWORK, startDevnet } from '../../src/chain/devnet/index.ts';
import { OracleClient } from 'verdict/party';
import { Party, type WatchAction } from 'verdict/party';
import type { ContractRow } from 'verdict/party';
import { loadConfig } from '../../oracle/config.ts';
import { startServer, type RunningServer } from '../../oracle/server.ts';
import { runCi } from '../cli/ci.ts';
import { runDlc, type DlcIo } from '../cli/dlc.ts';
import { run as runOracleCli } from '../cli/oracle.ts';
import { run as runArbiterCli } from '../cli/arbiter.ts';
import { call, DemoError, expectStatus, type ArbiterSession } from './http.ts';
import { formatPayoutTable, type PayoutRow } from './table.ts';

const DAY = 86_400;
const PARTY_PASSPHRASE = 'demo party passphrase';
const ARBITER_PASSWORD = 'a long enough demo password';
const COIN_SAT = 300_000n;
const FEE_RATE_SAT_PER_VB = 2n;
const WAIT_MS = 90_000;

/** The three milestones: how each is decided and what the terms then pay the freelancer. */
const MILESTONES = [
  {
    title: 'Checkout API',
    amountSat: 200_000n,
    outcome: 'enum',
    decidedBy: 'CI: tests pass on the delivered commit',
    expected: 'accepted',
  },
  {
    title: 'Storefront UI',
    amountSat: 150_000n,
    outcome: 'enum',
    decidedBy: 'the client accepts',
    expected: 'accepted',
  },
  {
    title: 'Production deployment',
    amountSat: 120_000n,
    outcome: 'share',
    decidedBy: 'dispute: 3 arbiters vote 40/60/70 %',
    expected: '60',
  },
] as const;

const ARBITERS = [
  { id: 'ada', name: 'Ada', vote: 40, rationale: 'deployed, but the runbook is missing' },
  { id: 'grace', name: 'Grace', vote: 60, rationale: 'most of the deployment works as agreed' },
  { id: 'linus', name: 'Linus', vote: 70, rationale: 'only monitoring and polish are missing' },
] as const;

const DELIVERED_COMMITS = [
  '3f2a9c1e5b7d4a6f8e0c2b4d6f8a0c2e4b6d8f0a',
  '7c1e3a5b9d2f4e6a8c0b1d3f5e7a9c2b4d6e8f01',
  'b4d6e8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2',
] as const;

/** Somebody else's address: the demo's miner is nobody in the story. */
const MINER_ADDRESS = p2wpkh(
  secp256k1.getPublicKey(new Uint8Array(32).fill(7), true),
  REGTEST_NETWORK,
).address;

export interface DemoIo {
  /** One line of the narrative. */
  line(text: string): void;
}

export interface DemoResult {
  readonly ok: boolean;
  /** Why it is not ok (empty when ok). */
  readonly problems: readonly string[];
  readonly rows: readonly PayoutRow[];
  readonly table: string;
  readonly elapsedSec: number;
}

export interface DemoOptions {
  /** Keep the temp dir (its path is printed). */
  readonly keep?: boolean;
  /**
   * A Core-compatible regtest node to use instead of the embedded devnet: its JSON-RPC URL
   * (`user:pass@` inside it, or a cookie file). Coins then come from block rewards mined with
   * `generatetoaddress`; nothing but Core's RPCs is called.
   */
  readonly node?: { readonly url: string; readonly cookieFile?: string };
}

/** The chain the story runs on: the embedded devnet or the node given by `--rpc`. */
interface DemoNode {
  readonly url: string;
  readonly cookieFile: string | undefined;
  readonly rpc: BitcoinRpcClient;
  /** How the story names it. */
  readonly name: string;
}

type Who = 'client' | 'freelancer';

/** The oracle's clock: the system clock plus the time the demo fast-forwarded. */
class DemoClock {
  offsetSec = 0;
  readonly now = (): number => Math.floor(Date.now() / 1000) + this.offsetSec;
}

interface CreatedContract {
  contract: { id: string; milestones: { eventId: string; index: number }[] };
  tokens: { client: string; freelancer: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const sat = (v: bigint): string => v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** Runs the whole story. Never throws: whatever went wrong is in the result's `problems`. */
export async function runDemo(io: DemoIo, opts: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const elapsed = (): string => ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  const say = (text = ''): void => io.line(text === '' ? '' : `[${elapsed()}s] ${text}`);
  const heading = (text: string): void => {
    io.line('');
    io.line(`== ${text}`);
  };
  const tmp = mkdtempSync(join(tmpdir(), 'verdict-demo-'));
  const dirs = {
    oracle: join(tmp, 'oracle'),
    devnet: join(tmp, 'devnet'),
    client: join(tmp, 'client'),
    freelancer: join(tmp, 'freelancer'),
  };
  const cleanups: (() => Promise<void> | void)[] = [];
  cleanups.push(oneConnectionPerRequest());
  try {
    return await story();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    say(`FAILED: ${message}`);
    if (!(e instanceof DemoError) && e instanceof Error && e.stack !== undefined) io.line(e.stack);
    return { ok: false, problems: [message], rows: [], table: '', elapsedSec: seconds() };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        io.line(`(cleanup: ${e instanceof Error ? e.message : String(e)})`);
      }
    }
    if (opts.keep === true) io.line(`(data kept in ${tmp})`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  function seconds(): number {
    return Math.round((Date.now() - started) / 100) / 10;
  }

  async function story(): Promise<DemoResult> {
    // ---------------------------------------------------------------- the chain and the oracle
    let devnet: DemoNode;
    if (opts.node === undefined) {
      heading('1. A private Bitcoin chain (devnet, regtest) and the Verdict oracle');
      const d = await startDevnet({ dataDir: dirs.devnet, port: 0 });
      cleanups.push(() => d.stop());
      devnet = { url: d.url, cookieFile: d.cookieFile, rpc: d.rpc, name: 'devnet' };
    } else {
      heading('1. Your regtest node (Bitcoin Core JSON-RPC) and the Verdict oracle');
      const { url: nodeUrl, cookieFile } = opts.node;
      const rpc = new BitcoinRpcClient({
        url: nodeUrl,
        ...(cookieFile === undefined ? {} : { cookieFile }),
      });
      const info = await rpc.getBlockchainInfo();
      if (info.chain !== 'regtest') {
        throw new DemoError(
          `the node at --rpc is on "${info.chain}": the demo mines blocks, so it runs on regtest only`,
        );
      }
      devnet = { url: nodeUrl, cookieFile, rpc, name: 'node' };
    }
    const funder = new RegtestFunder(devnet.rpc);
    const clock = new DemoClock();
    const config = loadConfig({
      VERDICT_DATA_DIR: dirs.oracle,
      VERDICT_HOST: '127.0.0.1',
      VERDICT_PORT: '0',
      VERDICT_LOG_LEVEL: 'silent',
      VERDICT_SCRYPT_N: '1024',
      VERDICT_DEVNET: 'off',
    });
    const oracleServer: RunningServer = await startServer(config, {
      now: clock.now,
      cron: false,
    });
    cleanups.push(() => oracleServer.close());
    const url = oracleServer.url;
    const oracleInfo = expectStatus<{ publicKey: string }>(
      'GET /v1/oracle',
      await call(url, 'GET', '/v1/oracle'),
    );
    say(
      `${devnet.name.padEnd(6)} JSON-RPC  ${redactUrl(devnet.url)}  (cookie ${devnet.cookieFile ?? '-'})`,
    );
    say(`oracle           ${url}  (API docs ${url}/docs, arbiter UI ${url}/arbiter/)`);
    say(`oracle key       ${oracleInfo.publicKey}`);

    // ---------------------------------------------------------------- arbiters
    heading('2. The operator invites three arbiters; each accepts the invite');
    const cliEnv = {
      VERDICT_DATA_DIR: dirs.oracle,
      VERDICT_SCRYPT_N: '1024',
      VERDICT_LOG_LEVEL: 'silent',
    };
    const adminOut: string[] = [];
    say('$ verdict oracle admin-token');
    if ((await runOracleCli(['admin-token', '--ttl-sec', '3600'], capture(adminOut), cliEnv)) !== 0)
      throw new DemoError('verdict oracle admin-token failed');
    const adminToken = adminOut.join('').trim();
    for (const a of ARBITERS) {
      const out: string[] = [];
      say(`$ verdict arbiter invite ${a.id} --name ${a.name} --url ${url}`);
      const code = await runArbiterCli(
        ['invite', a.id, '--name', a.name, '--url', url, '--token', adminToken, '--json'],
        capture(out),
        cliEnv,
      );
      if (code !== 0) throw new DemoError(`verdict arbiter invite ${a.id} failed: ${out.join()}`);
      const invite = JSON.parse(out.join('\n')) as { token: string; inviteUrl: string };
      expectStatus(
        `${a.id} accepts the invite`,
        await call(url, 'POST', '/arbiter/api/invite/accept', {
          ui: { origin: url },
          body: { token: invite.token, password: ARBITER_PASSWORD },
        }),
      );
      say(`${a.name} opened the invite link and chose a password: active`);
    }

    // ---------------------------------------------------------------- the contract
    heading('3. The client and the freelancer agree on a contract with three milestones');
    const deadline = clock.now() + 14 * DAY;
    const created = expectStatus<CreatedContract>(
      'POST /v1/contracts',
      await call(url, 'POST', '/v1/contracts', {
        body: {
          title: 'Web shop rewrite',
          client: { id: 'acme', name: 'ACME Shop (client)' },
          freelancer: { id: 'fran', name: 'Fran (freelancer)' },
          milestones: MILESTONES.map((m, i) => ({
            title: m.title,
            amountSat: m.amountSat.toString(),
            outcome: m.outcome,
            deliveryDeadline: deadline,
            reviewWindowSec: 3 * DAY,
            ...(i === 0 ? { ci: { identity: { kind: 'token' }, decisive: true } } : {}),
            ...(i === 2
              ? {
                  dispute: {
                    panel: { arbiters: ARBITERS.map((a) => a.id) },
                    quorum: 2,
                    evidenceWindowSec: DAY,
                    votingWindowSec: DAY,
                  },
                }
              : {}),
          })),
        },
      }),
      201,
    );
    const contractId = created.contract.id;
    const eventIds = created.contract.milestones.map((m) => m.eventId);
    say(`contract ${contractId}; the oracle announced one event per milestone:`);
    MILESTONES.forEach((m, i) =>
      say(
        `  ${i}. ${m.title.padEnd(22)} ${sat(m.amountSat).padStart(9)} sat  ${m.outcome.padEnd(5)}  ${eventIds[i]}`,
      ),
    );

    // ---------------------------------------------------------------- wallets
    heading(
      '4. Each party has its own wallet and data dir; the client gets coins from block rewards',
    );
    let lastProgress = '';
    const dlc = async (who: Who, argv: string[], show = true): Promise<Record<string, unknown>> => {
      const out: string[] = [];
      const err: string[] = [];
      const dlcIo: DlcIo = {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        readStdin: () => Promise.resolve(''),
        progress: (text, done) => {
          if (done && text !== lastProgress) say(`  ${who}: ${text}`);
          if (done) lastProgress = text;
        },
      };
      // Shown as the party types it in its data dir (VERDICT_PARTY_DIR and the rest in its env).
      if (show) say(`${who}$ verdict dlc ${argv.join(' ').replaceAll(`${dirs[who]}/`, '')}`);
      const env = {
        VERDICT_PARTY_PASSPHRASE: PARTY_PASSPHRASE,
        VERDICT_BITCOIN_RPC: devnet.url,
        ...(devnet.cookieFile === undefined
          ? {}
          : { VERDICT_BITCOIN_RPC_COOKIE: devnet.cookieFile }),
        VERDICT_ORACLE_URL: url,
        VERDICT_PARTY_TOKEN: created.tokens[who],
      };
      const code = await runDlc(['--data-dir', dirs[who], '--json', ...argv], dlcIo, env);
      if (code !== 0) {
        throw new DemoError(
          `verdict dlc ${argv.join(' ')} (${who}) exited ${code}: ${err.join(' ')}`,
        );
      }
      return JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown>;
    };
    for (const who of ['client', 'freelancer'] as const) {
      await dlc(who, ['wallet', 'init', '--scrypt-n', '1024'], false);
      say(`${who}: wallet created in ${dirs[who]} (its mnemonic stays with it)`);
    }
    for (let i = 0; i < MILESTONES.length; i++) {
      const { address } = (await dlc('client', ['wallet', 'address'], false)) as {
        address: string;
      };
      // Core RPCs only: block rewards mined to a funder key (generatetoaddress), then paid on.
      const paid = await funder.pay(address, COIN_SAT);
      say(
        `funder: ${sat(COIN_SAT)} sat to the client's ${address} (tx ${paid.txid.slice(0, 16)}…, mined)`,
      );
    }
    // From here on a block is mined whenever a transaction waits in the mempool.
    const miner = startMiner(devnet, say);
    cleanups.push(() => miner.stop());
    const clientStartSat = BigInt(
      ((await dlc('client', ['wallet', 'balance'])) as { balanceSat: string }).balanceSat,
    );
    say(`client balance: ${sat(clientStartSat)} sat; freelancer balance: 0 sat`);

    // ---------------------------------------------------------------- funding
    heading("5. Both parties set up each milestone's DLC through the oracle's relay");
    for (let i = 0; i < MILESTONES.length; i++) {
      const m = MILESTONES[i]!;
      say(`milestone ${i}: ${m.title} (${sat(m.amountSat)} sat, ${m.outcome})`);
      // Each party fetches the terms itself (`verdict dlc terms`, checked against the terms
      // hash) and checks them against the oracle key it pinned.
      const relay = ['--relay-contract', contractId, '--milestone', String(i)];
      for (const who of ['client', 'freelancer'] as const) {
        const { terms } = (await dlc(who, [
          'terms',
          '--contract',
          contractId,
          '--milestone',
          String(i),
          '--fee-rate',
          FEE_RATE_SAT_PER_VB.toString(),
        ])) as { terms: { eventId: string; oraclePublicKey: string; amountSat: string } };
        if (
          terms.oraclePublicKey !== oracleInfo.publicKey ||
          terms.eventId !== eventIds[i] ||
          terms.amountSat !== m.amountSat.toString()
        ) {
          throw new DemoError(
            `the ${who}'s terms of milestone ${i} differ: ${JSON.stringify(terms)}`,
          );
        }
      }
      await dlc('client', ['offer', ...relay]);
      await dlc('freelancer', ['accept', ...relay]);
      await dlc('client', ['sign', ...relay]);
      const fund = (await dlc('freelancer', ['sign', ...relay])) as {
        contract: { fundingTxid: string };
      };
      miner.label(fund.contract.fundingTxid, `funding of milestone ${i}`);
      say(`  funding transaction ${fund.contract.fundingTxid} broadcast`);
    }

    // ---------------------------------------------------------------- watchers
    heading("6. Each party's watcher runs (what `verdict dlc watch` does)");
    const oracle = new OracleClient(url);
    const watchers = {
      client: await startWatcher('client', dirs.client, devnet, oracle, eventIds, say),
      freelancer: await startWatcher('freelancer', dirs.freelancer, devnet, oracle, eventIds, say),
    };
    miner.describe((txid) => {
      for (const w of [watchers.client, watchers.freelancer]) {
        for (const [i, e] of eventIds.entries()) {
          const row = w.rowOf(e);
          if (row?.funding_txid === txid) return `funding of milestone ${i}`;
          if (row?.closing_txid === txid) return `CET of milestone ${i}`;
        }
      }
      return undefined;
    });
    cleanups.push(() => watchers.client.stop());
    cleanups.push(() => watchers.freelancer.stop());
    await waitFor('every funding transaction confirmed for both parties', () =>
      (['client', 'freelancer'] as const).every((w) =>
        eventIds.every((e) => ['confirmed', 'settled'].includes(watchers[w].rowOf(e)?.state ?? '')),
      ),
    );
    say('all three DLCs are funded and confirmed; the money is locked until the oracle attests');

    const milestonePath = (i: number, action: string): string =>
      `/v1/contracts/${contractId}/milestones/${i}/${action}`;
    const deliver = async (i: number, note: string): Promise<void> => {
      expectStatus(
        `deliver milestone ${i}`,
        await call(url, 'POST', milestonePath(i, 'deliver'), {
          token: created.tokens.freelancer,
          body: { commitSha: DELIVERED_COMMITS[i], note },
        }),
      );
      say(`freelancer delivers milestone ${i}: commit ${DELIVERED_COMMITS[i]}`);
    };
    const settled = (i: number): Promise<void> =>
      waitFor(`milestone ${i} settled by both watchers`, () =>
        (['client', 'freelancer'] as const).every(
          (w) => watchers[w].rowOf(eventIds[i]!)?.state === 'settled',
        ),
      );

    // ---------------------------------------------------------------- milestone 0: CI
    heading('7. Milestone 0 is decided by CI');
    await deliver(0, 'checkout API with tests');
    const ciToken = expectStatus<{ token: string }>(
      'issue a CI token',
      await call(url, 'POST', milestonePath(0, 'ci/tokens'), {
        token: created.tokens.client,
        body: {},
      }),
      201,
    );
    say('client issues a CI token for milestone 0 and gives it to the CI pipeline');
    const junit = join(tmp, 'junit.xml');
    writeFileSync(junit, JUNIT_REPORT);
    const ciArgs = [
      'attest',
      '--url',
      url,
      '--contract',
      contractId,
      '--milestone',
      '0',
      '--commit',
      DELIVERED_COMMITS[0],
      '--junit',
      junit,
      '--run-url',
      'https://ci.example.com/acme/shop/runs/42',
    ];
    say(
      `ci$ VERDICT_CI_TOKEN=… verdict ci attest ${ciArgs.slice(1).join(' ').replace(junit, 'junit.xml')}`,
    );
    const ciOut: string[] = [];
    const ciCode = await runCi(ciArgs, {
      env: { VERDICT_CI_TOKEN: ciToken.token },
      out: (l) => ciOut.push(l),
      err: (l) => ciOut.push(l),
    });
    for (const l of ciOut) say(`  ${l}`);
    if (ciCode !== 0) throw new DemoError(`verdict ci attest exited ${ciCode}`);
    await settled(0);

    // ---------------------------------------------------------------- milestone 1: acceptance
    heading('8. Milestone 1 is accepted by the client');
    await deliver(1, 'storefront deployed to staging');
    expectStatus(
      'accept milestone 1',
      await call(url, 'POST', milestonePath(1, 'accept'), {
        token: created.tokens.client,
        body: {},
      }),
    );
    say('client accepts milestone 1; the oracle attests "accepted"');
    await settled(1);

    // ---------------------------------------------------------------- milestone 2: dispute
    heading('9. Milestone 2 is disputed; three arbiters vote');
    await deliver(2, 'production deployment');
    expectStatus(
      'dispute milestone 2',
      await call(url, 'POST', milestonePath(2, 'dispute'), {
        token: created.tokens.client,
        body: { reason: 'no monitoring, and the runbook we agreed on is missing' },
      }),
    );
    say('client disputes milestone 2: "no monitoring, and the runbook we agreed on is missing"');
    expectStatus(
      'client evidence',
      await call(url, 'POST', milestonePath(2, 'dispute/evidence'), {
        token: created.tokens.client,
        body: { kind: 'statement', text: 'The terms list monitoring and a runbook.' },
      }),
      201,
    );
    expectStatus(
      'freelancer evidence',
      await call(url, 'POST', milestonePath(2, 'dispute/evidence'), {
        token: created.tokens.freelancer,
        body: {
          kind: 'link',
          url: 'https://shop.example.com/status',
          text: 'the shop runs in production',
        },
      }),
      201,
    );
    say('both parties add evidence');
    clock.offsetSec += DAY;
    oracleServer.scheduler.tick();
    say("(fast-forward: the oracle's clock moves 1 day; the evidence phase ends, voting opens)");
    for (const a of ARBITERS) {
      const session = await login(url, a.id);
      const queue = expectStatus<{
        disputes: { disputeId: number; contractId: string; milestoneIndex: number }[];
      }>(
        `${a.id}'s queue`,
        await call(url, 'GET', '/arbiter/api/disputes', { ui: { origin: url, session } }),
      );
      const d = queue.disputes.find((x) => x.contractId === contractId && x.milestoneIndex === 2);
      if (d === undefined) throw new DemoError(`${a.id} does not see the dispute`);
      expectStatus(
        `${a.id} votes`,
        await call(url, 'POST', `/arbiter/api/disputes/${d.disputeId}/vote`, {
          ui: { origin: url, session },
          body: { outcome: a.vote, rationale: a.rationale },
        }),
        204,
      );
      say(
        `${a.name} logs in to the arbiter UI and casts a sealed vote: ${a.vote} % ("${a.rationale}")`,
      );
    }
    clock.offsetSec += DAY;
    oracleServer.scheduler.tick();
    say("(fast-forward: 1 more day; the voting closes and the oracle's scheduler runs)");
    const page = expectStatus<{ rounds: { result: { outcome: string; rule: string } | null }[] }>(
      'the dispute page',
      await call(url, 'GET', milestonePath(2, 'dispute'), { token: created.tokens.freelancer }),
    );
    const result = page.rounds[0]?.result;
    say(
      `the panel decided ${result?.outcome ?? '?'} % (${result?.rule ?? '?'} of the votes); the oracle attests it`,
    );
    await settled(2);

    // ---------------------------------------------------------------- the check
    heading('10. Payouts against the terms');
    const rows: PayoutRow[] = [];
    const problems: string[] = [];
    for (let i = 0; i < MILESTONES.length; i++) {
      rows.push(
        await checkMilestone(
          i,
          eventIds[i]!,
          watchers.client.party,
          watchers.freelancer.party,
          oracle,
          devnet,
          problems,
        ),
      );
    }
    const table = formatPayoutTable(rows);
    for (const l of table.split('\n')) io.line(l);
    // The wallets: the freelancer holds exactly its payouts; the client exactly what it had, minus
    // what it locked and the fees, plus its payouts.
    const clientRows = eventIds.map((e) => watchers.client.rowOf(e)!);
    let fees = 0n;
    for (const row of clientRows) {
      const f = watchers.client.party.contractOf(row).contract.funding.fees.offer;
      fees += f.fundingFee + f.closingFee;
    }
    const sum = (f: (r: PayoutRow) => bigint): bigint => rows.reduce((s, r) => s + f(r), 0n);
    const locked = MILESTONES.reduce((s, m) => s + m.amountSat, 0n);
    const expectClient = clientStartSat - locked - fees + sum((r) => r.chainClientSat);
    const expectFreelancer = sum((r) => r.chainFreelancerSat);
    const clientNow = await watchers.client.party.wallet.balanceSat();
    const freelancerNow = await watchers.freelancer.party.wallet.balanceSat();
    io.line('');
    io.line(
      `client wallet:     ${sat(clientStartSat)} - ${sat(locked)} locked - ${sat(fees)} fees + ${sat(sum((r) => r.chainClientSat))} paid back = ${sat(expectClient)} sat; wallet holds ${sat(clientNow)} sat ${clientNow === expectClient ? 'ok' : 'MISMATCH'}`,
    );
    io.line(
      `freelancer wallet: ${sat(expectFreelancer)} sat paid = wallet holds ${sat(freelancerNow)} sat ${freelancerNow === expectFreelancer ? 'ok' : 'MISMATCH'}`,
    );
    if (clientNow !== expectClient)
      problems.push(`client wallet holds ${clientNow} sat, expected ${expectClient}`);
    if (freelancerNow !== expectFreelancer)
      problems.push(`freelancer wallet holds ${freelancerNow} sat, expected ${expectFreelancer}`);
    const ok = problems.length === 0 && rows.every((r) => r.ok);
    io.line('');
    say(
      ok
        ? `everything settled as the terms say (${seconds()} s)`
        : `NOT as the terms say: ${problems.join('; ')}`,
    );
    return { ok, problems, rows, table, elapsedSec: seconds() };
  }
}

/**
 * Sends `Connection: close` on every fetch of this process until the returned function restores
 * fetch. The demo runs the oracle, the devnet and both parties in one event loop: a CET signing
 * that keeps the loop busy for seconds also holds back the server's keep-alive timer, which then
 * closes a pooled connection under the very next request ("fetch failed"). Separate processes
 * do not share that timer; here one connection per request avoids the race.
 */
function oneConnectionPerRequest(): () => void {
  const plain = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
    headers.set('connection', 'close');
    return plain(input, { ...init, headers });
  };
  return () => {
    globalThis.fetch = plain;
  };
}

/** The CLI's I/O into an array (nothing printed). */
function capture(out: string[]): {
  out: (l: string) => void;
  err: (l: string) => void;
  readStdin: () => Promise<string>;
} {
  return { out: (l) => out.push(l), err: (l) => out.push(l), readStdin: () => Promise.resolve('') };
}

/** An arbiter's login, as the UI does it: the session cookie and the CSRF token. */
async function login(url: string, id: string): Promise<ArbiterSession> {
  const res = await fetch(`${url}/arbiter/api/login`, {
    method: 'POST',
    headers: { origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ id, password: ARBITER_PASSWORD }),
  });
  const body = (await res.json()) as { csrfToken?: string };
  if (res.status !== 200 || body.csrfToken === undefined) {
    throw new DemoError(`${id} cannot log in: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .join('; ');
  return { id, cookie, csrf: body.csrfToken };
}

async function waitFor(what: string, done: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new DemoError(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Miner {
  label(txid: string, what: string): void;
  /** Names the transactions nobody labelled (looked up when a block is mined). */
  describe(f: (txid: string) => string | undefined): void;
  stop(): Promise<void>;
}

/** A block whenever the mempool holds transactions (checked every 250 ms), like a quiet regtest. */
function startMiner(devnet: DemoNode, say: (text: string) => void): Miner {
  const labels = new Map<string, string>();
  let describe: (txid: string) => string | undefined = () => undefined;
  let stopped = false;
  const mine = async (): Promise<void> => {
    const mempool = (await devnet.rpc.call('getrawmempool', [])) as string[];
    if (mempool.length === 0) return;
    await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
    const what = mempool.map((t) => labels.get(t) ?? describe(t) ?? `${t.slice(0, 16)}…`);
    say(`  block ${await devnet.rpc.getBlockCount()} mined: ${what.join(', ')}`);
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await mine().catch((e: unknown) => {
        say(`  miner: ${e instanceof Error ? e.message : String(e)}`);
      });
      await sleep(250);
    }
  };
  const running = loop();
  return {
    label: (txid, what) => labels.set(txid, what),
    describe: (f) => {
      describe = f;
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}

interface Watcher {
  readonly party: Party;
  rowOf(eventId: string): ContractRow | undefined;
  stop(): Promise<void>;
}

/** The party's watcher: `Party.poll` every 200 ms, its actions told in the story. */
async function startWatcher(
  who: Who,
  dataDir: string,
  devnet: DemoNode,
  oracle: OracleClient,
  eventIds: readonly string[],
  say: (text: string) => void,
): Promise<Watcher> {
  // Its own connection to the node, as on the party's own machine.
  const chain = new BitcoinRpcClient({
    url: devnet.url,
    ...(devnet.cookieFile === undefined ? {} : { cookieFile: devnet.cookieFile }),
  });
  const party = await Party.open({ dataDir, passphrase: PARTY_PASSPHRASE, chain });
  const milestoneOf = (row: ContractRow): number =>
    eventIds.indexOf((JSON.parse(row.terms_json) as { eventId: string }).eventId);
  const rowOf = (eventId: string): ContractRow | undefined =>
    party.store
      .listContracts()
      .find((r) => (JSON.parse(r.terms_json) as { eventId: string }).eventId === eventId);
  const last = new Map<number, string>();
  const tell = (a: WatchAction): void => {
    // Said once per change: a pass repeats `closing_seen` until the CET is mined.
    const key = `${a.action} ${a.txid ?? ''} ${a.detail ?? ''}`;
    if (last.get(a.contract) === key) return;
    last.set(a.contract, key);
    const row = party.store.getContract(a.contract);
    const m = milestoneOf(row);
    const txid = a.txid === undefined ? '' : ` ${a.txid}`;
    const text: Partial<Record<WatchAction['action'], string>> = {
      funding_confirmed: 'funding confirmed',
      cet_broadcast: `attestation found: CET completed and broadcast${txid}`,
      closing_seen: `the CET is in the chain or mempool${txid}`,
      settled: 'settled',
      refund_broadcast: `refund broadcast${txid}`,
      error: `error: ${a.detail ?? ''}`,
    };
    const t = text[a.action];
    if (t !== undefined) say(`  ${who}'s watcher, milestone ${m}: ${t}`);
  };
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        for (const a of await party.poll(oracle)) tell(a);
      } catch (e) {
        // A transport hiccup: the next pass repeats the same work (poll is idempotent).
        say(`  ${who}'s watcher: ${e instanceof Error ? e.message : String(e)}`);
      }
      await sleep(200);
    }
  };
  const running = loop();
  return {
    party,
    rowOf,
    async stop() {
      stopped = true;
      await running;
      party.close();
    },
  };
}

/** One milestone: the attested outcome, the terms' payouts, the CET's outputs on chain. */
async function checkMilestone(
  i: number,
  eventId: string,
  client: Party,
  freelancer: Party,
  oracle: OracleClient,
  devnet: DemoNode,
  problems: string[],
): Promise<PayoutRow> {
  const m = MILESTONES[i]!;
  const mine: string[] = [];
  const clientRow = client.store
    .listContracts()
    .find((r) => (JSON.parse(r.terms_json) as { eventId: string }).eventId === eventId);
  const freelancerRow = freelancer.store
    .listContracts()
    .find((r) => (JSON.parse(r.terms_json) as { eventId: string }).eventId === eventId);
  if (clientRow === undefined || freelancerRow === undefined)
    throw new DemoError(`milestone ${i}: a party has no contract`);
  const attestation = await oracle.attestation(eventId);
  if (attestation === null) throw new DemoError(`milestone ${i}: no attestation`);
  // Enum events attest the outcome string; share events its 7 binary digits (DESIGN.md).
  const outcome =
    m.outcome === 'enum'
      ? attestation.outcomes.join('')
      : String(parseInt(attestation.outcomes.join(''), 2));
  if (outcome !== m.expected) mine.push(`attested ${outcome}, expected ${m.expected}`);
  // The terms: the freelancer is owed the whole amount on "accepted", the share's percent of it
  // (rounded down) on a share; the client the rest. An output under the dust limit is not made.
  const percent = outcome === 'accepted' ? 100n : outcome === 'rejected' ? 0n : BigInt(outcome);
  const termsFreelancer = (m.amountSat * percent) / 100n;
  const termsClient = m.amountSat - termsFreelancer;
  const dust = (v: bigint): bigint => (v < 1000n ? 0n : v);

  const { contract } = client.contractOf(clientRow);
  const closingTxid = clientRow.closing_txid;
  let chainFreelancer = 0n;
  let chainClient = 0n;
  let confirmations = 0;
  if (closingTxid === null) mine.push('no closing transaction');
  else {
    const tx = await devnet.rpc.getTransaction(closingTxid);
    if (tx === null) mine.push(`closing transaction ${closingTxid} not found`);
    else {
      confirmations = (await devnet.rpc.getTransactionConfirmations(closingTxid)) ?? 0;
      const outputs = RawTx.decode(tx.raw).outputs as { script: Uint8Array; amount: bigint }[];
      const same = (a: Uint8Array, b: Uint8Array): boolean =>
        a.length === b.length && a.every((x, k) => x === b[k]);
      for (const o of outputs) {
        if (same(o.script, contract.offer.payoutSpk)) chainClient += o.amount;
        else if (same(o.script, contract.accept.payoutSpk)) chainFreelancer += o.amount;
        else mine.push(`an output to an unknown script ${Buffer.from(o.script).toString('hex')}`);
      }
    }
  }
  if (clientRow.closing_kind !== 'cet')
    mine.push(`closed by ${clientRow.closing_kind ?? 'nothing'}`);
  if (freelancerRow.closing_txid !== closingTxid)
    mine.push('the parties disagree on the closing transaction');
  if (clientRow.state !== 'settled' || freelancerRow.state !== 'settled')
    mine.push(`states ${clientRow.state}/${freelancerRow.state}`);
  if (confirmations < 1) mine.push('the CET is not confirmed');
  if (chainFreelancer !== dust(termsFreelancer))
    mine.push(`freelancer got ${chainFreelancer} sat, the terms say ${termsFreelancer}`);
  if (chainClient !== dust(termsClient))
    mine.push(`client got ${chainClient} sat, the terms say ${termsClient}`);
  for (const p of mine) problems.push(`milestone ${i}: ${p}`);
  return {
    index: i,
    title: m.title,
    decidedBy: m.decidedBy,
    amountSat: m.amountSat,
    outcome: m.outcome === 'share' ? `${outcome} %` : outcome,
    termsFreelancerSat: termsFreelancer,
    termsClientSat: termsClient,
    chainFreelancerSat: chainFreelancer,
    chainClientSat: chainClient,
    closingTxid: closingTxid ?? '',
    confirmations,
    ok: mine.length === 0,
  };
}

/** What the freelancer's CI pipeline reports for the delivered commit of milestone 0. */
const JUNIT_REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="checkout-api" tests="3" failures="0" errors="0">
  <testsuite name="checkout" tests="3" failures="0" errors="0">
    <testcase classname="checkout" name="creates an order" time="0.012"/>
    <testcase classname="checkout" name="charges the card once" time="0.020"/>
    <testcase classname="checkout" name="refunds a cancelled order" time="0.015"/>
  </testsuite>
</testsuites>
`;

/** The URL without its password, for printing. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
