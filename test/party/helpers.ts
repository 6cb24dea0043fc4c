/**
 * Two parties (client and freelancer), each with its own wallet and data dir, a regtest chain,
 * and the real oracle service on an ephemeral port.
 *
 * The chain is a devnet on loopback whose clock the test moves, unless
 * `VERDICT_TEST_BITCOIN_RPC` names a Core-compatible regtest node (URL, optionally with
 * `user:pass@`; `VERDICT_TEST_BITCOIN_RPC_COOKIE` for a cookie file). Then the world uses only
 * Bitcoin Core's RPCs: coins come from block rewards mined with `generatetoaddress`
 * (RegtestFunder), the clock moves with `setmocktime`. docs/bitcoin-core.md says how to run it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { p2wpkh } from '@scure/btc-signer';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { REGTEST_NETWORK, startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { RegtestFunder } from '../../src/chain/regtest-funder.ts';
import { OracleClient } from '../../src/party/oracle-client.ts';
import { Party } from '../../src/party/party.ts';
import type { MilestoneTerms } from '../../src/party/milestone-terms.ts';
import {
  call,
  createContract,
  expectOk,
  milestoneUrl,
  startTestServer,
  type CreatedContract,
  type TestServer,
} from '../oracle/helpers.ts';

export const PASSPHRASE = 'party passphrase';

/** A node given by the environment (`VERDICT_TEST_BITCOIN_RPC`), or undefined: devnet. */
export function externalNodeFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { url: string; cookieFile?: string } | undefined {
  const url = env['VERDICT_TEST_BITCOIN_RPC'];
  if (url === undefined || url === '') return undefined;
  const cookieFile = env['VERDICT_TEST_BITCOIN_RPC_COOKIE'];
  return cookieFile === undefined || cookieFile === '' ? { url } : { url, cookieFile };
}

/** The node the parties use, as a party would be configured for it. */
export interface ChainNode {
  /** JSON-RPC URL (credentials, if any, inside it). */
  readonly url: string;
  readonly cookieFile: string | undefined;
  readonly rpc: BitcoinRpcClient;
  /** 'devnet' (embedded) or 'external' (VERDICT_TEST_BITCOIN_RPC). */
  readonly kind: 'devnet' | 'external';
}

/** A devnet clock the test moves by hand (epoch seconds). */
export class ChainClock {
  t = Math.floor(Date.now() / 1000);
  readonly now = (): number => this.t;
}

/** An address of nobody in the test, for mined coinbases. */
export const MINER_ADDRESS = p2wpkh(
  secp256k1.getPublicKey(
    Uint8Array.from({ length: 32 }, (_, i) => i + 7),
    true,
  ),
  REGTEST_NETWORK,
).address;

export interface World {
  readonly node: ChainNode;
  /** The embedded devnet; undefined on an external node. */
  readonly devnet: Devnet | undefined;
  readonly chainClock: ChainClock;
  readonly oracleServer: TestServer;
  readonly oracle: OracleClient;
  readonly dirs: { client: string; freelancer: string; devnet: string };
  client: Party;
  freelancer: Party;
  mine(blocks?: number): Promise<void>;
  /** Pays `amountSat` to `address` (Core RPCs only on an external node), mined unless `confirm` is false. */
  fund(address: string, amountSat: bigint, confirm?: boolean): Promise<{ txid: string }>;
  /** Moves the chain's clock (devnet: its clock; external: `setmocktime`). Mine to apply it. */
  setChainTime(t: number): Promise<void>;
  reopen(who: 'client' | 'freelancer'): Promise<Party>;
  dispose(): Promise<void>;
}

/**
 * Starts the world. `opts.node` (or `VERDICT_TEST_BITCOIN_RPC`) puts the parties on that
 * Core-compatible regtest node instead of an embedded devnet.
 */
