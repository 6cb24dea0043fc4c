/**
 * Issue 6 acceptance, browser side: the real service and a real headless Chromium (Debian's
 * `chromium`, driven by playwright-core). The operator invites three arbiters; a share milestone
 * is disputed with evidence from both sides (markup and script included); the three accept their
 * invites, log in, read the evidence and vote 40, 60, 70; the page then shows the closed dispute
 * with 60 and an attestation that the browser itself verifies.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_CSP } from '../../oracle/arbitration/routes.ts';
import {
  call,
  createContract,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  type TestServer,
} from '../oracle/helpers.ts';
import { buildTestResultStatement } from '../../oracle/ci/statement.ts';
import { COMMIT, invite, PASSWORD, type Invite } from './helpers.ts';
import { browserOrSkip } from '../helpers/browser.ts';

// Issue 13: the browser is found, not assumed; with none, this file is skipped locally with a
// notice that says how to install one (and fails under CI).
const BROWSER = browserOrSkip('test/arbitration/ui.e2e.test.ts');

// Every run saves its screenshots under test-results/ (ignored by git); with
// VERDICT_UPDATE_SCREENSHOTS=1 it refreshes the ones the README shows, in docs/screenshots/.
const SCREENSHOTS = fileURLToPath(
  new URL(
    process.env['VERDICT_UPDATE_SCREENSHOTS'] === '1'
      ? '../../docs/screenshots/'
      : '../../test-results/screenshots/',
    import.meta.url,
  ),
);
mkdirSync(SCREENSHOTS, { recursive: true });
const HOUR = 3600;
const SCRIPT_EVIDENCE =
  '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> The header is broken on mobile.';

let s: TestServer;
let browser: Browser;
let userDataDir: string;
let evil: Server;
let evilUrl = '';
const uiResponses: { url: string; csp: string | null }[] = [];

beforeAll(async () => {
  if (BROWSER === null) return;
  s = await startTestServer();
  userDataDir = mkdtempSync(join(tmpdir(), 'verdict-chromium-'));
  browser = await chromium.launch({
    executablePath: BROWSER,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // playwright gives every launch a fresh temporary --user-data-dir of its own (it refuses the
    // flag here); the browser's downloads and traces go to our temp dir.
    downloadsPath: userDataDir,
  });
  // Another origin on the same host: a page that forges a POST to the arbiters' API.
  evil = createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '';
    res.setHeader('content-type', 'text/html');
    res.end(
      `<!doctype html><form id="f" method="POST" enctype="text/plain" action="${target}">` +
        `<input name='{"outcome":100,"rationale":"forged","x":"' value='"}'></form>` +
        `<script>document.getElementById('f').submit()</script>`,
    );
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
  await s?.dispose();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function newArbiterPage(
  width = 1100,
  height = 900,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('response', (r) => {
    if (r.url().startsWith(`${s.url}/arbiter`))
      uiResponses.push({ url: r.url(), csp: r.headers()['content-security-policy'] ?? null });
  });
  return { context, page };
}

/** Accepts the invite through the UI, then logs in with the keyboard only. */
async function activateAndLogIn(page: Page, inv: Invite): Promise<void> {
  await page.goto(inv.inviteUrl);
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Activate account' }).click();
  await page.getByText('Your account is active').waitFor();
  // The id is prefilled and the password field focused: type and press Enter.
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your disputes' }).waitFor();
}

