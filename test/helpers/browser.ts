/**
 * Finds a Chromium for the browser tests, on its own: `VERDICT_CHROMIUM`, then `chromium`,
 * `chromium-browser` or `google-chrome` on PATH, then Playwright's cache
 * (`~/.cache/ms-playwright/chromium-*` or `$PLAYWRIGHT_BROWSERS_PATH`). With none found, a test
 * file calls {@link browserOrSkip}: locally it prints how to install one and the file's tests are
 * skipped; under CI (`CI` set) it fails, as a missing browser there is a broken runner.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const BROWSER_NAMES = ['chromium', 'chromium-browser', 'google-chrome'] as const;

/** The one command that installs a browser the tests find (Debian, Ubuntu). */
export const INSTALL_BROWSER = 'sudo apt-get install -y chromium';

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a Chromium was found, and how. */
export interface FoundBrowser {
  readonly path: string;
  readonly from: 'VERDICT_CHROMIUM' | 'PATH' | 'playwright cache';
}

/** Playwright's downloaded Chromium builds, newest revision first. */
function playwrightCache(env: NodeJS.ProcessEnv, home: string): string[] {
  const root = env['PLAYWRIGHT_BROWSERS_PATH'] || join(home, '.cache', 'ms-playwright');
  if (!existsSync(root)) return [];
  const dirs = readdirSync(root)
    .filter((d) => /^chromium-\d+$/.test(d))
    .sort((a, b) => Number(b.slice(9)) - Number(a.slice(9)));
  return dirs.flatMap((d) => [
    join(root, d, 'chrome-linux', 'chrome'),
    join(root, d, 'chrome-linux64', 'chrome'),
  ]);
}

/**
 * The first usable browser, or null. A `VERDICT_CHROMIUM` that is set but not an executable file
 * is an error (a typo should not silently fall back to another browser).
 */
export function findBrowser(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): FoundBrowser | null {
  const chosen = env['VERDICT_CHROMIUM'];
  if (chosen !== undefined && chosen !== '') {
    if (!executable(chosen))
      throw new Error(`VERDICT_CHROMIUM=${chosen} is not an executable file`);
    return { path: chosen, from: 'VERDICT_CHROMIUM' };
  }
  const dirs = (env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  for (const name of BROWSER_NAMES) {
    for (const dir of dirs) {
      const p = join(dir, name);
      if (executable(p)) return { path: p, from: 'PATH' };
    }
  }
  for (const p of playwrightCache(env, home))
    if (executable(p)) return { path: p, from: 'playwright cache' };
  return null;
}

/** The notice printed when a browser test file is skipped. */
export function missingBrowserNotice(file: string): string {
  return (
    `\n[verdict] SKIPPED ${file}: no Chromium found (looked at VERDICT_CHROMIUM, ` +
    `${BROWSER_NAMES.join(' / ')} on PATH, ~/.cache/ms-playwright).\n` +
    `[verdict] Install one with:  ${INSTALL_BROWSER}\n` +
    `[verdict] or point VERDICT_CHROMIUM at a Chromium or Chrome binary.\n`
  );
}

/**
 * For a browser test file: the browser's path, or null after printing the notice (locally).
 * Under CI a missing browser throws, so the run fails as it should.
 */
export function browserOrSkip(file: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const found = findBrowser(env);
  if (found !== null) return found.path;
  if (env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== 'false') {
    throw new Error(
      `no Chromium for ${file} under CI: install it (${INSTALL_BROWSER}) or set VERDICT_CHROMIUM`,
    );
  }
  process.stderr.write(missingBrowserNotice(file));
  return null;
}
