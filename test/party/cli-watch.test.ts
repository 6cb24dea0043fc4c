/**
 * `verdict dlc` end to end: offer/accept/sign through the oracle's relay with the CLI, the
 * watcher as a separate process killed with SIGKILL between the CET's broadcast and its
 * confirmation and started again (same settled state, one spend of the funding output, no
 * conflicting broadcast), and the refund path (refused before its locktime — by the CLI and, for
 * a hand-made early refund, by the node with Core's `non-final` — then broadcast by the watcher).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcRejectedError } from '../../src/chain/errors.ts';
import { signRefund } from '../../src/dlc/protocol.ts';
import { termsToJson, type MilestoneTerms } from '../../src/party/milestone-terms.ts';
import type { WatchAction } from '../../src/party/party.ts';
import { runDlc, type DlcIo } from '../../scripts/cli/dlc.ts';
import type { CreatedContract } from '../oracle/helpers.ts';
import {
  decide,
  fundParty,
  milestoneTerms,
  oracleContract,
  PASSPHRASE,
  startWorld,
  type World,
} from './helpers.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let world: World;
let c: CreatedContract;

beforeAll(async () => {
  world = await startWorld();
  await fundParty(world, world.client, [500_000n, 500_000n]);
  c = await oracleContract(world, ['enum', 'enum']);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

function env(token?: string): Record<string, string> {
  return {
    VERDICT_PARTY_PASSPHRASE: PASSPHRASE,
    VERDICT_BITCOIN_RPC: world.node.url,
    ...(world.node.cookieFile === undefined
      ? {}
      : { VERDICT_BITCOIN_RPC_COOKIE: world.node.cookieFile }),
    VERDICT_ORACLE_URL: world.oracle.baseUrl,
    ...(token === undefined ? {} : { VERDICT_PARTY_TOKEN: token }),
  };
}

/** Runs `verdict dlc ...` in-process; returns the exit code and the JSON printed. */
async function dlc(
  who: 'client' | 'freelancer',
  argv: string[],
): Promise<{ code: number; json: Record<string, unknown>; err: string; progress: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const io: DlcIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: () => Promise.resolve(''),
    progress: (text) => progress.push(text),
  };
  const token = who === 'client' ? c.tokens.client : c.tokens.freelancer;
  const code = await runDlc(['--data-dir', world.dirs[who], '--json', ...argv], io, env(token));
  return {
    code,
    json: (out.length > 0 && out.at(-1)!.startsWith('{') ? JSON.parse(out.at(-1)!) : {}) as Record<
      string,
      unknown
    >,
    err: err.join('\n'),
    progress,
  };
}

function termsFile(terms: MilestoneTerms, name: string): string {
  const path = join(world.dirs.devnet, `${name}.json`);
  writeFileSync(path, JSON.stringify(termsToJson(terms)));
  return path;
}

