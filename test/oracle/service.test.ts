/**
 * Start-up and secrets: logs never carry a secret; the keystore refuses a wrong passphrase; a
 * database refuses another oracle key; the kormir-compatible routes keep kormir's shapes.
 */
import { Writable } from 'node:stream';
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../oracle/config.ts';
import { REDACT_PATHS } from '../../oracle/logger.ts';
import { KeyMismatchError, startServer } from '../../oracle/server.ts';
import { paths } from '../../oracle/data-dir.ts';
import {
  call,
  createContract,
  expectOk,
  milestoneUrl,
  startTestServer,
  TEST_ENV,
  tempDataDir,
  TestClock,
} from './helpers.ts';
import { openKeystoreFile } from '../../oracle/data-dir.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logger = pino(
    { level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    stream,
  );
  return { logger, text: () => lines.join('') };
}

describe('secrets stay out of the logs', () => {
  it('a whole session at trace level logs no passphrase, mnemonic, token or JWT secret', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const { logger, text } = capturingLogger();
    const config = loadConfig({
      ...TEST_ENV,
      VERDICT_DATA_DIR: dataDir,
      VERDICT_LOG_LEVEL: 'trace',
    });
    const clock = new TestClock();
    const s = await startServer(config, { logger, now: clock.now, cron: false });
    try {
      const c = await createContract({ url: s.url, clock });
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: '1'.repeat(40) },
      });
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
        token: c.tokens.client,
      });
      await call(s.url, 'GET', '/v1/oracle', { token: 'garbage-token-value' });
      const mnemonic = openKeystoreFile(dataDir, TEST_ENV.VERDICT_KEYSTORE_PASSPHRASE);
      const logged = text();
      expect(logged).toContain('verdict oracle listening');
      expect(logged).toContain('"route":"accept"');
      for (const secret of [
        TEST_ENV.VERDICT_KEYSTORE_PASSPHRASE,
        c.tokens.client,
        c.tokens.freelancer,
        'garbage-token-value',
        mnemonic.split(' ').slice(0, 3).join(' '),
      ]) {
        expect(logged).not.toContain(secret);
      }
    } finally {
      await s.close();
    }
  });

  it('the redaction paths blank secrets wherever a caller puts them', () => {
    const { logger, text } = capturingLogger();
    logger.info(
      {
        passphrase: 'p1',
        headers: { authorization: 'Bearer t1' },
        config: { keystorePassphrase: 'p2' },
        mnemonic: 'm1',
        token: 't2',
      },
      'x',
    );
    const out = text();
    for (const s of ['p1', 't1', 'p2', 'm1', 't2']) expect(out).not.toContain(`"${s}"`);
    expect(out).toContain('[redacted]');
  });
});

describe('start-up checks', () => {
  it('a wrong keystore passphrase refuses to start; another oracle key refuses the database', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const s = await startTestServer({ dataDir });
    await s.close();
    const wrong = loadConfig({
      ...TEST_ENV,
      VERDICT_DATA_DIR: dataDir,
      VERDICT_KEYSTORE_PASSPHRASE: 'wrong',
    });
    await expect(
      startServer(wrong, { cron: false, logger: pino({ level: 'silent' }) }),
    ).rejects.toThrow(/passphrase/);
    // Replace the keystore by a fresh one (another key): the database belongs to the first key.
    rmSync(paths(dataDir).keystore);
    const config = loadConfig({ ...TEST_ENV, VERDICT_DATA_DIR: dataDir });
    await expect(
      startServer(config, { cron: false, logger: pino({ level: 'silent' }) }),
    ).rejects.toBeInstanceOf(KeyMismatchError);
    // Neither failed start left the lock behind.
    const again = await startTestServer({ dataDir, env: {} }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(KeyMismatchError);
  });
});

describe('kormir-compatible routes', () => {
  it("serve the JSON shapes ddk's kormir client reads (full check: ddk-compat.test.ts)", async () => {
    const s = await startTestServer();
    try {
      const c = await createContract(s, [{ outcome: 'enum' }]);
      const eventId = c.contract.milestones[0]!.eventId;
      const { pubkey } = expectOk(await call<{ pubkey: string }>(s.url, 'GET', '/pubkey'));
      expect(pubkey).toMatch(/^[0-9a-f]{64}$/);
      const ann = expectOk(
        await call<Record<string, unknown>>(s.url, 'GET', `/announcement/${eventId}`),
      );
      expect(Object.keys(ann).sort()).toEqual([
        'announcementSignature',
        'oracleEvent',
        'oraclePublicKey',
      ]);
      expect(ann['oraclePublicKey']).toBe(pubkey);
      expect(ann['oracleEvent']).toMatchObject({
        eventId,
        eventDescriptor: { enumEvent: { outcomes: ['accepted', 'rejected'] } },
      });
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: '2'.repeat(40) },
      });
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
        token: c.tokens.client,
      });
      const att = expectOk(
        await call<Record<string, unknown>>(
          s.url,
          'GET',
          `/attestation/${encodeURIComponent(eventId)}`,
        ),
      );
      expect(Object.keys(att).sort()).toEqual([
        'eventId',
        'oraclePublicKey',
        'outcomes',
        'signatures',
      ]);
      expect(att['outcomes']).toEqual(['accepted']);
      const list = expectOk(
        await call<{ event_id: string; signatures: [string, string][]; indexes: number[] }[]>(
          s.url,
          'GET',
          '/list-events',
        ),
      );
      const mine = list.find((e) => e.event_id === eventId);
      expect(mine?.signatures).toEqual([['accepted', (att['signatures'] as string[])[0]]]);
      expect(mine?.indexes).toEqual([0]);
    } finally {
      await s.dispose();
    }
  });
});

describe('data dir lock', () => {
  it('a second server on the same data dir refuses, even in the same process', async () => {
    const s = await startTestServer();
    try {
      await expect(startTestServer({ dataDir: s.dataDir })).rejects.toThrow(
        /in use by another Verdict process/,
      );
    } finally {
      await s.dispose();
    }
  });
});
