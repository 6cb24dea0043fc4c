/**
 * Key hygiene (issue 9 §4), on real service processes:
 * - the keystore is encrypted and 0600 (the JWT secret too, the data dir 0700);
 * - the passphrase comes from an env var or a file; a wrong one stops the start without echoing it;
 * - a whole session at the most verbose log level never logs the passphrase, the mnemonic, the
 *   JWT secret, an issued token, a session cookie or a password, and the database holds none of them;
 * - `verdict oracle restore` from the mnemonic gives the same public key, and the restored key
 *   reproduces every stored announcement and attestation byte for byte and attests open events;
 * - a second process (service or CLI) refuses the data dir while the service runs.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { createAttestation } from '../../src/dlc/attestation.ts';
import { decodeAnnouncement, encodeAttestation } from '../../src/dlc/oracle-codec.ts';
import { buildTestResultStatement } from '../../oracle/ci/statement.ts';
import { createAttestationEngine } from '../../oracle/domain/attestation-engine.ts';
import { SigningJournal } from '../../oracle/domain/signing-journal.ts';
import { outcomeForSigning } from '../../oracle/domain/outcomes.ts';
import { call, milestoneUrl } from '../oracle/helpers.ts';
import {
  CHILD_PASSPHRASE,
  childEnv,
  runToExit,
  startServiceChild,
  tempDir,
  type ServiceChild,
} from './child.ts';
import { ARBITER_PASSWORD, FUZZ_COMMIT, setupFixture, type Fixture } from './fuzz-routes.ts';

const dirs: string[] = [];
const children: ServiceChild[] = [];
afterAll(async () => {
  for (const c of children) await c.kill9();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir('verdict-keys-');
  dirs.push(d);
  return d;
}
async function start(env: NodeJS.ProcessEnv): Promise<ServiceChild> {
  const c = await startServiceChild(env);
  children.push(c);
  return c;
}
const mode = (p: string) => statSync(p).mode & 0o777;
const verdict = (args: string[], env: NodeJS.ProcessEnv, stdin?: string) =>
  runToExit(['scripts/verdict.ts', ...args], env, stdin);

interface EventRow {
  eventId: string;
  announcementHex: string;
  attestationHex?: string;
  outcome?: string | number;
  status: string;
}

/** A session that touches every secret: contracts, decisions, disputes, CI, relay, arbiters. */
async function session(url: string, dataDir: string): Promise<{ f: Fixture; secrets: string[] }> {
  const f = await setupFixture(url, dataDir);
  const ok = (r: { status: number; body: unknown }, what: string) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  ok(
    await call(url, 'POST', milestoneUrl(f.contractId, 0, 'accept'), {
      headers: auth(f.tokens.client),
    }),
    'accept',
  );
  ok(
    await call(url, 'POST', milestoneUrl(f.contractId, 2, 'ci'), {
      headers: auth(f.tokens.ci),
      body: buildTestResultStatement({
        commit: FUZZ_COMMIT,
        result: 'PASSED',
        passedTests: ['t'],
        failedTests: [],
      }),
    }),
    'ci',
  );
  const invite = ok(
    await call(url, 'POST', '/v1/arbiters', {
      headers: auth(f.tokens.admin),
      body: { id: 'log-arb', displayName: 'L' },
    }),
    'invite',
  ) as { token: string };
  // Failures are logged too: wrong tokens, a wrong password, a bad invite.
  await call(url, 'GET', `/v1/contracts/${f.contractId}`, { headers: auth(f.tokens.ci) });
  await call(url, 'POST', '/arbiter/api/login', {
    headers: { origin: url },
    body: { id: f.arbiterId, password: `${ARBITER_PASSWORD}!` },
  });
  await call(url, 'POST', '/arbiter/api/invite/accept', {
    headers: { origin: url },
    body: { token: invite.token.replace(/.$/, 'A'), password: ARBITER_PASSWORD },
  });
  const sessionJwt = /verdict_arbiter_session=([^;]+)/.exec(f.session.cookie)?.[1] ?? '';
  return {
    f,
    secrets: [
      f.tokens.client,
      f.tokens.freelancer,
      f.tokens.otherClient,
      f.tokens.admin,
      f.tokens.ci,
      invite.token,
      sessionJwt,
      f.session.csrf,
      ARBITER_PASSWORD,
    ],
  };
}

