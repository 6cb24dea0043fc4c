/**
 * The parties' app's contracts (issue 15) over raw HTTP: one real oracle, two app processes (a
 * client's and a freelancer's, separate data dirs, on the devnet), each with its own session
 * cookie. The client previews, creates and invites; the freelancer opens the invitation and
 * accepts (or declines); damaged, tampered and foreign invitations are refused; milestone actions
 * reach the oracle with the party's token and the oracle's view reflects them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { decodeInvitation, encodeInvitation } from '../../party-app/invite.ts';
import { startPartyApp, type RunningPartyApp } from '../../party-app/server.ts';
import { AppClient, type ApiError } from './app-client.ts';
import {
  call,
  contractRequest,
  startTestServer,
  type ContractView,
  type TestServer,
} from '../oracle/helpers.ts';

let devnet: Devnet;
let oracle: TestServer;
const dirs: string[] = [];
const apps: RunningPartyApp[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `verdict-app-${name}-`));
  dirs.push(d);
  return d;
};

// The app's answers, as the tests read them.
type Agreement = { client: string; freelancer: string };
interface PayoutRow {
  outcome: string;
  label: string;
  clientSat: string;
  freelancerSat: string;
}
interface Payouts {
  index: number;
  title: string;
  amountSat: string;
  outcomeKind: string;
  outcomes: PayoutRow[];
  note?: string;
}
interface Preview {
  canonicalJson: string;
  terms: Record<string, unknown>;
  payouts: Payouts[];
}
interface Created {
  contractId: string;
  invite: string;
}
interface Opened {
  contractId: string;
  role: string;
  terms: { contractId: string };
  payouts: Payouts[];
}
interface MilestoneDetail {
  index: number;
  title: string;
  status: string;
  eventId: string;
  decision: { outcome: unknown } | null;
  attestation: { outcome: string; verified: boolean } | null;
  dlc: Record<string, unknown> | null;
}
interface Detail {
  contractId: string;
  role: string;
  title: string | null;
  counterparty: { id: string; name: string };
  termsHash: string;
  canonicalJson: string;
  agreement: Agreement;
  invite: string | null;
  milestones: MilestoneDetail[];
}
interface List {
  contracts: { contractId: string; agreement: Agreement }[];
}
interface Action {
  milestone: { status: string };
  attestation?: unknown;
}
interface Wallet {
  words: string[];
  confirm: number[];
}

async function startClient(oracleUrl: string): Promise<AppClient> {
  const app = await startPartyApp({
    dataDir: join(tmp('party'), 'wallet'),
    chain: devnet.rpc,
    nodeLabel: 'devnet',
    oracleUrl,
    scryptN: 1024,
  });
  apps.push(app);
  const c = new AppClient(app);
  await c.ok('POST', '/api/session', { secret: app.url.split('#')[1] });
  const made = await c.ok<Wallet>('POST', '/api/wallet/create', { passphrase: 'correct horse 1' });
  await c.ok('POST', '/api/wallet/confirm', {
    words: made.confirm.map((i) => made.words[i - 1]),
  });
  return c;
}

let alice: AppClient; // the client
let bob: AppClient; // the freelancer

beforeAll(async () => {
  devnet = await startDevnet({ dataDir: tmp('devnet') });
  oracle = await startTestServer();
  alice = await startClient(oracle.url);
  bob = await startClient(oracle.url);
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await devnet.stop();
  await oracle.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const draft = () =>
  contractRequest(oracle.clock.t, [
    { title: 'Landing page', outcome: 'enum' },
    {
      title: 'Shop',
      outcome: 'share',
      ci: { identity: { kind: 'token' }, minPassed: 1, decisive: false },
    },
  ]);

/** Preview, review, create: the client's path. */
async function create(by: AppClient, myRole: 'client' | 'freelancer') {
  const d = draft();
  const p = await by.ok<Preview>('POST', '/api/contracts/preview', { myRole, draft: d });
  return by.ok<Created>('POST', '/api/contracts', {
    myRole,
    draft: d,
    reviewedCanonicalJson: p.canonicalJson,
  });
}

