/**
 * Issue 19 §7: arbiter login under attack, over real HTTP from several loopback addresses.
 * (1) parallel guesses are counted before the scrypt work, so 200 at once get at most the limit's
 * worth of password checks; (2) a third party cannot lock an arbiter out of a device it logged in
 * from before, however many addresses it guesses from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../oracle/arbitration/rate-limit.ts';
import { acceptInvite, invite, PASSWORD } from '../arbitration/helpers.ts';
import { startTestServer, type TestServer } from '../oracle/helpers.ts';
import { cookieHeader, httpFrom } from './from-address.ts';

let s: TestServer;

beforeAll(async () => {
  // The connection cap per address is another limit (connections.test.ts): off here, so that the
  // 200 parallel guesses from one address all reach the login route.
  s = await startTestServer({ env: { VERDICT_MAX_CONNECTIONS_PER_ADDRESS: '0' } });
});
afterAll(async () => {
  await s.dispose();
});

const loginFrom = (address: string, id: string, password: string, cookie?: string) =>
  httpFrom(address, s.url, 'POST', '/arbiter/api/login', {
    headers: { origin: s.url, ...(cookie === undefined ? {} : { cookie }) },
    body: { id, password },
  });

const codeOf = (json: unknown) => (json as { error?: { code?: string } }).error?.code;

describe('arbiter login under attack (issue 19 §7)', () => {
  it('200 parallel guesses: at most the per-address-and-account limit reach the password check', async () => {
    const inv = await invite(s, 'pia');
    await acceptInvite(s, inv.token);
    const guesses = Array.from({ length: 200 }, (_, i) =>
      loginFrom('127.0.0.1', 'pia', i === 150 ? PASSWORD : `wrong guess ${i}`),
    );
    const replies = await Promise.all(guesses);
    const statuses = replies.map((r) => r.status);
    const checked = statuses.filter((x) => x === 401 || x === 200).length;
    expect(checked).toBeLessThanOrEqual(LOGIN_LIMITS.perAddressAccount.maxFailures);
    expect(statuses.filter((x) => x === 429).length).toBe(200 - checked);
    // The right password, sent as the 151st guess, was never checked.
    expect(statuses[150]).toBe(429);
    for (const r of replies.filter((x) => x.status === 429))
      expect(codeOf(r.json)).toBe('rate_limited');
  });

  it('a known device logs in although a third party exhausted every other limit on the account', async () => {
    const inv = await invite(s, 'zed');
    await acceptInvite(s, inv.token);
    // The real arbiter logged in from this browser before: it holds the device cookie.
    const first = await loginFrom('127.0.0.1', 'zed', PASSWORD);
    expect(first.status).toBe(200);
    const device = first.setCookies.find((c) => c.startsWith('verdict_arbiter_device='));
    expect(device).toMatch(/; Path=\/arbiter; HttpOnly; SameSite=Strict; Max-Age=31536000$/);
    // A party that read the panel ids guesses from many addresses until the account-wide limit
    // for unknown devices is spent (the per-address limits are 5 each).
    const perAddr = LOGIN_LIMITS.perAddressAccount.maxFailures;
    const addresses = Math.ceil(LOGIN_LIMITS.perAccount.maxFailures / perAddr) + 1;
    let refused = 0;
    for (let a = 0; a < addresses; a++) {
      const from = `127.0.0.${10 + a}`;
      const replies = await Promise.all(
        Array.from({ length: perAddr + 1 }, () => loginFrom(from, 'zed', 'not the password')),
      );
      refused += replies.filter((r) => r.status === 429).length;
      for (const r of replies) expect([401, 429]).toContain(r.status);
    }
    expect(refused).toBeGreaterThan(0);
    // A new device (no cookie) is delayed: the account-wide limit is what bounds distributed guessing.
    expect((await loginFrom('127.0.0.200', 'zed', PASSWORD)).status).toBe(429);
    // The arbiter's own browser is not: its device cookie counts only against itself.
    const again = await loginFrom('127.0.0.1', 'zed', PASSWORD, cookieHeader(first.setCookies));
    expect(again.status, again.text).toBe(200);
    // A device cookie minted for another account, or tampered with, is no known device.
    const forged = cookieHeader(first.setCookies).replace(
      /verdict_arbiter_device=([^.]+)\.(.)/,
      (_m, id: string, c: string) => `verdict_arbiter_device=${id}.${c === 'A' ? 'B' : 'A'}`,
    );
    expect((await loginFrom('127.0.0.1', 'zed', PASSWORD, forged)).status).toBe(429);
  });

  it('a stolen device cookie is not a credential: it has its own small failure budget', async () => {
    const inv = await invite(s, 'kai');
    await acceptInvite(s, inv.token);
    const first = await loginFrom('127.0.0.1', 'kai', PASSWORD);
    const cookie = cookieHeader(first.setCookies);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => loginFrom('127.0.0.77', 'kai', 'guess', cookie)),
    );
    expect(replies.filter((r) => r.status === 401).length).toBe(
      LOGIN_LIMITS.perKnownDevice.maxFailures,
    );
    expect(replies.filter((r) => r.status === 429).length).toBe(
      30 - LOGIN_LIMITS.perKnownDevice.maxFailures,
    );
  });
});
