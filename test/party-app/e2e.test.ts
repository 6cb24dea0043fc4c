/**
 * Issue 15's acceptance, end to end in Chromium: two parties' apps (two `verdict app` processes
 * with their own data dirs), one oracle, the devnet, and three arbiters in the arbiter UI. The
 * parties use only their app's pages: the client writes a two-milestone contract in the form and
 * invites; the freelancer opens the link and accepts; both fund each milestone; the freelancer
 * delivers; the client accepts milestone 1 (settled, the freelancer's balance shows the payout);
 * milestone 2 is disputed and the three arbiters vote in their UI; both parties see the decision
 * and the settlement arrive live; the freelancer withdraws to an address outside the wallet.
 *
 * Screenshots of every screen go to test-results/screenshots/ (docs/screenshots/ with
 * VERDICT_UPDATE_SCREENSHOTS=1), 390 px wide, and the contract page at 1280 px.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p2wpkh } from '@scure/btc-signer';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devnetFaucet,
  REGTEST_NETWORK,
  startDevnet,
  type Devnet,
} from '../../src/chain/devnet/index.ts';
import { startTestServer, TestClock, type TestServer } from '../oracle/helpers.ts';
import { invite, PASSWORD } from '../arbitration/helpers.ts';
import { browserOrSkip } from '../helpers/browser.ts';

const BROWSER = browserOrSkip('test/party-app/e2e.test.ts');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOTS = join(
  ROOT,
  process.env['VERDICT_UPDATE_SCREENSHOTS'] === '1'
    ? 'docs/screenshots/'
    : 'test-results/screenshots/',
);
const PHONE = { width: 390, height: 844 };
const PASSPHRASE = 'a good passphrase';
/** Nobody's address, for mined coinbases. */
const MINER = p2wpkh(secp256k1.getPublicKey(randomBytes(32), true), REGTEST_NETWORK).address;
/** Amounts as the app writes them: thin spaces between thousands. */
const sat = (n: bigint | number) =>
  `${BigInt(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009')} sat`;
const satOf = (text: string): bigint =>
  BigInt((/([\d\u2009]+) sat/.exec(text)?.[1] ?? '').replace(/\u2009/g, ''));

let devnet: Devnet;
let oracle: TestServer;
let browser: Browser;
const dirs: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `verdict-e2e-${name}-`));
  dirs.push(d);
  return d;
};

interface AppProcess {
  readonly url: string;
  readonly origin: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

/** `verdict app` in its own process, as a party runs it; resolves with the link it prints. */
function spawnApp(dataDir: string): Promise<AppProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/verdict.ts',
      'app',
      '--data-dir',
      dataDir,
      '--rpc',
      devnet.url,
      '--rpc-cookie',
      devnet.cookieFile ?? '',
      '--oracle',
      oracle.url,
      '--port',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'test' } },
  );
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      const text = b.toString('utf8');
      output.push(text);
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/#\S+/.exec(output.join(''));
      if (m !== null) resolve({ url: m[0], origin: m[1] ?? '', child, output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => output.push(b.toString('utf8')));
    child.once('exit', (code) =>
      reject(new Error(`verdict app exited (${String(code)}): ${output.join('')}`)),
    );
  });
}

async function stopApp(a: AppProcess | undefined): Promise<void> {
  if (a === undefined || a.child.exitCode !== null) return;
  const exited = new Promise((resolve) => a.child.once('exit', resolve));
  a.child.kill('SIGTERM');
  await exited;
}

let clientApp: AppProcess | undefined;
let freelancerApp: AppProcess | undefined;

