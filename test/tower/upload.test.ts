/**
 * Tower uploads over HTTP (issue 16), on devnet with the real oracle service:
 * - the oracle's tower refuses, with a typed error and nothing stored, an upload with one
 *   mutated signature, an upload for another milestone's event, and a caller of another
 *   contract; an identical upload again is idempotent;
 * - a tower of one's own (`oracle/tower/standalone.ts`, what `verdict tower` runs) takes the
 *   upload from `verdict dlc tower enable --tower URL` with its own bearer token, follows the
 *   oracle's attestation over HTTP and settles the CET; a wrong token is refused.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeAcceptDlc,
  decodeSignDlc,
  encodeAcceptDlc,
  encodeSignDlc,
} from '../../src/dlc/messages.ts';
import { OracleClient } from '../../src/party/oracle-client.ts';
import { towerUploadBody } from '../../src/party/tower.ts';
import type { ContractRow } from '../../src/party/store.ts';
import { startStandaloneTower, type StandaloneTower } from '../../oracle/tower/standalone.ts';
import { run as runTowerCli } from '../../scripts/cli/tower.ts';
import { runDlc } from '../../scripts/cli/dlc.ts';
import {
  call,
  expectError,
  expectOk,
  milestoneUrl,
  type CreatedContract,
} from '../oracle/helpers.ts';
import {
  devnetOf,
  decide,
  fundParty,
  milestoneTerms,
  oracleContract,
  PASSPHRASE,
  startWorld,
  type World,
} from '../party/helpers.ts';

let world: World;
let c: CreatedContract;
let own: StandaloneTower;
const TOWER_TOKEN = 'a tower token of my own choosing';

beforeAll(async () => {
  world = await startWorld();
  world.oracleServer.setTowerChain(devnetOf(world).rpc);
  await fundParty(world, world.client, [400_000n, 400_000n]);
  c = await oracleContract(world, ['enum', 'enum']);
  const info = expectOk(
    await call<{ publicKey: string }>(world.oracle.baseUrl, 'GET', '/v1/oracle'),
  );
  own = await startStandaloneTower({
    dbPath: `${world.dirs.devnet}/tower.db`,
    chain: devnetOf(world).rpc,
    oracle: new OracleClient(world.oracle.baseUrl),
    oraclePublicKeyHex: info.publicKey,
    host: '127.0.0.1',
    port: 0,
    token: TOWER_TOKEN,
    logger: pino({ level: 'silent' }),
    bumpAfterBlocks: 6,
  });
}, 60_000);

afterAll(async () => {
  await own.close();
  await world.dispose();
});

async function fund(index: number): Promise<{ client: ContractRow; freelancer: ContractRow }> {
  const terms = await milestoneTerms(world, c, index);
  const announcement = await world.oracle.announcement(terms.eventId);
  const { offer } = await world.client.offer({ terms, announcement });
  const { accept } = await world.freelancer.accept({ offer, terms });
  const { sign, contract: cRow } = await world.client.sign({ accept });
  const { contract: fRow } = await world.freelancer.finalize({ sign });
  await world.mine(1);
  return {
    client: world.client.store.getContract(cRow.id),
    freelancer: world.freelancer.store.getContract(fRow.id),
  };
}

const towerPath = (index: number) => milestoneUrl(c.contract.id, index, 'tower');

async function heldBy(index: number): Promise<boolean> {
  const s = expectOk(
    await call<{ held: boolean }>(world.oracle.baseUrl, 'GET', towerPath(index), {
      token: c.tokens.client,
    }),
  );
  return s.held;
}

function flipByte(hex: string, at: number): string {
  const b = hexToBytes(hex);
  b[at] = b[at]! ^ 0x01;
  return bytesToHex(b);
}

describe("the oracle's tower", () => {
  let rows: { client: ContractRow; freelancer: ContractRow };
  beforeAll(async () => {
    rows = await fund(0);
  }, 120_000);

  it('refuses a mutated own signature, counterparty adaptor signature or refund signature: typed error, nothing stored', async () => {
    const body = towerUploadBody(world.freelancer, rows.freelancer);
    const sign = decodeSignDlc(hexToBytes(body.signHex));
    const accept = decodeAcceptDlc(hexToBytes(body.acceptHex));
    const flipped = (b: Uint8Array, at: number): Uint8Array => {
      const out = b.slice();
      out[at] = out[at]! ^ 0x01;
      return out;
    };
    const mutations: [Record<string, string>, string][] = [
      [{ cetSignaturesHex: flipByte(body.cetSignaturesHex, 70) }, 'invalid_cet_signature'],
      [
        {
          signHex: bytesToHex(
            encodeSignDlc({
              ...sign,
              cetAdaptorSignatures: sign.cetAdaptorSignatures.map((a, i) =>
                i === 1 ? flipped(a, 120) : a,
              ),
            }),
          ),
        },
        'invalid_cet_adaptor_signature',
      ],
      [
        {
          signHex: bytesToHex(
            encodeSignDlc({ ...sign, refundSignature: flipped(sign.refundSignature, 40) }),
          ),
        },
        'invalid_refund_signature',
      ],
      [
        {
          acceptHex: bytesToHex(
            encodeAcceptDlc({ ...accept, refundSignature: flipped(accept.refundSignature, 5) }),
          ),
        },
        'invalid_refund_signature',
      ],
      // The freelancer's signatures claimed as the offerer's.
      [{ side: 'offer' }, 'invalid_cet_signature'],
    ];
    for (const [change, code] of mutations) {
      const r = await call(world.oracle.baseUrl, 'POST', towerPath(0), {
        token: c.tokens.freelancer,
        body: { ...body, ...change },
      });
      expectError(r, 422, code);
      expect(await heldBy(0)).toBe(false);
    }
  }, 120_000);

  it('refuses an upload for another milestone, and a caller of another contract', async () => {
    const body = towerUploadBody(world.freelancer, rows.freelancer);
    expectError(
      await call(world.oracle.baseUrl, 'POST', towerPath(1), {
        token: c.tokens.freelancer,
        body,
      }),
      422,
      'tower_wrong_oracle',
    );
    const other = await oracleContract(world, ['enum']);
    expectError(
      await call(world.oracle.baseUrl, 'POST', towerPath(0), { token: other.tokens.client, body }),
      403,
      'not_a_party',
    );
    expect(await heldBy(0)).toBe(false);
    expect(await heldBy(1)).toBe(false);
  }, 120_000);

  it('stores a valid upload once; the same upload again changes nothing', async () => {
    const body = towerUploadBody(world.freelancer, rows.freelancer);
    const first = await call<{ created: boolean }>(world.oracle.baseUrl, 'POST', towerPath(0), {
      token: c.tokens.freelancer,
      body,
    });
    expect(first.status).toBe(201);
    const again = await call<{ created: boolean }>(world.oracle.baseUrl, 'POST', towerPath(0), {
      token: c.tokens.freelancer,
      body,
    });
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    const s = expectOk(
      await call<{ uploads: unknown[]; jobs: unknown[] }>(
        world.oracle.baseUrl,
        'GET',
        towerPath(0),
        {
          token: c.tokens.client,
        },
      ),
    );
    expect(s.uploads).toHaveLength(1);
    expect(s.jobs).toHaveLength(1);
  }, 120_000);
});

describe('a tower of one’s own', () => {
  it('verdict tower --help', async () => {
    const out: string[] = [];
    const code = await runTowerCli(['--help'], {
      out: (l) => out.push(l),
      err: () => undefined,
      readStdin: () => Promise.resolve(''),
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/^usage: verdict tower/);
  });

  it('takes the upload with its own token, follows the attestation, settles the CET', async () => {
    const rows = await fund(1);
    const enable = async (who: 'client' | 'freelancer', row: ContractRow, token: string) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runDlc(
        [
          '--data-dir',
          world.dirs[who],
          '--json',
          'tower',
          'enable',
          String(row.id),
          '--tower',
          own.url,
        ],
        { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: () => Promise.resolve('') },
        {
          VERDICT_PARTY_PASSPHRASE: PASSPHRASE,
          VERDICT_BITCOIN_RPC: devnetOf(world).url,
          VERDICT_BITCOIN_RPC_COOKIE: devnetOf(world).cookieFile!,
          VERDICT_ORACLE_URL: world.oracle.baseUrl,
          VERDICT_PARTY_TOKEN: c.tokens[who],
          VERDICT_TOWER_TOKEN: token,
        },
      );
      return { code, out, err: err.join('\n') };
    };
    const refused = await enable('freelancer', rows.freelancer, 'not the right token at all');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/HTTP 401/);
    const ok = await enable('freelancer', rows.freelancer, TOWER_TOKEN);
    expect(ok.code, ok.err).toBe(0);
    await decide(world, c, 1, 'accepted');
    const actions = await own.tower.tick();
    expect(actions.map((a) => a.action)).toEqual(['cet_chosen', 'broadcast']);
    await world.mine(1);
    expect((await own.tower.tick()).map((a) => a.action)).toEqual(['confirmed']);
    // The freelancer comes back: funding confirmed, the tower's CET found, settled.
    for (let i = 0; i < 3; i++) await world.freelancer.poll(null);
    const row = world.freelancer.store.getContract(rows.freelancer.id);
    expect(row.state).toBe('settled');
    expect(row.closing_txid).toBe(actions[0]!.txid);
  }, 120_000);
});
