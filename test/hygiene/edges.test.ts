/**
 * Issue 19 §12: a data dir that already exists gets 0700 (and its database 0600) at start; a
 * request Node's parser refuses is answered with the error JSON and the security headers; a
 * non-loopback start without TLS in front warns.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../oracle/config.ts';
import { paths } from '../../oracle/data-dir.ts';
import { SECURITY_HEADERS } from '../../oracle/http/security-headers.ts';
import { plainHttpExposureWarning } from '../../oracle/server.ts';
import { startTestServer, tempDataDir, TEST_ENV } from '../oracle/helpers.ts';

const modeOf = (p: string) => statSync(p).mode & 0o777;

/** Sends `raw` on a fresh connection and returns everything the server writes before closing. */
function rawExchange(url: string, raw: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let out = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (out += d));
    sock.on('error', reject);
    sock.on('close', () => resolve(out));
    sock.write(raw);
  });
}

function parseResponse(text: string) {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [
      l.slice(0, l.indexOf(':')).toLowerCase(),
      l.slice(l.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('data dir modes (issue 19 §12a)', () => {
  it('an existing 0755 data dir with a 0644 database becomes 0700/0600 at start', async () => {
    const dataDir = tempDataDir();
    const first = await startTestServer({ dataDir });
    await first.close();
    chmodSync(dataDir, 0o755);
    chmodSync(paths(dataDir).db, 0o644);
    chmodSync(paths(dataDir).keystore, 0o644);
    const s = await startTestServer({ dataDir });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      const p = paths(dataDir);
      for (const f of [p.db, `${p.db}-wal`, `${p.db}-shm`, p.keystore, p.jwtSecret, p.lock])
        expect([f, modeOf(f)]).toEqual([f, 0o600]);
    } finally {
      await s.dispose();
    }
  });

  it('a fresh data dir inside a 0755 parent is 0700 and its database 0600', async () => {
    const parent = tempDataDir();
    chmodSync(parent, 0o755);
    const dataDir = join(parent, 'nested');
    mkdirSync(dataDir, { mode: 0o777 });
    chmodSync(dataDir, 0o777);
    const s = await startTestServer({ dataDir });
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(paths(dataDir).db)).toBe(0o600);
    } finally {
      await s.dispose();
    }
  });
});

describe('unparsable requests (issue 19 §12b)', () => {
  it.each([
    [
      'headers over the limit',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    [
      'a malformed request line',
      'GET /healthz HTTP/9.9 nonsense\r\n\r\n',
      400,
      'malformed_request',
    ],
    [
      'a bad header',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      400,
      'malformed_request',
    ],
  ])('%s: JSON error with the security headers', async (_name, raw, status, code) => {
    const s = await startTestServer();
    try {
      const r = parseResponse(await rawExchange(s.url, raw));
      expect(r.status).toBe(status);
      for (const [k, v] of Object.entries(SECURITY_HEADERS))
        expect(r.headers[k.toLowerCase()]).toBe(v);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(r.headers['connection']).toBe('close');
      const body = JSON.parse(r.body) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
      // The service still answers.
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.dispose();
    }
  });
});

describe('plain HTTP beyond loopback (issue 19 §12e)', () => {
  const config = (env: Record<string, string>) =>
    // Off loopback a witness dir (or `none`) is required (issue 19 §1): declared here.
    loadConfig({
      ...TEST_ENV,
      VERDICT_DATA_DIR: '/nonexistent',
      VERDICT_WITNESS_DIR: 'none',
      ...env,
    });

  it.each([
    [{ VERDICT_HOST: '0.0.0.0' }, true],
    [{ VERDICT_HOST: '::' }, true],
    [{ VERDICT_HOST: '192.0.2.10' }, true],
    [{ VERDICT_HOST: '0.0.0.0', VERDICT_PUBLIC_URL: 'http://oracle.example' }, true],
    [{ VERDICT_HOST: '0.0.0.0', VERDICT_PUBLIC_URL: 'https://oracle.example' }, false],
    [{ VERDICT_HOST: '0.0.0.0', VERDICT_TRUST_PROXY: 'loopback' }, false],
    [{ VERDICT_HOST: '127.0.0.1' }, false],
    [{ VERDICT_HOST: '::1' }, false],
    [{ VERDICT_HOST: 'localhost' }, false],
  ])('%j warns: %s', (env, warns) => {
    const w = plainHttpExposureWarning(config(env));
    if (warns) expect(w).toMatch(/plain HTTP with no TLS proxy configured/);
    else expect(w).toBeUndefined();
  });
});
