/**
 * Issue 8 §1: `npm start` with no configuration but a temp data dir and free ports. The process
 * prints the first-run message; every URL in it answers (the API's health, the docs, the arbiter
 * UI, the devnet's JSON-RPC with the cookie it names); the mnemonic is not printed; SIGTERM stops
 * the service and the devnet cleanly (exit 0, the data dir's lock released).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { acquireDataDirLock } from '../../oracle/data-dir.ts';
import { firstRunMessage } from '../../oracle/first-run.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The environment of a fresh `npm start`: nothing of the caller's VERDICT_* leaks in. */
function freshEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'NODE_OPTIONS', 'LANG']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  // Free ports instead of 8080 / 18443 so that parallel tests never collide; a small scrypt cost.
  return {
    ...env,
    VERDICT_DATA_DIR: dataDir,
    VERDICT_PORT: '0',
    VERDICT_DEVNET_PORT: '0',
    VERDICT_SCRYPT_N: '1024',
    ...extra,
  };
}

interface Started {
  readonly proc: ChildProcess;
  readonly message: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `oracle/main.ts` (what `npm start` runs) and resolves once the message is complete. */
function start(env: NodeJS.ProcessEnv): Promise<Started> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'oracle/main.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const m = /\nVerdict is running\.\n[\s\S]*?\n {2}Stop: {2,}Ctrl-C\n/.exec(out);
      if (m !== null) resolve({ proc, message: m[0], output: () => out, exited });
    });
    proc.stderr.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    void exited.then((code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
  });
}

function field(message: string, label: string): string {
  const m = new RegExp(`^ {2}${label} +(\\S+)`, 'm').exec(message);
  if (m?.[1] === undefined) throw new Error(`no "${label}" in:\n${message}`);
  return m[1];
}

describe('npm start (first run)', () => {
  it('prints where everything is; every URL answers; SIGTERM stops cleanly', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'verdict-first-run-')), 'data');
    dirs.push(dataDir);
    const s = await start(freshEnv(dataDir));
    const api = field(s.message, 'API');
    const base = api.replace(/\/v1$/, '');
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(field(s.message, 'API docs')).toBe(`${base}/docs`);
    expect(field(s.message, 'Arbiter UI')).toBe(`${base}/arbiter/`);
    expect(field(s.message, 'Oracle keystore')).toBe(join(dataDir, 'oracle.keystore.json'));
    expect(s.message).toContain('(created now)');
    expect(s.message).toMatch(/oracle backup$/m);
    expect(s.message).toMatch(
      /Create an admin token: +VERDICT_DATA_DIR=\S+ npm run verdict -- oracle admin-token/,
    );

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    const ui = await fetch(`${base}/arbiter/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/<html/i);

    const devnetUrl = field(s.message, 'Devnet RPC');
    const cookieFile = field(s.message, 'Devnet cookie');
    expect(cookieFile).toBe(join(dataDir, 'devnet', '.cookie'));
    const rpc = new BitcoinRpcClient({ url: devnetUrl, cookieFile });
    expect(await rpc.getBlockCount()).toBeGreaterThanOrEqual(0);
    expect((await rpc.getBlockchainInfo()).chain).toBe('regtest');

    // The mnemonic is never printed by the server (only `verdict oracle backup` shows it).
    expect(s.output()).not.toMatch(/(\b[a-z]{3,8}\b ){23}\b[a-z]{3,8}\b/);

    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    // The lock went with the process (issue 19 §10): taking it now succeeds.
    acquireDataDirLock(dataDir)();
    expect(existsSync(join(dataDir, 'devnet', 'devnet-chain.json'))).toBe(true);

    // A second start opens the same key and chain: nothing is created, the message says so.
    const again = await start(freshEnv(dataDir));
    expect(field(again.message, 'Oracle key')).toBe(field(s.message, 'Oracle key'));
    expect(again.message).not.toContain('(created now)');
    expect(again.message).toMatch(
      /Back up the oracle key's mnemonic \(offline\): +VERDICT_DATA_DIR=/,
    );
    const rpc2 = new BitcoinRpcClient({
      url: field(again.message, 'Devnet RPC'),
      cookieFile: field(again.message, 'Devnet cookie'),
    });
    expect((await rpc2.getBlockchainInfo()).chain).toBe('regtest');
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 90_000);

  it('VERDICT_DEVNET=off: the service runs without a chain', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'verdict-first-run-off-'));
    dirs.push(dataDir);
    const s = await start(freshEnv(dataDir, { VERDICT_DEVNET: 'off' }));
    expect(s.message).toMatch(/^ {2}Devnet +off \(VERDICT_DEVNET=off\)$/m);
    expect(s.message).not.toContain('Devnet RPC');
    expect(existsSync(join(dataDir, 'devnet'))).toBe(false);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 60_000);

  it('a devnet port in use: the service still serves and the message says why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'verdict-first-run-busy-'));
    dirs.push(dataDir);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const s = await start(freshEnv(dataDir, { VERDICT_DEVNET_PORT: String(port) }));
      expect(s.message).toContain(`Devnet           not started: port ${port} is in use`);
      expect((await fetch(`${field(s.message, 'Health')}`)).status).toBe(200);
      s.proc.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    } finally {
      busy.close();
    }
  }, 60_000);
});

describe('firstRunMessage', () => {
  const info = {
    url: 'http://127.0.0.1:8080',
    dataDir: '/srv/verdict/data',
    oraclePublicKey: 'ab'.repeat(32),
    keystoreCreated: false,
    passphraseInDataDir: false,
    devnet: { url: 'http://127.0.0.1:18443/', cookieFile: '/srv/verdict/data/devnet/.cookie' },
    cwd: '/srv/verdict',
  } as const;

  it('shows short paths and plain commands for the default ./data', () => {
    const m = firstRunMessage(info);
    expect(m).toContain('  Data dir         data\n');
    expect(m).toContain('  Devnet cookie    data/devnet/.cookie\n');
    expect(m).toContain('npm run verdict -- oracle admin-token\n');
    expect(m).toContain('arbiter invite <id> --name "<display name>"\n');
    expect(m).not.toContain('Passphrase');
    expect(m).not.toContain('VERDICT_DATA_DIR=');
  });

  it('names the data dir and the URL for the CLI when they are not the defaults', () => {
    const m = firstRunMessage({
      ...info,
      url: 'http://127.0.0.1:9000',
      cwd: '/home/op',
      passphraseInDataDir: true,
    });
    expect(m).toContain('VERDICT_DATA_DIR=/srv/verdict/data npm run verdict -- oracle backup');
    expect(m).toContain('--url http://127.0.0.1:9000');
    expect(m).toContain('keystore.pass  (development only');
  });

  it('says why the devnet is not running', () => {
    const m = firstRunMessage({ ...info, devnet: { unavailable: 'port 18443 is in use' } });
    expect(m).toContain('  Devnet           not started: port 18443 is in use\n');
    expect(m).not.toContain('VERDICT_BITCOIN_RPC=');
  });
});
