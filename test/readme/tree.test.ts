/**
 * Issue 13 items 2 and 3: installing and running Verdict leaves the checkout as it was. `npm
 * install` makes the package's `bin` executable, so it is committed executable; what the service
 * and the tests write (`data/`, `test-results/`) is git-ignored.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  bin?: Record<string, string>;
};
const isGit = existsSync(join(repoRoot, '.git'));

describe('the checkout stays clean', () => {
  it.skipIf(!isGit)(
    'every bin of package.json is committed executable (npm install sets 755)',
    () => {
      const bins = Object.values(pkg.bin ?? {});
      expect(bins.length).toBeGreaterThan(0);
      for (const bin of bins) {
        const staged = execFileSync('git', ['ls-files', '-s', '--', bin], {
          cwd: repoRoot,
          encoding: 'utf8',
        });
        expect(staged.split(' ')[0], `${bin} in the git index`).toBe('100755');
        expect(
          readFileSync(join(repoRoot, bin), 'utf8').startsWith('#!'),
          `${bin} has a shebang`,
        ).toBe(true);
      }
    },
  );

  it('what the service and the tests write is git-ignored', () => {
    const ignored = readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n');
    for (const p of ['data/', 'test-results/', 'node_modules/']) expect(ignored).toContain(p);
  });
});
