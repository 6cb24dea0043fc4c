/** The browser finder of the browser tests (issue 13 item 1), on fake executables in temp dirs. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { browserOrSkip, findBrowser, INSTALL_BROWSER } from './browser.ts';

const root = mkdtempSync(join(tmpdir(), 'verdict-browser-finder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeBinary(path: string, exec = true): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, exec ? 0o755 : 0o644);
  return path;
}

const emptyHome = join(root, 'home-empty');
const bin1 = join(root, 'bin1');
const bin2 = join(root, 'bin2');
const chromeOnly = fakeBinary(join(bin1, 'google-chrome'));
const chromium = fakeBinary(join(bin2, 'chromium'));
fakeBinary(join(root, 'bin3', 'chromium'), false); // not executable: never chosen
const home = join(root, 'home');
fakeBinary(join(home, '.cache', 'ms-playwright', 'chromium-1100', 'chrome-linux', 'chrome'));
const newest = fakeBinary(
  join(home, '.cache', 'ms-playwright', 'chromium-1200', 'chrome-linux', 'chrome'),
);

describe('findBrowser', () => {
  it('VERDICT_CHROMIUM first, and a wrong one is an error, not a silent fallback', () => {
    const custom = fakeBinary(join(root, 'custom', 'my-chrome'));
    expect(findBrowser({ VERDICT_CHROMIUM: custom, PATH: bin2 }, home)).toEqual({
      path: custom,
      from: 'VERDICT_CHROMIUM',
    });
    expect(() => findBrowser({ VERDICT_CHROMIUM: join(root, 'nope'), PATH: bin2 }, home)).toThrow(
      /VERDICT_CHROMIUM/,
    );
  });

  it('then chromium, chromium-browser, google-chrome on PATH (by name first, then PATH order)', () => {
    expect(findBrowser({ PATH: [bin1, bin2].join(':') }, home)?.path).toBe(chromium);
    expect(findBrowser({ PATH: bin1 }, home)?.path).toBe(chromeOnly);
    expect(findBrowser({ PATH: join(root, 'bin3') }, emptyHome)).toBeNull();
  });

  it("then Playwright's cache, newest revision first", () => {
    expect(findBrowser({ PATH: join(root, 'bin3') }, home)).toEqual({
      path: newest,
      from: 'playwright cache',
    });
    expect(
      findBrowser(
        { PATH: '', PLAYWRIGHT_BROWSERS_PATH: join(home, '.cache', 'ms-playwright') },
        emptyHome,
      )?.path,
    ).toBe(newest);
  });
});

describe('browserOrSkip', () => {
  it('with no browser: locally null and a notice with the install command; under CI an error', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(
        browserOrSkip('x.test.ts', {
          PATH: '',
          HOME: emptyHome,
          PLAYWRIGHT_BROWSERS_PATH: emptyHome,
        }),
      ).toBeNull();
      const notice = write.mock.calls.map((c) => String(c[0])).join('');
      expect(notice).toContain('SKIPPED x.test.ts');
      expect(notice).toContain(INSTALL_BROWSER);
      expect(INSTALL_BROWSER).toBe('sudo apt-get install -y chromium');
    } finally {
      write.mockRestore();
    }
    expect(() =>
      browserOrSkip('x.test.ts', { CI: 'true', PATH: '', PLAYWRIGHT_BROWSERS_PATH: emptyHome }),
    ).toThrow(/under CI/);
    expect(browserOrSkip('x.test.ts', { CI: 'true', PATH: bin2 })).toBe(chromium);
  });
});