beforeAll(async () => {
  if (BROWSER === null) return;
  devnet = await startDevnet({ dataDir: tmp('devnet') });
  // The oracle's clock starts at the real time (the parties' deadlines are typed in real time);
  // the test moves it past the dispute's evidence phase.
  oracle = await startTestServer({ clock: new TestClock(Math.floor(Date.now() / 1000)) });
  browser = await chromium.launch({
    executablePath: BROWSER,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  [clientApp, freelancerApp] = await Promise.all([
    spawnApp(join(tmp('client'), 'party')),
    spawnApp(join(tmp('freelancer'), 'party')),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopApp(clientApp);
  await stopApp(freelancerApp);
  await devnet?.stop();
  await oracle?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const errors: string[] = [];

async function phonePage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return { context, page };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** A new wallet through the start screens: passphrase, the 24 words, three asked back. */
async function createWallet(page: Page, app: AppProcess): Promise<void> {
  await page.goto(app.url);
  await page.getByRole('heading', { name: 'Create a wallet' }).waitFor();
  await page.getByLabel('Passphrase (encrypts the wallet on this machine)').fill(PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'Your 24 words' }).waitFor();
  const words = await page.locator('#words li').allTextContents();
  await page.getByRole('button', { name: 'I have written them down' }).click();
  await page.getByRole('heading', { name: 'Check what you wrote' }).waitFor();
  for (const label of await page.locator('form label').allTextContents()) {
    const n = Number(label.replace('Word ', ''));
    await page.getByLabel(label, { exact: true }).fill(words[n - 1] ?? '');
  }
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'Wallet', exact: true }).waitFor();
}

/** Mines a block at every poll until `check` holds (funding and closing transactions confirm). */
async function mineUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  await expect
    .poll(
      async () => {
        if (await check()) return true;
        await devnet.rpc.generateToAddress(1, MINER);
        return check();
      },
      { timeout: 180_000, interval: 1500, message: what },
    )
    .toBe(true);
}

const stepState = (page: Page, milestone: number, step: string) =>
  page.locator(`#timeline-${milestone} [data-step=${step}]`).getAttribute('class');

/** Both parties press Fund on one milestone; the funding confirms; both timelines say so. */
async function fund(client: Page, freelancer: Page, i: number): Promise<void> {
  await client.locator(`#fund-${i}`).click();
  await freelancer.locator(`#fund-${i}`).click();
  await client.locator(`#progress-${i}`).waitFor();
  if (i === 0) {
    await freelancer.locator(`#progress-${i}`).waitFor();
    await shot(client, 'app-funding');
  }
  await mineUntil(
    async () =>
      (await stepState(client, i, 'funded')) === 'step done' &&
      (await stepState(freelancer, i, 'funded')) === 'step done',
    `milestone ${i + 1} funded on both sides`,
  );
}

/** An arbiter accepts the operator's invite in the arbiter UI and logs in with the keyboard. */
async function arbiterLogIn(id: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  const inv = await invite(oracle, id, { displayName: name });
  await page.goto(inv.inviteUrl);
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Activate account' }).click();
  await page.getByText('Your account is active').waitFor();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your disputes' }).waitFor();
  return page;
}

describe.skipIf(BROWSER === null)('the parties’ app, end to end (issue 15)', () => {
  it(
    'a client and a freelancer make, fund, follow and settle a two-milestone contract in their own apps; three arbiters decide the dispute',
    { timeout: 900_000 },
    async () => {
      if (clientApp === undefined || freelancerApp === undefined) throw new Error('no apps');
      // The operator's three arbiters, active before the contract (the pool is drawn from them).
      const arbiters = [
        await arbiterLogIn('ada', 'Ada Lovelace'),
        await arbiterLogIn('grace', 'Grace Hopper'),
        await arbiterLogIn('edsger', 'Edsger Dijkstra'),
      ];

      const { page: client } = await phonePage();
      const { page: freelancer } = await phonePage();
      await createWallet(client, clientApp);
      await createWallet(freelancer, freelancerApp);

      // The client's wallet receives 1 000 000 sat (the freelancer brings nothing).
      await client.getByRole('button', { name: 'Show a receive address' }).click();
      await expect.poll(() => client.locator('#address').textContent()).toMatch(/^bcrt1q/);
      await client.locator('img.qr').waitFor();
      await devnetFaucet(
        devnet.rpc,
        (await client.locator('#address').textContent()) ?? '',
        1_000_000n,
        true,
      );
      await expect
        .poll(() => client.locator('#balance').textContent(), { timeout: 30_000 })
        .toBe(sat(1_000_000));
      await shot(client, 'app-receive');

      // ---- the client writes the contract in the form
      await client.getByRole('link', { name: 'New contract' }).click();
      await client.getByRole('heading', { name: 'New contract' }).waitFor();
      await client.getByLabel('Contract title').fill('Shop redesign');
      await client.getByLabel('My id').fill('acme');
      await client.getByLabel('My name').fill('Acme Ltd');
      await client.getByLabel('Their id').fill('dana');
      await client.getByLabel('Their name').fill('Dana Freelance');
      const m = (i: number, label: string) =>
        client.locator(`#m${i}-fieldset`).getByLabel(label, { exact: true });
      await m(0, 'Title').fill('Design');
      await m(0, 'Description (what is delivered)').fill(
        'Page designs for the shop: home, product, cart.',
      );
      await m(0, 'Acceptance criteria (one per line)').fill('Three page designs\nWorks at 390 px');
      await m(0, 'Amount in sat').fill('300 000');
      await client.getByRole('button', { name: 'Add a milestone' }).click();
      await m(1, 'Title').fill('Build');
      await m(1, 'Description (what is delivered)').fill('The shop, built from the designs.');
      await m(1, 'Acceptance criteria (one per line)').fill('Checkout works\nTests pass');
      await m(1, 'Amount in sat').fill('500000');
      // The dispute settings are folded; milestone 2's panel: three arbiters, quorum 2.
      await client.locator('#m1-fieldset details.dispute-settings summary').click();
      await m(1, 'Quorum (votes needed; empty: a majority)').fill('2');
      // Six hours of evidence (the arbiters' sessions last 12 h of the oracle's clock).
      await m(1, 'Evidence window (days)').fill('0.25');
      await shot(client, 'app-new-contract');
      await client.getByRole('button', { name: 'Review the terms' }).click();

      // ---- review: the terms as hashed, and what each outcome pays
      await client.getByRole('heading', { name: 'Review the terms' }).waitFor();
      const canonical = (await client.locator('#canonical').textContent()) ?? '';
      const terms = JSON.parse(canonical) as { milestones: { amountSat: string; title: string }[] };
      expect(terms.milestones.map((x) => [x.title, x.amountSat])).toEqual([
        ['Design', '300000'],
        ['Build', '500000'],
      ]);
      expect(await client.locator('#payouts table').count()).toBe(2);
      expect(await client.locator('#payouts').textContent()).toContain(sat(500_000));
      await shot(client, 'app-review');
      await client.getByRole('button', { name: 'Create the contract at the oracle' }).click();
      await client.getByRole('heading', { name: 'Contract created' }).waitFor();
      const link = await client.locator('#invite-link').inputValue();
      expect(link.startsWith(`${oracle.url}/invite#v1.`)).toBe(true);
      await client.locator('img.qr').waitFor();
      await shot(client, 'app-created');

      // ---- the freelancer opens the invitation in its own app and accepts
      await freelancer.getByRole('link', { name: 'Open an invitation' }).click();
      await freelancer.getByLabel('Invitation link').fill(link);
      await freelancer.getByRole('button', { name: 'Read the terms' }).click();
      await freelancer
        .getByRole('heading', { name: 'You are invited as the freelancer' })
        .waitFor();
      expect(await freelancer.locator('#canonical').textContent()).toContain(
        '"title":"Shop redesign"',
      );
      await shot(freelancer, 'app-invitation');
      await freelancer.getByRole('button', { name: 'Accept the contract' }).click();
      await freelancer.getByRole('heading', { name: 'Shop redesign' }).waitFor();

      // The client's page learns it live.
      await client.getByRole('button', { name: 'Open the contract' }).click();
      await client.getByRole('heading', { name: 'Shop redesign' }).waitFor();
      await expect
        .poll(() => client.locator('#agreement').textContent(), { timeout: 30_000 })
        .toBe('you: accepted; the freelancer: accepted');

      // ---- both fund each milestone (offer, accept, sign through the relay, in the background)
      await fund(client, freelancer, 0);
      await fund(client, freelancer, 1);
      await shot(freelancer, 'app-funded');

      // ---- the freelancer delivers both milestones
      for (const i of [0, 1]) {
        await freelancer.locator(`#deliver-commit-${i}`).fill((i === 0 ? 'a' : 'b').repeat(40));
        await freelancer
          .locator(`#deliver-note-${i}`)
          .fill(i === 0 ? 'Designs in the repo, /design.' : 'Shop built; see the README.');
        await freelancer.locator(`#deliver-${i} button[type=submit]`).click();
        await expect.poll(() => stepState(freelancer, i, 'delivered')).toBe('step done');
      }
      await expect.poll(() => stepState(client, 1, 'review'), { timeout: 30_000 }).toBe('step now');
      await shot(client, 'app-delivered');

      // ---- the client accepts milestone 1: attested, the CET broadcast by the watchers, settled
      await client.locator('#accept-0').click();
      await expect
        .poll(() => stepState(client, 0, 'attested'), { timeout: 30_000 })
        .toBe('step done');
      expect(await client.locator('#timeline-0 [data-step=attested]').textContent()).toContain(
        'the signature verifies against the announcement',
      );
      await mineUntil(
        async () =>
          (await stepState(client, 0, 'settled')) === 'step done' &&
          (await stepState(freelancer, 0, 'settled')) === 'step done',
        'milestone 1 settled on both sides',
      );
      const paid1 = satOf(
        (await freelancer.locator('#timeline-0 strong.mine').textContent()) ?? '',
      );
      expect(paid1).toBe(300_000n);
      await shot(freelancer, 'app-settled');
      await freelancer.getByRole('link', { name: 'Wallet' }).click();
      await expect
        .poll(() => freelancer.locator('#balance').textContent(), { timeout: 30_000 })
        .toBe(sat(paid1));
      await shot(freelancer, 'app-wallet-payout');
      await freelancer.goBack();
      await freelancer.getByRole('heading', { name: 'Shop redesign' }).waitFor();

      // ---- milestone 2: the client disputes; three arbiters vote in their UI
      await client.locator('#milestone-1 summary', { hasText: 'Open a dispute' }).click();
      await client
        .locator('#dispute-reason-1')
        .fill('Checkout fails with a card that needs 3-D Secure.');
      await client.locator('#dispute-1 button[type=submit]').click();
      await expect.poll(() => stepState(client, 1, 'disputed')).toBe('step now');
      await expect
        .poll(() => stepState(freelancer, 1, 'disputed'), { timeout: 30_000 })
        .toBe('step now');
      // The freelancer answers with a statement (evidence).
      await freelancer.locator('#milestone-1 summary', { hasText: 'Add evidence' }).click();
      await freelancer.locator('#evidence-text-1').fill('3-D Secure was not in the criteria.');
      await freelancer.locator('#evidence-1 button[type=submit]').click();
      await expect
        .poll(() => freelancer.locator('#evidence-sha-1').textContent())
        .toMatch(/^added/);
      await shot(client, 'app-disputed');

      oracle.clock.advance(6 * 3600 + 60); // the evidence phase ends: voting opens
      const votes = [40, 60, 70];
      for (const [i, page] of arbiters.entries()) {
        await page.reload();
        await page.getByRole('link', { name: /Build/ }).click();
        await page
          .getByLabel('Share of the milestone owed to the freelancer (%)')
          .fill(String(votes[i]));
        await page.getByLabel(/Rationale/).fill(`Arbiter ${i + 1}: ${votes[i]} %.`);
        await page.getByRole('button', { name: 'Cast sealed vote' }).click();
        if (i < votes.length - 1)
          await page
            .locator('#my-vote')
            .getByText(`Your current vote: ${votes[i]} % to the freelancer`)
            .waitFor();
        else await page.locator('#round-1-closed-early').waitFor();
      }

      // Both parties see the panel's decision and the settlement arrive, without a reload.
      for (const page of [client, freelancer])
        await expect
          .poll(() => page.locator('#timeline-1 [data-step=decided]').textContent(), {
            timeout: 60_000,
          })
          .toContain('60 % to the freelancer');
      await mineUntil(
        async () =>
          (await stepState(client, 1, 'settled')) === 'step done' &&
          (await stepState(freelancer, 1, 'settled')) === 'step done',
        'milestone 2 settled on both sides',
      );
      const paid2 = satOf(
        (await freelancer.locator('#timeline-1 strong.mine').textContent()) ?? '',
      );
      expect(paid2).toBe(300_000n);
      await shot(client, 'app-contract');
      await client.setViewportSize({ width: 1280, height: 900 });
      await shot(client, 'app-contract-desktop');
      await client.setViewportSize(PHONE);
      await client.getByRole('link', { name: 'Contracts' }).click();
      await client.locator('#contract-list').waitFor();
      await shot(client, 'app-contracts');

      // ---- the freelancer withdraws everything to an address outside the wallet
      const outsideKey = secp256k1.getPublicKey(randomBytes(32), true);
      const outside = p2wpkh(outsideKey, REGTEST_NETWORK).address;
      await freelancer.getByRole('link', { name: 'Wallet' }).click();
      await expect
        .poll(() => freelancer.locator('#balance').textContent(), { timeout: 30_000 })
        .toBe(sat(paid1 + paid2));
      await freelancer.getByLabel('To address').fill(outside);
      await freelancer.getByLabel('Amount in sat (or "all")').fill('all');
      await freelancer.getByLabel('Fee rate (sat/vB)').fill('2');
      await freelancer.getByRole('button', { name: 'Review' }).click();
      await freelancer.locator('#send-summary').waitFor();
      // The review's words, read before sending (the screen shows the wallet again after it).
      const summary = (await freelancer.locator('#send-summary').textContent()) ?? '';
      await shot(freelancer, 'app-withdraw');
      await freelancer.getByRole('button', { name: 'Send now' }).click();
      await expect.poll(() => freelancer.locator('#notice').textContent()).toMatch(/^Sent /);
      await devnet.rpc.generateToAddress(1, MINER);
      // The coins are at the outside address: the whole balance less the fee the review showed.
      const sent = satOf(summary);
      const outsideScript = p2wpkh(outsideKey, REGTEST_NETWORK).script;
      const utxos = await devnet.rpc.scanUtxos([outsideScript]);
      expect(utxos.map((u) => u.valueSat)).toEqual([sent]);
      expect(sent).toBeGreaterThan(paid1 + paid2 - 1000n);
      await expect
        .poll(() => freelancer.locator('#balance').textContent(), { timeout: 30_000 })
        .toBe(sat(0));

      // Nothing overflowed a phone's width on any of these screens, and no page threw.
      expect(await client.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        390,
      );
      expect(errors).toEqual([]);
    },
  );
});
