/** Issue 13 item 3: a party's data dir defaults to a per-user place outside any checkout. */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDlc } from '../../scripts/cli/dlc.ts';
import { resolvePartyDir, termsFileOf } from '../../src/party/party-dir.ts';

const home = '/home/someone';

describe('resolvePartyDir', () => {
  it('defaults to ~/.verdict/parties/default, and --party / VERDICT_PARTY name it', () => {
    expect(resolvePartyDir({ env: {}, home }).dir).toBe(join(home, '.verdict/parties/default'));
    expect(resolvePartyDir({ env: { VERDICT_PARTY: 'client' }, home }).dir).toBe(
      join(home, '.verdict/parties/client'),
    );
    expect(resolvePartyDir({ party: 'bob', env: { VERDICT_PARTY: 'client' }, home }).dir).toBe(
      join(home, '.verdict/parties/bob'),
    );
  });

  it('VERDICT_HOME moves the root; --data-dir and VERDICT_PARTY_DIR name a dir outright', () => {
    expect(resolvePartyDir({ env: { VERDICT_HOME: '/srv/v', VERDICT_PARTY: 'c' }, home }).dir).toBe(
      '/srv/v/parties/c',
    );
    expect(
      resolvePartyDir({ env: { VERDICT_PARTY_DIR: '/x/y', VERDICT_PARTY: 'c' }, home }).dir,
    ).toBe('/x/y');
    expect(resolvePartyDir({ dir: 'rel', env: { VERDICT_PARTY_DIR: '/x/y' }, home }).dir).toBe(
      resolve('rel'),
    );
  });

  it('refuses a party name that is not one folder name', () => {
    for (const bad of ['../x', 'a/b', '..', '.', '', 'x'.repeat(65)]) {
      expect(() => resolvePartyDir({ party: bad, env: {}, home }), bad).toThrow(/party name/);
    }
  });

  it('terms files live in the data dir', () => {
    expect(termsFileOf('/d', 'abc', 2)).toBe('/d/terms/abc-2.json');
  });

  it('the CLI refuses a bad --party as a usage error (exit 2)', async () => {
    const err: string[] = [];
    const code = await runDlc(
      ['wallet', 'balance', '--party', '../etc'],
      { out: () => {}, err: (l) => err.push(l), readStdin: () => Promise.resolve('') },
      { VERDICT_PARTY_PASSPHRASE: 'x' },
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/party name/);
  });
});