/** The secret strings and the parts of them a log line could carry (a token's signature). */
function needles(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (s.length < 8) continue;
    out.add(s);
    const sig = s.split('.')[2];
    if (sig !== undefined && sig.length >= 16) out.add(sig);
  }
  return [...out];
}

describe('keys and secrets', () => {
  it('a whole session at trace level logs no secret; files are 0600/0700 and encrypted; restore reproduces the key, the announcements and the attestations', async () => {
    const a = dir();
    const passFile = join(dir(), 'passphrase');
    writeFileSync(passFile, `${CHILD_PASSPHRASE}\n`, { mode: 0o600 });
    const envA = childEnv(a, {
      VERDICT_LOG_LEVEL: 'trace',
      VERDICT_KEYSTORE_PASSPHRASE: '',
      VERDICT_KEYSTORE_PASSPHRASE_FILE: passFile,
      VERDICT_WRITE_RATE_PER_MIN: '0',
    });
    const svc = await start(envA);
    const { f, secrets } = await session(svc.url, a);
    const oracle = (await call<{ publicKey: string }>(svc.url, 'GET', '/v1/oracle')).body;
    const events: EventRow[] = [];
    for (const id of [f.contractId, f.otherContractId]) {
      const c = await call<{ milestones: { eventId: string }[] }>(
        svc.url,
        'GET',
        `/v1/contracts/${id}`,
        {
          headers: { authorization: `Bearer ${f.tokens.admin}` },
        },
      );
      for (const m of c.body.milestones) {
        const e = await call<EventRow>(
          svc.url,
          'GET',
          `/v1/events/${encodeURIComponent(m.eventId)}`,
        );
        events.push(e.body);
      }
    }
    expect(events.filter((e) => e.status === 'attested').length).toBeGreaterThanOrEqual(2);
    // A second service process and a CLI restore both refuse the data dir while it runs.
    const second = await runToExit(['oracle/main.ts'], envA);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by another Verdict process/);
    expect(await svc.stop()).toBe(0);

    // The mnemonic, from the operator's backup command (the one place it is printed).
    const backup = await verdict(['oracle', 'backup'], envA);
    expect(backup.code, backup.stderr).toBe(0);
    const mnemonic = backup.stdout
      .replace(/\d+\.\s*/g, ' ')
      .trim()
      .split(/\s+/)
      .join(' ');
    expect(mnemonic.split(' ')).toHaveLength(24);
    const jwtSecret = readFileSync(join(a, 'jwt.secret'), 'utf8').trim();

    // Files: encrypted, 0600; the data dir 0700.
    expect(mode(a)).toBe(0o700);
    for (const file of ['oracle.keystore.json', 'jwt.secret'])
      expect(mode(join(a, file)), file).toBe(0o600);
    expect(existsSync(join(a, 'keystore.pass'))).toBe(false);
    const keystore = readFileSync(join(a, 'oracle.keystore.json'), 'utf8');
    const words = mnemonic.split(' ');
    for (let i = 0; i + 2 < words.length; i++)
      expect(keystore).not.toContain(words.slice(i, i + 3).join(' '));
    expect(keystore).not.toContain(CHILD_PASSPHRASE);

    // The logs of the whole run, and the database: none of the secrets.
    const log = svc.output();
    expect(log.split('\n').length).toBeGreaterThan(20);
    expect(log).toMatch(/"level":10|"level":20/); // trace/debug lines were on
    const secretNeedles = [
      ...needles([...secrets, jwtSecret, CHILD_PASSPHRASE]),
      mnemonic,
      ...words
        .map((_w, i) => words.slice(i, i + 3).join(' '))
        .filter((w) => w.split(' ').length === 3),
    ];
    const inLog = secretNeedles.filter((s) => log.includes(s));
    expect(inLog).toEqual([]);
    const dbBytes = ['verdict.db', 'verdict.db-wal']
      .map((p) => join(a, p))
      .filter(existsSync)
      .map((p) => readFileSync(p).toString('latin1'))
      .join('');
    const inDb = [...needles([...secrets, jwtSecret, CHILD_PASSPHRASE]), mnemonic].filter((s) =>
      dbBytes.includes(s),
    );
    expect(inDb).toEqual([]);

    // A wrong passphrase: no start, and neither passphrase in the output.
    const wrong = await runToExit(['oracle/main.ts'], {
      ...envA,
      VERDICT_KEYSTORE_PASSPHRASE_FILE: '',
      VERDICT_KEYSTORE_PASSPHRASE: 'not the passphrase at all',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout + wrong.stderr).not.toContain('not the passphrase at all');
    expect(wrong.stdout + wrong.stderr).not.toContain(CHILD_PASSPHRASE);

    // Restore into a new data dir, under another passphrase: the same public key.
    const b = dir();
    const envB = childEnv(b, { VERDICT_KEYSTORE_PASSPHRASE: 'another passphrase for the restore' });
    const restored = await verdict(['oracle', 'restore'], envB, backup.stdout);
    expect(restored.code, restored.stderr).toBe(0);
    expect(mode(join(b, 'oracle.keystore.json'))).toBe(0o600);
    const info = await verdict(['oracle', 'info', '--json'], envB);
    expect((JSON.parse(info.stdout) as { oraclePublicKey: string }).oraclePublicKey).toBe(
      oracle.publicKey,
    );

    // The restored key reproduces every stored announcement and attestation, byte for byte.
    const journal = SigningJournal.create(join(dir(), 'signing.journal'), oracle.publicKey, 0);
    const engine = createAttestationEngine(mnemonic, journal);
    const keys = oracleKeysFromMnemonic(mnemonic);
    expect(bytesToHex(engine.publicKey)).toBe(oracle.publicKey);
    for (const e of events) {
      const ann = decodeAnnouncement(hexToBytes(e.announcementHex));
      const again = (['enum', 'share'] as const).map((kind) =>
        bytesToHex(
          engine.announce({
            eventId: e.eventId,
            maturityEpochSec: ann.event.maturityEpochSec,
            kind,
          }),
        ),
      );
      expect(again, e.eventId).toContain(e.announcementHex);
      if (e.attestationHex !== undefined && e.outcome !== undefined) {
        const kind = typeof e.outcome === 'number' ? 'share' : 'enum';
        const att = createAttestation(keys, ann, outcomeForSigning(kind, String(e.outcome)));
        expect(bytesToHex(encodeAttestation(att)), e.eventId).toBe(e.attestationHex);
      }
    }

    // With the database and jwt.secret backups beside the restored keystore, the service serves
    // the same announcements and attests an open event with the restored key.
    copyFileSync(join(a, 'verdict.db'), join(b, 'verdict.db'));
    copyFileSync(join(a, 'jwt.secret'), join(b, 'jwt.secret'));
    const svcB = await start(envB);
    const oracleB = await call<{ publicKey: string }>(svcB.url, 'GET', '/v1/oracle');
    expect(oracleB.body.publicKey).toBe(oracle.publicKey);
    for (const e of events) {
      const served = await call<EventRow>(
        svcB.url,
        'GET',
        `/v1/events/${encodeURIComponent(e.eventId)}`,
      );
      expect(served.body.announcementHex).toBe(e.announcementHex);
    }
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    expect(
      (
        await call(svcB.url, 'POST', milestoneUrl(f.contractId, 3, 'deliver'), {
          headers: bearer(f.tokens.freelancer),
          body: { commitSha: FUZZ_COMMIT },
        })
      ).status,
    ).toBe(200);
    // Issue 19: a database restored into another data dir starts quarantined: its open events
    // may have been attested by the data dir it came from. The operator, who knows that A never
    // attested milestone 3, releases it knowingly; then it is decided with the restored key.
    const open = events.find((e) => e.eventId.startsWith(`verdict/${f.contractId}/3/`));
    if (open === undefined) throw new Error('milestone 3 not among the events');
    const held = await call<{ error: { code: string } }>(
      svcB.url,
      'POST',
      milestoneUrl(f.contractId, 3, 'accept'),
      { headers: bearer(f.tokens.client) },
    );
    expect(held.status).toBe(409);
    expect(held.body.error.code).toBe('event_quarantined');
    await svcB.stop();
    const released = await verdict(['oracle', 'release', open.eventId, '--yes'], envB);
    expect(released.code, released.stderr).toBe(0);
    const svcB2 = await start(envB);
    const decided = await call<{ attestation: { attestationHex: string } }>(
      svcB2.url,
      'POST',
      milestoneUrl(f.contractId, 3, 'accept'),
      { headers: bearer(f.tokens.client) },
    );
    expect(decided.status).toBe(200);
    const expected = createAttestation(
      keys,
      decodeAnnouncement(hexToBytes(open.announcementHex)),
      'accepted',
    );
    expect(decided.body.attestation.attestationHex).toBe(bytesToHex(encodeAttestation(expected)));
    await svcB2.stop();
  }, 180_000);
});