describe.skipIf(BROWSER === null)('arbiter web UI in Chromium', () => {
  it(
    'three arbiters read the evidence, vote 40/60/70 and see 60 with a verifying attestation',
    { timeout: 180_000 },
    async () => {
      // The operator invites three arbiters.
      const invites = [
        await invite(s, 'ada', { displayName: 'Ada Lovelace' }),
        await invite(s, 'grace', { displayName: 'Grace Hopper' }),
        await invite(s, 'edsger', { displayName: 'Edsger Dijkstra' }),
      ];
      // They accept their invites and log in through the UI (only active arbiters are drawn).
      const arbiters: { page: Page; context: BrowserContext }[] = [];
      for (const inv of invites) {
        const a = await newArbiterPage();
        await activateAndLogIn(a.page, inv);
        arbiters.push(a);
      }
      for (const { page } of arbiters) {
        await page.getByText('No disputes are assigned to you.').waitFor();
      }
      const c = await createContract(s, [
        {
          title: 'Responsive storefront',
          outcome: 'share',
          amountSat: '2500000',
          dispute: {
            panel: { poolSize: 3 },
            quorum: 2,
            evidenceWindowSec: HOUR,
            votingWindowSec: HOUR,
          },
          // CI results are evidence here, not decisive.
          ci: { identity: { kind: 'token' }, decisive: false },
        },
      ]);
      // A share milestone is delivered and disputed, with evidence from both sides.
      const url = (action: string) => milestoneUrl(c.contract.id, 0, action);
      expectOk(
        await call(s.url, 'POST', url('deliver'), {
          token: c.tokens.freelancer,
          body: { commitSha: COMMIT, note: 'Storefront done: catalogue, cart, checkout.' },
        }),
      );
      const ciToken = expectOk(
        await call<{ token: string }>(s.url, 'POST', url('ci/tokens'), {
          token: c.tokens.client,
          body: {},
        }),
        201,
      ).token;
      const ciRun = buildTestResultStatement({
        commit: COMMIT,
        result: 'FAILED',
        passedTests: ['cart > adds', 'checkout > desktop'],
        failedTests: ['checkout > phone viewport'],
        runUrl: 'https://ci.example.com/runs/42',
      });
      const ciReply = await call(s.url, 'POST', url('ci'), { token: ciToken, body: ciRun });
      // A failing run does not meet the policy; the service keeps it as evidence for the panel.
      expectError(ciReply, 422, 'ci_policy_unmet');
      expectOk(
        await call(s.url, 'POST', url('dispute'), {
          token: c.tokens.client,
          body: { reason: 'Checkout fails on phones; the header overlaps the menu.' },
        }),
      );
      const evidence = (role: 'client' | 'freelancer', body: unknown) =>
        call(s.url, 'POST', url('dispute/evidence'), { token: c.tokens[role], body });
      expectOk(await evidence('client', { kind: 'statement', text: SCRIPT_EVIDENCE }), 201);
      expectOk(
        await evidence('client', {
          kind: 'file',
          fileName: 'phone-bug.txt',
          contentType: 'text/plain',
          contentBase64: Buffer.from(
            'iPhone 13, Safari: checkout button hidden behind the footer',
          ).toString('base64'),
        }),
        201,
      );
      expectOk(
        await evidence('freelancer', {
          kind: 'statement',
          text: 'Everything in the spec works on desktop; phones were "nice to have" <b>per the brief</b>.',
        }),
        201,
      );
      expectOk(
        await evidence('freelancer', {
          kind: 'link',
          url: 'https://example.com/brief.pdf',
          text: 'The signed brief',
        }),
        201,
      );

      const first = arbiters[0];
      if (first === undefined) throw new Error('no arbiters');
      for (const { page } of arbiters) await page.reload();

      // The queue: the dispute, its phase and the time left.
      const item = first.page.getByRole('link', { name: /Responsive storefront/ });
      await expect.poll(() => item.textContent()).toContain('evidence');
      expect(await item.textContent()).toContain('1h 0m left');
      await first.page.screenshot({ path: join(SCREENSHOTS, 'arbiter-queue.png'), fullPage: true });

      // Every arbiter reads the evidence: markup shown as text, nothing executed.
      for (const { page } of arbiters) {
        await page.getByRole('link', { name: /Responsive storefront/ }).click();
        await page.getByRole('heading', { name: 'Evidence', exact: true }).waitFor();
        const client = page.getByLabel('Evidence from the client');
        await expect.poll(() => client.textContent()).toContain(SCRIPT_EVIDENCE);
        expect(await page.getByLabel('Evidence from the freelancer').textContent()).toContain(
          '<b>per the brief</b>',
        );
        expect(
          await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
        ).toBeUndefined();
        expect(await page.locator('main script, main img').count()).toBe(0);
        expect(await page.getByText(COMMIT).count()).toBe(1);
        // The delivery's CI run, as evidence.
        await page.getByRole('cell', { name: 'FAILED' }).waitFor();
        expect(await page.getByRole('link', { name: 'CI run' }).getAttribute('href')).toBe(
          'https://ci.example.com/runs/42',
        );
        // The attachment downloads as a file.
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByText('Download phone-bug.txt').click(),
        ]);
        expect(download.suggestedFilename()).toBe('phone-bug.txt');
        await page.getByText('Voting opens when the evidence phase ends').waitFor();
      }

      // Evidence phase over: vote 40, 60, 70 through the form.
      s.clock.advance(HOUR);
      const votes = [40, 60, 70];
      for (const [i, { page }] of arbiters.entries()) {
        await page.reload();
        const share = page.getByLabel('Share of the milestone owed to the freelancer (%)');
        await share.fill(String(votes[i]));
        expect(await page.locator('#share-range').inputValue()).toBe(String(votes[i]));
        // A rationale is required: the form does not submit without one.
        await page.getByRole('button', { name: 'Cast sealed vote' }).click();
        expect(
          await page
            .getByLabel(/Rationale/)
            .evaluate((el) => (el as HTMLTextAreaElement).validity.valueMissing),
        ).toBe(true);
        expect(await page.locator('#my-vote').count()).toBe(0);
        await page
          .getByLabel(/Rationale/)
          .fill(`Rationale of arbiter ${i + 1}: award ${votes[i]} %.`);
        await page.getByRole('button', { name: 'Cast sealed vote' }).click();
        await page
          .locator('#my-vote')
          .getByText(`Your current vote: ${votes[i]} % to the freelancer`)
          .waitFor();
        // Sealed: nobody's vote but one's own appears on the page.
        const text = (await page.locator('main').textContent()) ?? '';
        for (const v of votes.filter((_, j) => j !== i)) expect(text).not.toContain(`award ${v} %`);
      }
      await first.page.screenshot({
        path: join(SCREENSHOTS, 'arbiter-dispute.png'),
        fullPage: true,
      });

      // A forged cross-site POST (another origin, the arbiter's cookie attached) is refused.
      const disputeId = Number(/#dispute\/(\d+)/.exec(first.page.url())?.[1]);
      const refusal = first.page.waitForResponse((r) =>
        r.url().endsWith(`/disputes/${disputeId}/vote`),
      );
      const forged = await first.page.goto(
        `${evilUrl}/?target=${encodeURIComponent(`${s.url}/arbiter/api/disputes/${disputeId}/vote`)}`,
      );
      const refused = await refusal;
      expect(forged?.status()).toBe(200);
      expect(refused.status()).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        'csrf_rejected',
      );

      // The close: every vote with its rationale, the median, and the attestation verified here.
      s.clock.advance(HOUR);
      await first.page.goto(`${s.url}/arbiter/#dispute/${disputeId}`);
      await first.page.locator('#round-1-outcome').getByText('60 % to the freelancer').waitFor();
      const main = (await first.page.locator('main').textContent()) ?? '';
      for (const [i, v] of votes.entries())
        expect(main).toContain(`Rationale of arbiter ${i + 1}: award ${v} %.`);
      expect(main).not.toContain('forged');
      const verified = first.page.locator('#verify-result');
      await expect.poll(() => verified.getAttribute('data-verified')).toBe('true');
      expect(await verified.textContent()).toContain('Verifies against the announcement');
      expect(await verified.textContent()).toContain('attested outcome 60');
      const hex = (await first.page.locator('#attestation-hex').textContent()) ?? '';
      const event = expectOk(
        await call<{ attestationHex?: string }>(
          s.url,
          'GET',
          `/v1/events/${encodeURIComponent(c.contract.milestones[0]!.eventId)}`,
        ),
      );
      expect(hex).toBe(event.attestationHex);
      await first.page.screenshot({
        path: join(SCREENSHOTS, 'arbiter-dispute-closed.png'),
        fullPage: true,
      });

      // Phone width: nothing overflows sideways.
      const phone = await newArbiterPage(390, 844);
      await phone.context.addCookies(await first.page.context().cookies());
      await phone.page.goto(`${s.url}/arbiter/#dispute/${disputeId}`);
      await phone.page.locator('#round-1-outcome').waitFor();
      const wide = await phone.page.evaluate(() =>
        Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > 390)
          .map((e) => `${e.tagName}#${e.id}.${e.className}`),
      );
      expect(wide).toEqual([]);
      expect(
        await phone.page.evaluate(() => document.documentElement.scrollWidth),
      ).toBeLessThanOrEqual(390);
      await phone.page.screenshot({
        path: join(SCREENSHOTS, 'arbiter-dispute-phone.png'),
        fullPage: true,
      });

      // The CSP header was on every UI response the browser received.
      expect(uiResponses.length).toBeGreaterThan(20);
      for (const r of uiResponses)
        expect({ url: r.url, csp: r.csp }).toEqual({ url: r.url, csp: UI_CSP });
    },
  );

  it('an enum dispute is voted with the keyboard alone', { timeout: 120_000 }, async () => {
    const { page } = await newArbiterPage(800, 900);
    await activateAndLogIn(page, await invite(s, 'kay', { displayName: 'Kay Keyboard' }));
    const c = await createContract(s, [
      {
        title: 'Logo',
        outcome: 'enum',
        dispute: {
          panel: { arbiters: ['kay'] },
          quorum: 1,
          evidenceWindowSec: 0,
          votingWindowSec: HOUR,
          fallbackOutcome: 'rejected',
        },
      },
    ]);
    const url = (action: string) => milestoneUrl(c.contract.id, 0, action);
    expectOk(
      await call(s.url, 'POST', url('deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: COMMIT },
      }),
    );
    expectOk(
      await call(s.url, 'POST', url('dispute'), {
        token: c.tokens.freelancer,
        body: { reason: 'The client went silent.' },
      }),
    );
    await page.reload();
    await page.getByRole('heading', { name: 'Your disputes' }).waitFor();
    /** Presses Tab until the focused element matches, as a keyboard user would. */
    const tabTo = async (matches: (el: { tag: string; text: string; id: string }) => boolean) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        const el = await page.evaluate(() => {
          const a = document.activeElement as HTMLElement | null;
          return { tag: a?.tagName ?? '', text: (a?.textContent ?? '').trim(), id: a?.id ?? '' };
        });
        if (matches(el)) return;
      }
      throw new Error('focus never reached the element');
    };
    await tabTo((el) => el.tag === 'A' && el.text.includes('Logo'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your sealed vote' }).waitFor();
    await tabTo((el) => el.text === 'Reject the delivery');
    await page.keyboard.press('Space');
    expect(
      await page.getByRole('button', { name: 'Reject the delivery' }).getAttribute('aria-pressed'),
    ).toBe('true');
    await tabTo((el) => el.id === 'rationale');
    await page.keyboard.type('The logo was never delivered in vector form.');
    await tabTo((el) => el.text === 'Cast sealed vote');
    await page.keyboard.press('Enter');
    await page.locator('#my-vote').getByText('Your current vote: rejected').waitFor();
    s.clock.advance(HOUR);
    await page.reload();
    await page.locator('#round-1-outcome').getByText('rejected').waitFor();
    const verified = page.locator('#verify-result');
    await expect.poll(() => verified.getAttribute('data-verified')).toBe('true');
  });
});

mkdirSync(SCREENSHOTS, { recursive: true });
