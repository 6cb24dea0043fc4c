/** `verdict arbiter invite|reinvite|list|disable` against the real service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../scripts/cli/arbiter.ts';
import { startTestServer, TEST_ENV, type TestServer } from '../oracle/helpers.ts';
import { acceptInvite, disputedContract, login, PASSWORD, uiCall } from './helpers.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.dispose();
});

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: () => Promise.resolve('') },
    // The CLI reads the same data dir as the server: it mints its own operator token from it.
    { ...TEST_ENV, VERDICT_DATA_DIR: s.dataDir },
  );
  return { code, out, err };
}

describe('verdict arbiter', () => {
  it('invites (link printed once), lists, re-invites and disables', async () => {
    const inv = await cli(
      'invite',
      'zoe',
      '--name',
      'Zoë Q',
      '--link',
      'zoe@example.com',
      '--url',
      s.url,
    );
    expect(inv.code, inv.err.join('\n')).toBe(0);
    const link = inv.out.find((l) => l.includes('/arbiter/#invite='));
    expect(link).toMatch(new RegExp(`^${s.url}/arbiter/#invite=[A-Za-z0-9_-]{43}$`));
    await acceptInvite(s, link!.split('#invite=')[1]!);
    await login(s, 'zoe');

    const list = await cli('list', '--url', s.url);
    expect(list.out).toEqual([
      `${'zoe'.padEnd(20)} ${'active'.padEnd(9)} Zoë Q  linked: zoe@example.com`,
    ]);

    const again = await cli('reinvite', 'zoe', '--url', s.url, '--json');
    expect(again.code).toBe(0);
    const token = (JSON.parse(again.out.join('\n')) as { token: string }).token;
    await acceptInvite(s, token, `${PASSWORD} v2`);
    expect(
      (await uiCall(s, 'POST', '/login', { body: { id: 'zoe', password: PASSWORD } })).status,
    ).toBe(401);
    const session = await login(s, 'zoe', `${PASSWORD} v2`);

    const off = await cli('disable', 'zoe', '--url', s.url);
    expect(off.code).toBe(0);
    expect(off.out[0]).toMatch(/^zoe disabled at /);
    expect((await uiCall(s, 'GET', '/me', { session })).status).toBe(401);
    expect((await cli('list', '--url', s.url, '--json')).out.join('')).toContain(
      '"status": "disabled"',
    );
  });

  it('reports service errors with their code and usage errors with exit 2', async () => {
    expect(await cli('invite', 'dup', '--name', 'D', '--url', s.url)).toMatchObject({ code: 0 });
    const dup = await cli('invite', 'dup', '--name', 'D', '--url', s.url);
    expect(dup.code).toBe(1);
    expect(dup.err.join('\n')).toContain('arbiter_exists');
    expect((await cli('invite', 'no-name', '--url', s.url)).code).toBe(2);
    expect((await cli('invite', 'bad id!', '--name', 'x', '--url', s.url)).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    const forged = await cli('list', '--url', s.url, '--token', 'not-a-token');
    expect(forged.code).toBe(1);
    expect(forged.err.join('\n')).toContain('invalid_token');
  });

  it('lists the disputes whose panel is short (issue 13 §9)', async () => {
    // No arbiter is active here any more (zoe is disabled, dup never accepted).
    const c = await disputedContract(s, { dispute: { panel: { poolSize: 2 }, quorum: 1 } });
    const list = await cli('list', '--url', s.url);
    expect(list.code).toBe(0);
    expect(list.out).toContain('short panels (1): invite arbiters; they are seated as they accept');
    expect(list.out.find((l) => l.includes(c.contract.id))).toMatch(
      new RegExp(
        `^  contract ${c.contract.id} milestone 1: 0 of 2 seated, quorum 1, seats fill until `,
      ),
    );
    const json = JSON.parse((await cli('list', '--url', s.url, '--json')).out.join('\n')) as {
      shortPanels: { contractId: string; seated: number }[];
    };
    expect(json.shortPanels).toEqual([
      expect.objectContaining({ contractId: c.contract.id, seated: 0, seats: 2 }),
    ]);
  });
});