/** An invitation with one field changed (the link is otherwise well formed). */
function tampered(link: string, change: Partial<ReturnType<typeof decodeInvitation>>): string {
  return encodeInvitation({ ...decodeInvitation(link), ...change });
}

describe('making a contract and inviting the counterparty', () => {
  let contractId: string;
  let invite: string;

  it('needs a session: no preview, no create, no invitation without the cookie', async () => {
    const body = { myRole: 'client', draft: draft(), reviewedCanonicalJson: '{}' };
    for (const [path, b] of [
      ['/api/contracts', body],
      ['/api/contracts/preview', body],
      ['/api/invites/open', { link: 'x' }],
    ] as const) {
      const r = await alice.send('POST', path, b, false);
      expect(r.status, path).toBe(401);
      expect((r.body as ApiError).error.code).toBe('no_session');
    }
    const counts = oracle.ctx.stores.counts();
    expect(counts.contracts).toBe(0);
  });

  it('previews the terms exactly as hashed, with the payout table', async () => {
    const p = await alice.ok<Preview>('POST', '/api/contracts/preview', {
      myRole: 'client',
      draft: draft(),
    });
    expect((JSON.parse(p.canonicalJson) as { contractId: string }).contractId).toBe('');
    expect(p.payouts).toHaveLength(2);
    expect(p.payouts[0]).toMatchObject({
      index: 0,
      title: 'Landing page',
      amountSat: '150000',
      outcomeKind: 'enum',
      outcomes: [
        { outcome: 'accepted', clientSat: '0', freelancerSat: '150000' },
        { outcome: 'rejected', clientSat: '150000', freelancerSat: '0' },
      ],
    });
    expect((p.payouts[1]?.outcomes ?? []).map((o) => [o.outcome, o.freelancerSat])).toEqual([
      ['0', '0'],
      ['25', '37500'],
      ['50', '75000'],
      ['75', '112500'],
      ['100', '150000'],
    ]);
    expect(p.payouts[1]?.note).toMatch(/any whole percent/);
    // The oracle's refusals pass through with their status and code.
    await alice.refused(
      'POST',
      '/api/contracts/preview',
      { myRole: 'client', draft: { ...draft(), milestones: [] } },
      400,
      'invalid_request',
    );
    await alice.refused(
      'POST',
      '/api/contracts/preview',
      { myRole: 'arbiter', draft: draft() },
      400,
      'invalid_request',
    );
  });

  it('refuses to create terms other than the reviewed ones', async () => {
    const d = draft();
    const p = await alice.ok<Preview>('POST', '/api/contracts/preview', {
      myRole: 'client',
      draft: d,
    });
    await alice.refused(
      'POST',
      '/api/contracts',
      {
        myRole: 'client',
        draft: { ...d, title: 'Something else' },
        reviewedCanonicalJson: p.canonicalJson,
      },
      409,
      'terms_changed',
    );
    expect((await alice.ok<List>('GET', '/api/contracts')).contracts).toEqual([]);
  });

  it('creates the reviewed contract, accepts it for the creator and gives the invitation', async () => {
    ({ contractId, invite } = await create(alice, 'client'));
    expect(invite.startsWith(`${oracle.url}/invite#v1.`)).toBe(true);
    const inv = decodeInvitation(invite);
    expect(inv).toMatchObject({ contractId, role: 'freelancer', oracleUrl: oracle.url });
    // The link opens the oracle's page, which never sees the fragment and runs nothing.
    const page = await fetch(invite);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Open an invitation');

    const d = await alice.ok<Detail>('GET', `/api/contracts/${contractId}`);
    expect(d).toMatchObject({
      contractId,
      role: 'client',
      title: 'Website redesign',
      counterparty: { id: 'bob', name: 'Bob' },
      agreement: { client: 'accepted', freelancer: 'pending' },
      invite,
    });
    expect(createHash('sha256').update(d.canonicalJson).digest('hex')).toBe(d.termsHash);
    expect(d.milestones[0]).toMatchObject({
      index: 0,
      title: 'Landing page',
      status: 'open',
      dlc: null,
      attestation: null,
      funding: null,
      tower: null,
    });
    expect(d.milestones[0]?.eventId).toBe(`verdict/${contractId}/0/${d.termsHash.slice(0, 16)}`);
    const list = await alice.ok<List>('GET', '/api/contracts');
    expect(list.contracts).toHaveLength(1);
    expect(list.contracts[0]).toMatchObject({
      contractId,
      role: 'client',
      agreement: { client: 'accepted', freelancer: 'pending' },
      milestones: [
        { index: 0, status: 'open', dlcState: null },
        { index: 1, status: 'open', dlcState: null },
      ],
    });
  });

  it('refuses damaged, tampered and foreign invitations', async () => {
    const open = (link: string, status: number, code: string) =>
      bob.refused('POST', '/api/invites/open', { link }, status, code);
    await open(invite.slice(0, -30), 400, 'invalid_invitation');
    await open(invite.split('#')[0] ?? '', 400, 'invalid_invitation');
    // Another token (its signature broken): the oracle refuses it, the code passes through.
    const inv = decodeInvitation(invite);
    const t = inv.token;
    await open(
      tampered(invite, { token: `${t.slice(0, -4)}${t.endsWith('AAAA') ? 'BBBB' : 'AAAA'}` }),
      401,
      'invalid_token',
    );
    // Another terms hash than the contract's.
    await open(tampered(invite, { termsHash: 'ab'.repeat(32) }), 409, 'terms_changed');
    // Another oracle key than the terms' and the oracle's.
    await open(tampered(invite, { oraclePublicKey: 'cd'.repeat(32) }), 409, 'oracle_key_mismatch');
    // An invitation for an oracle this app does not trust.
    const msg = await open(
      tampered(invite, { oracleUrl: 'https://other-oracle.example' }),
      409,
      'other_oracle',
    );
    expect(msg).toContain('https://other-oracle.example');
    // A role the token does not have.
    await open(tampered(invite, { role: 'client' }), 409, 'invitation_mismatch');
    expect((await bob.ok<List>('GET', '/api/contracts')).contracts).toEqual([]);
  });

  it('the freelancer opens the invitation, reads the terms and payouts, and accepts', async () => {
    const o = await bob.ok<Opened>('POST', '/api/invites/open', { link: `  ${invite}\n` });
    expect(o).toMatchObject({ contractId, role: 'freelancer' });
    expect(o.terms.contractId).toBe(contractId);
    expect(o.payouts[1]?.outcomes[2]).toMatchObject({ outcome: '50', freelancerSat: '75000' });
    const before = await bob.ok<Detail>('GET', `/api/contracts/${contractId}`);
    expect(before.agreement).toEqual({ client: 'accepted', freelancer: 'pending' });
    expect(before.invite).toBeNull();
    expect(before.counterparty).toEqual({ id: 'alice', name: 'Alice' });

    const after = await bob.ok<Detail>('POST', `/api/contracts/${contractId}/agreement`, {
      decision: 'accept',
    });
    expect(after.agreement).toEqual({ client: 'accepted', freelancer: 'accepted' });
    // Both see it; the creator's invitation is no longer offered.
    const a = await alice.ok<Detail>('GET', `/api/contracts/${contractId}`);
    expect(a.agreement).toEqual({ client: 'accepted', freelancer: 'accepted' });
    expect(a.invite).toBeNull();
    // The answer is final: the same again is fine, another is refused by the oracle.
    await bob.ok<Detail>('POST', `/api/contracts/${contractId}/agreement`, { decision: 'accept' });
    await bob.refused(
      'POST',
      `/api/contracts/${contractId}/agreement`,
      { decision: 'decline' },
      409,
      'agreement_final',
    );
    // The client cannot open its own counterparty's invitation.
    await alice.refused('POST', '/api/invites/open', { link: invite }, 409, 'already_a_party');
  });

  it('milestone actions reach the oracle with the party token; its view reflects them', async () => {
    const m0 = `/api/contracts/${contractId}/milestones/0`;
    // The client may not deliver: the oracle's refusal passes through.
    await alice.refused('POST', `${m0}/deliver`, { commitSha: 'd'.repeat(40) }, 403, 'wrong_role');
    const delivered = await bob.ok<Action>('POST', `${m0}/deliver`, {
      commitSha: 'd'.repeat(40),
      note: 'v1',
    });
    expect(delivered.milestone.status).toBe('delivered');
    const accepted = await alice.ok<Action>('POST', `${m0}/accept`, {});
    expect(accepted.attestation).toBeDefined();

    const freelancerToken = decodeInvitation(invite).token;
    const view = await call<ContractView>(oracle.url, 'GET', `/v1/contracts/${contractId}`, {
      token: freelancerToken,
    });
    expect(view.body.milestones[0]?.status).toBe('attested');
    expect(view.body.milestones[0]?.delivery).toMatchObject({ commitSha: 'd'.repeat(40) });

    const d = await bob.ok<Detail>('GET', `/api/contracts/${contractId}`);
    expect(d.milestones[0]?.status).toBe('attested');
    expect(d.milestones[0]?.decision?.outcome).toBe('accepted');
    // The attestation, verified against the announcement as the party does before settling.
    expect(d.milestones[0]?.attestation).toEqual({ outcome: 'accepted', verified: true });
    expect(d.milestones[1]?.attestation).toBeNull();

    // Milestone 1: delivered, then disputed, then evidence with a file's SHA-256.
    const m1 = `/api/contracts/${contractId}/milestones/1`;
    await bob.ok<Action>('POST', `${m1}/deliver`, { commitSha: 'e'.repeat(40) });
    await bob.ok('POST', `${m1}/propose`, { outcome: 60 });
    const disputed = await alice.ok<Action>('POST', `${m1}/dispute`, {
      reason: 'the shop is not done',
    });
    expect(disputed.milestone.status).toBe('disputed');
    const file = Buffer.from('the log of the failing checkout\n');
    const ev = await bob.ok<{ sha256?: string }>('POST', `${m1}/evidence`, {
      kind: 'file',
      fileName: 'checkout.log',
      contentType: 'text/plain',
      fileBase64: file.toString('base64'),
    });
    expect(ev.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    await bob.ok('POST', `${m1}/evidence`, { kind: 'statement', text: 'it works on main' });
    await bob.refused('POST', `${m1}/evidence`, { kind: 'poem' }, 400, 'invalid_request');
    await bob.refused(
      'POST',
      `/api/contracts/${contractId}/milestones/7/deliver`,
      { commitSha: 'f'.repeat(40) },
      404,
      'milestone_not_found',
    );
  });

  it('CI tokens: issued by the client with the workflow snippet, listed, revoked', async () => {
    const ci = `/api/contracts/${contractId}/milestones/1/ci/tokens`;
    await bob.refused('POST', ci, {}, 403, 'wrong_role');
    const issued = await alice.ok<{ token: string; workflowSnippet: string }>('POST', ci, {
      ttlSec: 3600,
    });
    expect(typeof issued.token).toBe('string');
    expect(issued.workflowSnippet).toContain(`VERDICT_CONTRACT: '${contractId}'`);
    expect(issued.workflowSnippet).toContain("VERDICT_MILESTONE: '1'");
    expect(issued.workflowSnippet).toContain(`VERDICT_URL: '${oracle.url}'`);
    expect(issued.workflowSnippet).toContain('verdict.ts ci attest');
    const listed = await bob.ok<{ tokens: { jti: string }[] }>('GET', ci);
    expect(listed.tokens).toHaveLength(1);
    const jti = listed.tokens[0]?.jti ?? '';
    const revoked = await alice.ok<{ jti: string }>('POST', `${ci}/${jti}/revoke`, {});
    expect(revoked.jti).toBe(jti);
  });

  it('the tower switch needs a funded milestone; unknown contracts are 404', async () => {
    await alice.refused(
      'POST',
      `/api/contracts/${contractId}/milestones/1/tower`,
      {},
      409,
      'not_funded',
    );
    await alice.refused(
      'GET',
      '/api/contracts/0123456789abcdef',
      undefined,
      404,
      'contract_not_found',
    );
  });
});

describe('declining', () => {
  it('the freelancer may start; the client declines; both see it', async () => {
    const { contractId, invite } = await create(bob, 'freelancer');
    expect(decodeInvitation(invite).role).toBe('client');
    const o = await alice.ok<Opened>('POST', '/api/invites/open', { link: invite });
    expect(o.role).toBe('client');
    const d = await alice.ok<Detail>('POST', `/api/contracts/${contractId}/agreement`, {
      decision: 'decline',
    });
    expect(d.agreement).toEqual({ client: 'declined', freelancer: 'accepted' });
    const b = await bob.ok<Detail>('GET', `/api/contracts/${contractId}`);
    expect(b.agreement).toEqual({ client: 'declined', freelancer: 'accepted' });
    expect(b.invite).toBeNull();
    await alice.refused(
      'POST',
      `/api/contracts/${contractId}/agreement`,
      { decision: 'accept' },
      409,
      'agreement_final',
    );
    const list = await alice.ok<List>('GET', '/api/contracts');
    expect(list.contracts.find((c) => c.contractId === contractId)?.agreement).toEqual({
      client: 'declined',
      freelancer: 'accepted',
    });
  });
});

describe('the QR code and an unreachable oracle', () => {
  it('draws an SVG QR code for an address or a link, behind the session', async () => {
    const r = await alice.send('GET', `/api/qr?text=${encodeURIComponent('bcrt1qexample')}`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^image\/svg\+xml/);
    expect(r.text).toMatch(/^<svg/);
    expect((await alice.send('GET', `/api/qr?text=${'x'.repeat(2001)}`)).status).toBe(400);
    // 1000 characters of three bytes each do not fit one QR code: refused, not a 500.
    await alice.refused(
      'GET',
      `/api/qr?text=${encodeURIComponent('€'.repeat(1000))}`,
      undefined,
      400,
      'qr_too_long',
    );
    expect((await alice.send('GET', '/api/qr?text=x', undefined, false)).status).toBe(401);
  });

  it('an oracle that cannot be reached is 502 oracle_unreachable, in words', async () => {
    const lonely = await startClient('http://127.0.0.1:9');
    const msg = await lonely.refused(
      'POST',
      '/api/contracts/preview',
      { myRole: 'client', draft: draft() },
      502,
      'oracle_unreachable',
    );
    expect(msg).toContain('http://127.0.0.1:9');
    // Its contracts list still answers (empty here).
    expect((await lonely.ok<List>('GET', '/api/contracts')).contracts).toEqual([]);
  });

  it('an oracle gone away: the list falls back to the stored terms, the detail says why', async () => {
    const gone = await startTestServer();
    const carol = await startClient(gone.url);
    const { contractId } = await create(carol, 'client');
    await gone.dispose();
    const list = await carol.ok<{
      contracts: { contractId: string; title: string; oracleError?: { code: string } }[];
    }>('GET', '/api/contracts');
    expect(list.contracts).toHaveLength(1);
    expect(list.contracts[0]).toMatchObject({
      contractId,
      title: 'Website redesign',
      oracleError: { code: 'oracle_unreachable' },
    });
    await carol.refused(
      'GET',
      `/api/contracts/${contractId}`,
      undefined,
      502,
      'oracle_unreachable',
    );
  });
});