export async function startWorld(
  opts: { node?: { url: string; cookieFile?: string } } = {},
): Promise<World> {
  const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `verdict-party-${name}-`));
  const dirs = { client: tmp('client'), freelancer: tmp('freelancer'), devnet: tmp('devnet') };
  const chainClock = new ChainClock();
  const external = opts.node ?? externalNodeFromEnv();
  let devnet: Devnet | undefined;
  let node: ChainNode;
  if (external === undefined) {
    devnet = await startDevnet({ dataDir: dirs.devnet, nowSec: chainClock.now });
    node = { url: devnet.url, cookieFile: devnet.cookieFile, rpc: devnet.rpc, kind: 'devnet' };
  } else {
    const rpc = new BitcoinRpcClient({
      url: external.url,
      ...(external.cookieFile === undefined ? {} : { cookieFile: external.cookieFile }),
    });
    const { chain } = await rpc.getBlockchainInfo();
    if (chain !== 'regtest') {
      throw new Error(`VERDICT_TEST_BITCOIN_RPC: the node's chain is "${chain}", not regtest`);
    }
    node = { url: external.url, cookieFile: external.cookieFile, rpc, kind: 'external' };
  }
  const funder = new RegtestFunder(node.rpc);
  const oracleServer = await startTestServer();
  for (const dir of [dirs.client, dirs.freelancer]) Party.init(dir, PASSPHRASE, { scryptN: 1024 });
  const open = (dir: string): Promise<Party> =>
    Party.open({ dataDir: dir, passphrase: PASSPHRASE, chain: node.rpc });
  const world: World = {
    node,
    devnet,
    chainClock,
    oracleServer,
    oracle: new OracleClient(oracleServer.url),
    dirs,
    client: await open(dirs.client),
    freelancer: await open(dirs.freelancer),
    async mine(blocks = 1) {
      await node.rpc.generateToAddress(blocks, MINER_ADDRESS);
    },
    async fund(address, amountSat, confirm = true) {
      return funder.pay(address, amountSat, confirm);
    },
    async setChainTime(t) {
      chainClock.t = t;
      if (devnet === undefined) await node.rpc.call('setmocktime', [t]);
    },
    async reopen(who) {
      world[who].close();
      world[who] = await open(dirs[who]);
      return world[who];
    },
    async dispose() {
      world.client.close();
      world.freelancer.close();
      if (devnet !== undefined) await devnet.stop();
      else await node.rpc.call('setmocktime', [0]).catch(() => undefined);
      await oracleServer.dispose();
      for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
    },
  };
  return world;
}

/** Pays `amounts` to fresh receive addresses of the party, confirmed. */
export async function fundParty(
  world: World,
  party: Party,
  amounts: readonly bigint[],
): Promise<void> {
  for (const amount of amounts) {
    await world.fund(party.wallet.nextAddress('receive').address, amount, false);
  }
  await world.mine(1);
}

/** A Verdict contract on the oracle with these milestone outcome kinds (150 000 sat each). */
export async function oracleContract(
  world: World,
  milestones: ('enum' | 'share')[],
): Promise<CreatedContract> {
  return createContract(
    world.oracleServer,
    milestones.map((outcome) => ({ outcome })),
  );
}

/** The terms both parties agree on for milestone `index` (the client offers and funds). */
export async function milestoneTerms(
  world: World,
  c: CreatedContract,
  index: number,
  overrides: Partial<MilestoneTerms> = {},
): Promise<MilestoneTerms> {
  const m = c.contract.milestones[index]!;
  const announcement = await world.oracle.announcement(m.eventId);
  return {
    eventId: m.eventId,
    oraclePublicKey: bytesToHex(announcement.oraclePublicKey),
    outcome: m.outcomeKind,
    amountSat: BigInt(m.amountSat),
    offererRole: 'client',
    funding: 'single',
    feeRatePerVb: 2n,
    refundMarginSec: 7 * 86_400,
    convention: 'tagged',
    ...overrides,
  };
}

async function post(
  world: World,
  c: CreatedContract,
  index: number,
  action: string,
  token: string,
  body: unknown,
) {
  return expectOk(
    await call(world.oracleServer.url, 'POST', milestoneUrl(c.contract.id, index, action), {
      token,
      body,
    }),
  );
}

/** Drives the oracle to attest `outcome` for milestone `index`: delivery, then the client's
 * acceptance (accepted / 100) or a mutual settlement on the outcome. */
export async function decide(
  world: World,
  c: CreatedContract,
  index: number,
  outcome: 'accepted' | 'rejected' | number,
): Promise<void> {
  await post(world, c, index, 'deliver', c.tokens.freelancer, {
    commitSha: 'ab'.repeat(20),
    note: 'done',
  });
  if (outcome === 'accepted' || outcome === 100) {
    await post(world, c, index, 'accept', c.tokens.client, {});
    return;
  }
  await post(world, c, index, 'propose', c.tokens.freelancer, { outcome });
  await post(world, c, index, 'accept-proposal', c.tokens.client, { outcome });
}

/** The world's devnet, for tests that need devnet-only calls (they do not run on a Core node). */
export function devnetOf(world: World): Devnet {
  if (world.devnet === undefined)
    throw new Error('this test needs the devnet (VERDICT_TEST_BITCOIN_RPC is set)');
  return world.devnet;
}
