/**
 * Issue 13 item 7, in a browser: `/docs` renders the OpenAPI document with Swagger UI served by
 * the service itself under its CSP (no violation, no console error), shows every write's example,
 * and "Try it out" sends the example to the service.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsAssets } from '../../oracle/http/docs.ts';
import { browserOrSkip } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from './helpers.ts';

const BROWSER = browserOrSkip('test/oracle/docs.e2e.test.ts');

let s: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (BROWSER === null) return;
  s = await startTestServer();
  browser = await chromium.launch({
    executablePath: BROWSER,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  await s?.dispose();
});

describe.skipIf(BROWSER === null)('/docs in Chromium', () => {
  it('swagger-ui-dist is installed (package.json lists it)', () => {
    expect(docsAssets(), 'swagger-ui-dist is missing: run npm install').not.toBeNull();
  });

  it('renders every operation under the CSP, with the examples, and Try it out works', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const res = await page.goto(`${s.url}/docs`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.opblock').first().waitFor();
    const ops = await page.locator('.opblock').count();
    expect(ops).toBeGreaterThanOrEqual(30);
    await expect.poll(() => page.locator('#routes').isHidden()).toBe(true);

    // The create call: its example body, then "Try it out" → Execute → 201 from this service.
    const create = page.locator('#operations-default-createContract');
    await create.locator('.opblock-summary').click();
    await create.getByText('"Landing page"').first().waitFor();
    await create.getByRole('button', { name: 'Try it out' }).click();
    await create.getByRole('button', { name: 'Execute' }).click();
    await create
      .locator('.live-responses-table .response-col_status', { hasText: '201' })
      .first()
      .waitFor();

    expect(problems, problems.join('\n')).toEqual([]);
    expect(
      requested.every((u) => u.startsWith(s.url)),
      requested.join('\n'),
    ).toBe(true);
    await context.close();
  }, 120_000);
});
