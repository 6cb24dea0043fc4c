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
/** Close-ups of the layout checks, never published. */
const CROPS = fileURLToPath(new URL('../../test-results/screenshots/crops/', import.meta.url));
mkdirSync(CROPS, { recursive: true });
const HOUR = 3600;
const SCRIPT_EVIDENCE =
  '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> The header is broken on mobile.';

let s: TestServer;
let browser: Browser;
let userDataDir: string;
let evil: Server;
let evilUrl = '';
const uiResponses: { url: string; csp: string | null }[] = [];
/** Console errors and uncaught exceptions of every arbiter page (a missing favicon is one). */
const consoleErrors: { page: string; text: string }[] = [];

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
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push({ page: page.url(), text: m.text() });
  });
  page.on('pageerror', (e) => consoleErrors.push({ page: page.url(), text: e.message }));
  page.on('response', (r) => {
    if (r.url().startsWith(`${s.url}/arbiter`))
      uiResponses.push({ url: r.url(), csp: r.headers()['content-security-policy'] ?? null });
  });
  return { context, page };
}

/** How many lines the element's text occupies (a word broken letter by letter takes many). */
async function lines(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (els) =>
    els.map((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
    }),
  );
}

/** Elements whose text takes more lines than it has words: a word was broken inside. */
async function brokenWords(page: Page, selector: string): Promise<string[]> {
  const counts = await lines(page, selector);
  const texts = await page.locator(selector).allTextContents();
  return texts.filter((t, i) => (counts[i] ?? 0) > t.trim().split(/\s+/).length);
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
      // A used invite link says so, before (instead of) the password form.
      {
        const again = await newArbiterPage();
        await again.page.goto(invites[0]!.inviteUrl);
        const state = again.page.locator('#invite-state');
        await state.waitFor();
        expect(await state.getAttribute('data-state')).toBe('used');
        expect(await state.textContent()).toContain('already been used');
        expect(await again.page.getByLabel('New password').count()).toBe(0);
        await again.context.close();
      }
      const c = await createContract(s, [
        {
          title: 'Responsive storefront',
          description: 'A responsive storefront: catalogue, cart and checkout.',
          acceptanceCriteria: ['Checkout works on a 390 px phone', 'The test suite passes'],
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
      // Milestones are numbered from 1 for people.
      expect(await item.textContent()).toContain('Milestone 1: Responsive storefront');
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
        // The terms' scope, criteria numbered from 1; the rule is stated before anyone votes.
        expect(await page.locator('#scope-description').textContent()).toBe(
          'A responsive storefront: catalogue, cart and checkout.',
        );
        expect(await page.locator('#scope-criteria li').allTextContents()).toEqual([
          'Checkout works on a 390 px phone',
          'The test suite passes',
        ]);
        expect(await page.locator('#scope-criteria').getAttribute('start')).toBeNull();
        const rule = (await page.locator('#vote-rule').textContent()) ?? '';
        expect(rule).toContain('median');
        expect(rule).toContain('lower of the two middle votes');
        expect(rule).toContain('1,250,000 sat to the freelancer'); // the 50 % fallback
        expect(await page.locator('#after-close').textContent()).toContain('No appeal is possible');
        expect(await page.locator('h1').textContent()).toContain(
          'Milestone 1: Responsive storefront',
        );
      }

      // Evidence phase over: vote 40, 60, 70 through the form.
      s.clock.advance(HOUR);
      const votes = [40, 60, 70];
      for (const [i, { page }] of arbiters.entries()) {
        await page.reload();
        const share = page.getByLabel('Share of the milestone owed to the freelancer (%)');
        await share.fill(String(votes[i]));
        expect(await page.locator('#share-range').inputValue()).toBe(String(votes[i]));
        const amounts = ['1,000,000', '1,500,000', '1,750,000'];
        expect(await page.locator('#share-sats').textContent()).toBe(
          `${amounts[i]} sat to the freelancer · ${['1,500,000', '1,000,000', '750,000'][i]} sat to the client`,
        );
        // A rationale is required: the form does not submit without one.
        await page.getByRole('button', { name: 'Cast sealed vote' }).click();
        expect(
          await page
            .getByLabel(/Rationale/)
            .evaluate((el) => (el as HTMLTextAreaElement).validity.valueMissing),
        ).toBe(true);
        expect(await page.locator('#my-vote').count()).toBe(0);
        expect(await page.locator('#vote-rule').textContent()).toContain('median');
        await page
          .getByLabel(/Rationale/)
          .fill(`Rationale of arbiter ${i + 1}: award ${votes[i]} %.`);
        await page.getByRole('button', { name: 'Cast sealed vote' }).click();
        if (i === votes.length - 1) {
          // The last seated arbiter's vote closes the round at once (issue 13 §10).
          await page.locator('#round-1-closed-early').waitFor();
          break;
        }
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

      // The close (early: all three voted, the deadline is an hour away): every vote with its
      // rationale and its satoshis, the median, what happens next, and the attestation verified here.
      await first.page.goto(`${s.url}/arbiter/#dispute/${disputeId}`);
      await first.page.locator('#round-1-outcome').getByText('60 % to the freelancer').waitFor();
      expect(await first.page.locator('#round-1-sats').textContent()).toBe(
        '1,500,000 sat to the freelancer · 1,000,000 sat to the client',
      );
      expect(await first.page.locator('table.votes td.vote').allTextContents()).toEqual(
        expect.arrayContaining(['40 %1,000,000 sat', '60 %1,500,000 sat', '70 %1,750,000 sat']),
      );
      const after = (await first.page.locator('#after-close').textContent()) ?? '';
      expect(after).toContain('settles on chain');
      expect(after).toContain('No appeal is possible');
      expect(await first.page.locator('#round-1-closed-early').textContent()).toContain(
        'every seated arbiter had voted',
      );
      // At 1100 px no table header or arbiter name breaks.
      expect(await lines(first.page, 'table.votes th')).toEqual([1, 1, 1]);
      expect(await lines(first.page, 'table.votes td.name')).toEqual([1, 1, 1]);
      await first.page.locator('table.votes').screenshot({ path: join(CROPS, 'wide-votes.png') });
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
      // Phone width: names on one line, "Log out" on one line, the header one row high, the phase
      // badge a pill (wider than high, one line).
      expect(await brokenWords(phone.page, 'table.votes td.name')).toEqual([]);
      expect(await lines(phone.page, 'table.votes td.name')).toEqual([1, 1, 1]);
      await phone.page.locator('table.votes').screenshot({ path: join(CROPS, 'phone-votes.png') });
      await phone.page.locator('header.top').screenshot({ path: join(CROPS, 'phone-header.png') });
      await phone.page.locator('#phase-h').screenshot({ path: join(CROPS, 'phone-phase.png') });
      expect(await lines(phone.page, '#logout')).toEqual([1]);
      expect((await phone.page.locator('header.top').boundingBox())!.height).toBeLessThan(60);
      const badge = (await phone.page.locator('#phase-h .badge').boundingBox())!;
      expect(badge.height).toBeLessThan(28);
      expect(badge.width).toBeGreaterThan(badge.height * 1.5);
      // The closed queue at phone width: one "closed" badge that keeps its size, the result beside.
      await phone.page.goto(`${s.url}/arbiter/#queue`);
      const closedItem = phone.page.getByRole('link', { name: /Responsive storefront/ });
      await closedItem.waitFor();
      const closedText = (await closedItem.textContent()) ?? '';
      expect(closedText.match(/closed/g)).toHaveLength(1);
      expect(closedText).toContain('Result: 60 % to the freelancer (1,500,000 sat)');
      expect(await brokenWords(phone.page, 'ul.queue .title')).toEqual([]);
      const qBadge = (await closedItem.locator('.badge').boundingBox())!;
      const qRow = (await closedItem.boundingBox())!;
      expect(qBadge.height).toBeLessThan(28);
      expect(qBadge.width).toBeLessThan(qRow.width / 3);
      await phone.page.screenshot({
        path: join(SCREENSHOTS, 'arbiter-queue-phone.png'),
        fullPage: true,
      });
      await closedItem.screenshot({ path: join(CROPS, 'phone-closed-queue-item.png') });

      // The CSP header was on every UI response the browser received.
      expect(uiResponses.length).toBeGreaterThan(20);
      for (const r of uiResponses)
        expect({ url: r.url, csp: r.csp }).toEqual({ url: r.url, csp: UI_CSP });
      // The favicon is served (no 404, so no console error), and no page logged an error, except
      // the forged cross-site POST's refusal, which is the point of that step.
      expect(uiResponses.some((r) => r.url.endsWith('/arbiter/favicon.svg'))).toBe(true);
      expect(
        consoleErrors.filter((e) => !(e.page.startsWith(evilUrl) || e.page.endsWith('/vote'))),
      ).toEqual([]);
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
    // Kay is the whole panel: the vote closes the round at once (issue 13 §10).
    await page.locator('#round-1-outcome').getByText('rejected').waitFor();
    expect(await page.locator('#round-1-sats').textContent()).toBe(
      '0 sat to the freelancer · 150,000 sat to the client',
    );
    const verified = page.locator('#verify-result');
    await expect.poll(() => verified.getAttribute('data-verified')).toBe('true');
  });
});

mkdirSync(SCREENSHOTS, { recursive: true });