/** The whole funding dance through the relay with the CLI; returns the contract ids. */
async function fundThroughRelay(
  index: number,
): Promise<{ clientId: number; freelancerId: number }> {
  const terms = termsFile(await milestoneTerms(world, c, index), `terms-${index}`);
  const relay = ['--relay-contract', c.contract.id, '--milestone', String(index)];
  const offer = await dlc('client', ['offer', '--terms', terms, ...relay]);
  expect(offer.code, offer.err).toBe(0);
  const accept = await dlc('freelancer', ['accept', '--terms', terms, ...relay]);
  expect(accept.code, accept.err).toBe(0);
  expect(accept.progress.at(-1)).toMatch(/^signing CETs \[#+\] 2\/2$/);
  const sign = await dlc('client', ['sign', ...relay]);
  expect(sign.code, sign.err).toBe(0);
  const fund = await dlc('freelancer', ['sign', ...relay]);
  expect(fund.code, fund.err).toBe(0);
  expect(fund.json['contract']).toMatchObject({ state: 'broadcast' });
  await world.mine(1);
  for (const who of ['client', 'freelancer'] as const) {
    expect((await dlc(who, ['watch', '--once'])).code).toBe(0);
  }
  const clientId = (offer.json['contract'] as { id: number }).id;
  const freelancerId = (accept.json['contract'] as { id: number }).id;
  expect(world.client.store.getContract(clientId).state).toBe('confirmed');
  expect(world.freelancer.store.getContract(freelancerId).state).toBe('confirmed');
  return { clientId, freelancerId };
}

/** `verdict dlc watch` as its own process, its JSON lines as they come. */
function startWatcher(who: 'client' | 'freelancer'): {
  child: ChildProcess;
  next: (action: string) => Promise<WatchAction>;
} {
  // One process (node with tsx's loader), so that SIGKILL kills the watcher itself; the tsx CLI
  // would run it in a child process that survives its parent's SIGKILL.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/verdict.ts',
      'dlc',
      'watch',
      '--data-dir',
      world.dirs[who],
      '--interval',
      '0.2',
      '--json',
    ],
    { cwd: repoRoot, env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const seen: WatchAction[] = [];
  const waiters: { action: string; resolve: (a: WatchAction) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const a = JSON.parse(line) as WatchAction;
    seen.push(a);
    for (const w of waiters.splice(0)) {
      if (w.action === a.action) w.resolve(a);
      else waiters.push(w);
    }
  });
  return {
    child,
    next: (action) =>
      new Promise((resolve) => {
        const found = seen.find((a) => a.action === action);
        if (found !== undefined) resolve(found);
        else waiters.push({ action, resolve });
      }),
  };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('verdict dlc', () => {
  it('wallet init, address and balance', async () => {
    const dir = join(world.dirs.devnet, 'cli-party');
    const runIn = async (argv: string[]) => {
      const out: string[] = [];
      const code = await runDlc(
        ['--data-dir', dir, '--json', ...argv],
        {
          out: (l) => out.push(l),
          err: () => undefined,
          readStdin: () => Promise.resolve(''),
        },
        { ...env(), VERDICT_PARTY_PASSPHRASE: 'another passphrase' },
      );
      return { code, json: JSON.parse(out.at(-1) ?? '{}') as Record<string, unknown> };
    };
    const init = await runIn(['wallet', 'init', '--scrypt-n', '1024']);
    expect(init.code).toBe(0);
    expect(String(init.json['mnemonic']).split(' ')).toHaveLength(24);
    expect((await runIn(['wallet', 'init'])).code).toBe(1);
    const address = await runIn(['wallet', 'address']);
    expect(address.json['address']).toMatch(/^bcrt1q/);
    await world.fund(String(address.json['address']), 12_345n);
    expect((await runIn(['wallet', 'balance'])).json).toEqual({ balanceSat: '12345' });
    const status = await runIn(['status']);
    expect(status.json).toEqual({ contracts: [] });
  });

  it('--help and usage errors', async () => {
    expect((await dlc('client', ['--help'])).code).toBe(0);
    expect((await dlc('client', ['frobnicate'])).code).toBe(2);
    expect((await dlc('client', ['settle', 'no-such-contract'])).code).toBe(2);
  });

  it('a watcher killed between the CET broadcast and its confirmation settles after a restart, with one spend', async () => {
    const { clientId, freelancerId } = await fundThroughRelay(0);
    await decide(world, c, 0, 'accepted');

    const first = startWatcher('freelancer');
    const broadcast = await first.next('cet_broadcast');
    first.child.kill('SIGKILL');
    await exited(first.child);
    // Unconfirmed: the CET is the only transaction in the mempool.
    expect(await world.node.rpc.call('getrawmempool', [])).toEqual([broadcast.txid]);
    expect(world.freelancer.store.getContract(freelancerId)).toMatchObject({
      state: 'confirmed',
      closing_txid: broadcast.txid,
    });

    const second = startWatcher('freelancer');
    const resumed = await second.next('closing_seen');
    expect(resumed.txid).toBe(broadcast.txid);
    // The killed watcher's lock was stale and taken over; a second live watcher is refused.
    const another = await dlc('freelancer', ['watch', '--once']);
    expect(another.code).toBe(1);
    expect(another.json).toMatchObject({ error: { code: 'watcher_running' } });
    expect(await world.node.rpc.call('getrawmempool', [])).toEqual([broadcast.txid]);
    await world.mine(1);
    const settled = await second.next('settled');
    expect(settled.txid).toBe(broadcast.txid);
    second.child.kill('SIGTERM');
    await exited(second.child);

    // The client learns the same closing from the chain.
    expect((await dlc('client', ['watch', '--once'])).code).toBe(0);
    expect((await dlc('client', ['watch', '--once'])).code).toBe(0);
    const status = await dlc('client', ['status', String(clientId)]);
    expect(status.json['contracts']).toEqual([
      expect.objectContaining({
        state: 'settled',
        closingKind: 'cet',
        closingTxid: broadcast.txid,
      }),
    ]);
    expect(world.freelancer.store.getContract(freelancerId).state).toBe('settled');
  }, 120_000);

  it('refund: refused before its locktime, broadcast by the watcher after it, balances exact', async () => {
    const before = await world.client.wallet.balanceSat();
    const freelancerBefore = await world.freelancer.wallet.balanceSat();
    const { clientId, freelancerId } = await fundThroughRelay(1);

    // Issue 13: in human mode, `watch --once` says what each contract waits for.
    const lines: string[] = [];
    const human = await runDlc(
      ['--data-dir', world.dirs.client, 'watch', '--once'],
      { out: (l) => lines.push(l), err: () => {}, readStdin: () => Promise.resolve('') },
      env(c.tokens.client),
    );
    expect(human).toBe(0);
    expect(lines).toEqual([`${clientId}\twaiting\tno attestation yet`]);

    const early = await dlc('client', ['refund', String(clientId)]);
    expect(early.code).toBe(1);
    expect(early.json).toMatchObject({ error: { code: 'refund_locktime_not_reached' } });
    // A refund made by hand anyway: the node refuses it as Core does.
    const row = world.client.store.getContract(clientId);
    const parts = world.client.contractOf(row);
    const tx = signRefund({
      contract: parts.contract,
      role: 'offer',
      fundingSecretKey: world.client.wallet.fundingKey(row.funding_key_index).secretKey,
      counterpartyRefundSignature: parts.counterpartyRefundSignature,
    });
    const refused = await world.node.rpc.sendRawTransaction(tx.hex).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(RpcRejectedError);
    expect((refused as RpcRejectedError).reason).toBe('non-final');
    expect(world.client.store.getContract(clientId).closing_txid).toBeNull();

    // Time passes beyond the refund locktime (BIP113: the median of the last 11 blocks).
    await world.setChainTime(parts.contract.offer.refundLocktime + 3600);
    await world.mine(11);
    const watch = await dlc('client', ['watch', '--once']);
    expect(watch.code).toBe(0);
    expect(world.client.store.getContract(clientId)).toMatchObject({ closing_kind: 'refund' });
    await world.mine(1);
    await dlc('client', ['watch', '--once']);
    await dlc('freelancer', ['watch', '--once']);
    await dlc('freelancer', ['watch', '--once']);
    expect(world.client.store.getContract(clientId).state).toBe('refunded');
    expect(world.freelancer.store.getContract(freelancerId).state).toBe('refunded');
    const fees = parts.contract.funding.fees.offer;
    expect(await world.client.wallet.balanceSat()).toBe(before - fees.fundingFee - fees.closingFee);
    expect(await world.freelancer.wallet.balanceSat()).toBe(freelancerBefore);
  }, 120_000);
});
