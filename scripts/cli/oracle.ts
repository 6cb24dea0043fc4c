/**
 * `verdict oracle <command>`: the operator's commands for the oracle's key and data dir.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { oracleKeysFromMnemonic } from 'verdict/crypto';
import { openKeystore, sealMnemonic } from 'verdict/crypto';
import { ConfigError, loadConfig, type Config } from '../../oracle/config.ts';
import {
  acquireDataDirLock,
  createKeystore,
  enforceDataDirModes,
  ensureDataDir,
  keystoreExists,
  loadOrCreateJwtSecret,
  openKeystoreFile,
  paths,
  resolvePassphrase,
  writeKeystoreFile,
} from '../../oracle/data-dir.ts';
import { openDatabase, openDatabaseReadonly } from '../../oracle/db/open.ts';
import {
  importAttestations,
  openSigningState,
  releaseEvent,
} from '../../oracle/domain/continuity.ts';
import type { SigningJournal } from '../../oracle/domain/signing-journal.ts';
import { Stores } from '../../oracle/db/stores.ts';
import { verifyAuditChain, verifyAuditLinks } from '../../oracle/domain/audit-log.ts';
import { auditChainView, auditLogView } from '../../oracle/http/schemas.ts';
import { TokenIssuer } from '../../oracle/http/tokens.ts';
import { defaultIo, parseFlags, UsageError, type CliIo } from './common.ts';

export const ORACLE_USAGE = `usage: verdict oracle <command> [options]

commands:
  init                      create the encrypted keystore and print the new mnemonic ONCE
  backup                    print the mnemonic of the existing keystore (keep it offline)
  restore [--force]         rebuild the keystore from a mnemonic read from stdin (never argv);
                            --force replaces an existing keystore
  rekey [--new-passphrase-file FILE]
                            re-seal the keystore under a new passphrase: read from FILE, else
                            VERDICT_NEW_KEYSTORE_PASSPHRASE, else the first line of stdin (never
                            argv); the current one comes from the environment as for the server.
                            The new keystore is verified, then replaces the old one atomically
  info [--json]             data dir, oracle public key, keystore and database state
  admin-token [--ttl-sec N] [--subject S]
                            print an operator token (Authorization: Bearer <token>); default 1 day
  quarantine [--json]       list the events held because this data dir was restored or copied
  import-attestations [FILE|-] [--from URL]
                            store this oracle's attestations found elsewhere (a file or stdin
                            holding attestation TLV hex, e.g. saved GET /v1/events/<id> answers,
                            or fetched from another copy of this oracle at URL) and release
                            their events
  release <event-id>... | --all [--yes]
                            decide that held events were never attested anywhere else; without
                            --yes, says what it risks and changes nothing
  verify-log <contract-id> [--url URL]
                            fetch a contract's audit log (default http://127.0.0.1:8080) and
                            verify its hash chain: every hash, from the content, with
                            VERDICT_TOKEN (a party or operator token); the links of the public
                            chain without it

The data dir and the keystore passphrase come from the environment as for the server
(VERDICT_DATA_DIR, VERDICT_KEYSTORE_PASSPHRASE or VERDICT_KEYSTORE_PASSPHRASE_FILE; without
either, <data dir>/keystore.pass).

exit status: 0 success, 1 failure, 2 usage error`;

const MNEMONIC_BANNER = [
  '',
  'Write these 24 words down, in order, and keep them offline. They are the oracle key:',
  'anyone with them can sign as this oracle; without them a lost data dir cannot be restored.',
  '',
];

function mnemonicLines(mnemonic: string): string[] {
  const words = mnemonic.split(' ');
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += 6) {
    lines.push(
      words
        .slice(i, i + 6)
        .map((w, j) => `${String(i + j + 1).padStart(2)}. ${w.padEnd(9)}`)
        .join(' ')
        .trimEnd(),
    );
  }
  return lines;
}

function withLock<T>(config: Config, f: () => T): T {
  ensureDataDir(config.dataDir);
  const release = acquireDataDirLock(config.dataDir);
  try {
    enforceDataDirModes(config.dataDir);
    return f();
  } finally {
    release();
  }
}

function init(config: Config, io: CliIo): number {
  return withLock(config, () => {
    if (keystoreExists(config.dataDir)) {
      io.err(
        `verdict: a keystore already exists at ${paths(config.dataDir).keystore}; use "verdict oracle backup"`,
      );
      return 1;
    }
    const passphrase = resolvePassphrase(config);
    const mnemonic = createKeystore(config, passphrase.value);
    const pub = bytesToHex(oracleKeysFromMnemonic(mnemonic).publicKey);
    for (const l of MNEMONIC_BANNER) io.err(l);
    for (const l of mnemonicLines(mnemonic)) io.out(l);
    io.err('');
    io.err(`oracle public key: ${pub}`);
    io.err(`keystore: ${paths(config.dataDir).keystore}`);
    if (passphrase.fromDataDir) {
      io.err(
        `warning: the keystore passphrase is in ${paths(config.dataDir).passphrase}; it protects nothing against anyone who can read the data dir`,
      );
    }
    return 0;
  });
}

function backup(config: Config, io: CliIo): number {
  if (!keystoreExists(config.dataDir)) {
    io.err(
      `verdict: no keystore in ${config.dataDir}; run "verdict oracle init" or start the server`,
    );
    return 1;
  }
  const mnemonic = openKeystoreFile(config.dataDir, resolvePassphrase(config).value);
  for (const l of MNEMONIC_BANNER) io.err(l);
  for (const l of mnemonicLines(mnemonic)) io.out(l);
  return 0;
}

async function restore(config: Config, io: CliIo, force: boolean): Promise<number> {
  const raw = await io.readStdin();
  // Accept the numbered layout `init`/`backup` print as well as plain words.
  const mnemonic = raw
    .replace(/\b\d+\.\s*/g, ' ')
    .trim()
    .split(/\s+/)
    .join(' ');
  let pub: string;
  try {
    pub = bytesToHex(oracleKeysFromMnemonic(mnemonic).publicKey);
  } catch (e) {
    io.err(`verdict: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  return withLock(config, () => {
    if (keystoreExists(config.dataDir) && !force) {
      io.err(
        `verdict: a keystore already exists at ${paths(config.dataDir).keystore}; pass --force to replace it`,
      );
      return 1;
    }
    const dbPath = paths(config.dataDir).db;
    if (existsSync(dbPath)) {
      const db = openDatabaseReadonly(dbPath);
      try {
        const known = new Stores(db).getMeta('oracle_public_key');
        if (known !== undefined && known !== pub) {
          io.err(
            `verdict: this mnemonic is key ${pub}, but the database in ${config.dataDir} belongs to key ${known}; refusing`,
          );
          return 1;
        }
      } finally {
        db.close();
      }
    }
    const passphrase = resolvePassphrase(config);
    writeKeystoreFile(
      config.dataDir,
      sealMnemonic(mnemonic, passphrase.value, { scryptN: config.scryptN }),
      {
        replace: force,
      },
    );
    io.err(`restored the keystore of oracle key ${pub} into ${paths(config.dataDir).keystore}`);
    return 0;
  });
}

/**
 * Issue 19 §12c: re-seals the keystore under a new passphrase. Under the data dir's lock (the
 * service must be stopped), the old keystore is opened with the current passphrase, its key
 * checked against the database's, the mnemonic sealed under the new passphrase, and the new file
 * opened again with it and compared; only then does it replace the old one by temp file + fsync +
 * rename (`writeFileAtomic`): at every instant the data dir holds one complete keystore, the old
 * one until the new one is durable. No copy under the old passphrase is kept: a rekey is often
 * done because that passphrase leaked.
 */
async function rekey(
  config: Config,
  io: CliIo,
  env: NodeJS.ProcessEnv,
  newPassphraseFile: string | undefined,
): Promise<number> {
  if (!keystoreExists(config.dataDir)) {
    io.err(`verdict: no keystore in ${config.dataDir}; nothing to re-seal`);
    return 1;
  }
  let next: string;
  if (newPassphraseFile !== undefined)
    next = readFileSync(newPassphraseFile, 'utf8').replace(/\r?\n$/, '');
  else if (env['VERDICT_NEW_KEYSTORE_PASSPHRASE'] !== undefined)
    next = env['VERDICT_NEW_KEYSTORE_PASSPHRASE'];
  else next = (await io.readStdin()).split(/\r?\n/)[0] ?? '';
  if (next.length < 8) {
    io.err('verdict: the new passphrase must be at least 8 characters');
    return 1;
  }
  return withLock(config, () => {
    const current = resolvePassphrase(config);
    if (next === current.value) {
      io.err('verdict: the new passphrase is the current one; nothing to do');
      return 1;
    }
    const mnemonic = openKeystoreFile(config.dataDir, current.value);
    const pub = bytesToHex(oracleKeysFromMnemonic(mnemonic).publicKey);
    const dbPath = paths(config.dataDir).db;
    if (existsSync(dbPath)) {
      const db = openDatabaseReadonly(dbPath);
      try {
        const known = new Stores(db).getMeta('oracle_public_key');
        if (known !== undefined && known !== pub) {
          io.err(
            `verdict: the keystore holds key ${pub}, but the database belongs to key ${known}; refusing`,
          );
          return 1;
        }
      } finally {
        db.close();
      }
    }
    const sealed = sealMnemonic(mnemonic, next, { scryptN: config.scryptN });
    // Verified before it replaces anything: a keystore that does not open is never written.
    if (openKeystore(JSON.parse(JSON.stringify(sealed)) as unknown, next) !== mnemonic)
      throw new Error('the re-sealed keystore does not open to the same mnemonic; nothing changed');
    writeKeystoreFile(config.dataDir, sealed, { replace: true });
    io.err(`re-sealed the keystore of oracle key ${pub} under the new passphrase`);
    io.err(
      current.fromDataDir
        ? `the old passphrase file ${paths(config.dataDir).passphrase} no longer opens it: delete it and start the service with VERDICT_KEYSTORE_PASSPHRASE or VERDICT_KEYSTORE_PASSPHRASE_FILE`
        : 'start the service with the new passphrase (VERDICT_KEYSTORE_PASSPHRASE or VERDICT_KEYSTORE_PASSPHRASE_FILE)',
    );
    return 0;
  });
}

function info(config: Config, io: CliIo, json: boolean): number {
  const p = paths(config.dataDir);
  const out: Record<string, unknown> = {
    dataDir: config.dataDir,
    keystore: keystoreExists(config.dataDir) ? p.keystore : null,
    database: existsSync(p.db) ? p.db : null,
    passphraseSource:
      config.keystorePassphrase !== undefined
        ? 'VERDICT_KEYSTORE_PASSPHRASE'
        : config.keystorePassphraseFile !== undefined
          ? 'VERDICT_KEYSTORE_PASSPHRASE_FILE'
          : existsSync(p.passphrase)
            ? p.passphrase
            : null,
    oraclePublicKey: null,
  };
  if (existsSync(p.db)) {
    const db = openDatabaseReadonly(p.db);
    try {
      const stores = new Stores(db);
      out['oraclePublicKey'] = stores.getMeta('oracle_public_key') ?? null;
      out['counts'] = stores.counts();
    } finally {
      db.close();
    }
  }
  if (out['oraclePublicKey'] === null && keystoreExists(config.dataDir)) {
    const mnemonic = openKeystoreFile(config.dataDir, resolvePassphrase(config).value);
    out['oraclePublicKey'] = bytesToHex(oracleKeysFromMnemonic(mnemonic).publicKey);
  }
  if (json) io.out(JSON.stringify(out, null, 2));
  else
    for (const [k, v] of Object.entries(out))
      io.out(
        `${k.padEnd(18)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`,
      );
  return 0;
}

/**
 * Issue 19: opens the data dir as the server would (lock, database, reconciliation of the
 * signing journal) for the quarantine commands. The server must be stopped.
 */
function withSigningState<T>(
  config: Config,
  f: (s: { stores: Stores; journal: SigningJournal; oracle: string }) => T,
): T {
  return withLock(config, () => {
    const p = paths(config.dataDir);
    if (!existsSync(p.db)) throw new Error(`no database in ${config.dataDir}`);
    const db = openDatabase(p.db);
    let journal: SigningJournal | undefined;
    try {
      const stores = new Stores(db);
      const oracle = stores.getMeta('oracle_public_key');
      if (oracle === undefined) throw new Error('the database has no oracle key yet');
      journal = openSigningState({
        journalPath: p.journal,
        witnessDir: config.witnessDir === 'none' ? undefined : config.witnessDir,
        stores,
        oracle,
        nowSec: Math.floor(Date.now() / 1000),
      }).journal;
      return f({ stores, journal, oracle });
    } finally {
      journal?.close();
      db.close();
    }
  });
}

function quarantine(config: Config, io: CliIo, json: boolean): number {
  return withSigningState(config, ({ stores }) => {
    const held = stores.heldEvents();
    if (json) {
      io.out(JSON.stringify({ held }, null, 2));
      return 0;
    }
    if (held.length === 0) {
      io.out('no event is held: this data dir is not in quarantine');
      return 0;
    }
    io.out(`${held.length} event(s) held (no decision, no scheduler default) because:`);
    io.out(`  ${held[0]?.reason ?? ''}`);
    for (const h of held)
      io.out(`  ${h.event_id}  (milestone ${h.idx + 1} of ${h.contract_id}, ${h.state})`);
    io.out('');
    io.out(
      'For each: if the oracle this data dir came from (or a copy of it) may have attested it,',
    );
    io.out(
      'get that attestation (the parties, a mirror, GET /v1/events/<id> on the other copy) and',
    );
    io.out('run "verdict oracle import-attestations FILE" or "--from URL". Only an event you KNOW');
    io.out('was never attested elsewhere may be released ("verdict oracle release <id> --yes").');
    return 0;
  });
}

const ATTESTATION_HEX = /\bfdd868[0-9a-f]+\b/gi;

async function importAttestationsCommand(
  config: Config,
  io: CliIo,
  source: string | undefined,
  fromUrl: string | undefined,
): Promise<number> {
  const hexes: string[] = [];
  if (source !== undefined) {
    const text = source === '-' ? await io.readStdin() : readFileSync(source, 'utf8');
    hexes.push(...(text.match(ATTESTATION_HEX) ?? []));
  }
  if (fromUrl !== undefined) {
    const held = withSigningState(config, ({ stores }) => stores.heldEvents());
    for (const h of held) {
      const res = await fetch(
        `${fromUrl.replace(/\/$/, '')}/v1/events/${encodeURIComponent(h.event_id)}`,
      );
      if (!res.ok) continue;
      const body = (await res.json()) as { attestationHex?: unknown };
      if (typeof body.attestationHex === 'string') hexes.push(body.attestationHex);
    }
  }
  if (hexes.length === 0) {
    io.err('verdict: no attestation found to import (expected oracle_attestation TLV hex)');
    return 1;
  }
  const result = withSigningState(config, ({ stores, journal, oracle }) =>
    importAttestations(stores, journal, oracle, hexes, Math.floor(Date.now() / 1000)),
  );
  for (const id of result.imported) io.out(`imported ${id}`);
  for (const id of result.already) io.out(`already known ${id}`);
  return 0;
}

function releaseCommand(
  config: Config,
  io: CliIo,
  eventIds: readonly string[],
  all: boolean,
  yes: boolean,
): number {
  return withSigningState(config, ({ stores, journal }) => {
    const held = stores.heldEvents().map((h) => h.event_id);
    const targets = all ? held : [...eventIds];
    const unknown = targets.filter((id) => !held.includes(id));
    if (unknown.length > 0) {
      io.err(`verdict: not held: ${unknown.join(', ')}`);
      return 1;
    }
    if (targets.length === 0) {
      io.err('verdict: name the events to release (or --all)');
      return 2;
    }
    if (!yes) {
      io.err(`Releasing lets this oracle decide and attest ${targets.length} event(s) again.`);
      io.err('If the data dir this one was restored or copied from ever attested one of them,');
      io.err('and this oracle now attests another outcome, the two signatures share a nonce and');
      io.err('REVEAL THE ORACLE KEY to anyone who sees both. Import those attestations instead');
      io.err('("verdict oracle import-attestations"). Nothing was changed; add --yes to release.');
      return 1;
    }
    const now = Math.floor(Date.now() / 1000);
    for (const id of targets) {
      releaseEvent(stores, journal, id, now);
      io.out(`released ${id}`);
    }
    return 0;
  });
}

function adminToken(config: Config, io: CliIo, ttlSec: number, subject: string): number {
  ensureDataDir(config.dataDir);
  const tokens = new TokenIssuer(loadOrCreateJwtSecret(config.dataDir), config.tokenTtlSec);
  io.out(tokens.issueAdminToken(ttlSec, subject));
  return 0;
}

/**
 * Issue 19 §11: with a party or operator token (VERDICT_TOKEN) the whole log is fetched and every
 * hash recomputed; without one, the public hash chain is fetched and its links checked.
 */
async function verifyLog(
  contractId: string,
  url: string,
  token: string | undefined,
  io: CliIo,
): Promise<number> {
  if (!/^[0-9a-f]{16}$/.test(contractId)) throw new UsageError(`not a contract id: ${contractId}`);
  const path = `/v1/contracts/${contractId}/log${token === undefined ? '/chain' : ''}`;
  let body: unknown;
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    body = await res.json();
    if (!res.ok) {
      io.err(`verdict: ${res.status} ${JSON.stringify(body)}`);
      return 1;
    }
  } catch (e) {
    io.err(`verdict: cannot fetch the log: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  let verdict: ReturnType<typeof verifyAuditChain>;
  let served: string;
  if (token === undefined) {
    const parsed = auditChainView.safeParse(body);
    if (!parsed.success) {
      io.err(`verdict: the answer is not an audit chain: ${parsed.error.message}`);
      return 1;
    }
    verdict = verifyAuditLinks(parsed.data.entries);
    served = parsed.data.headHash;
  } else {
    const parsed = auditLogView.safeParse(body);
    if (!parsed.success) {
      io.err(`verdict: the answer is not an audit log: ${parsed.error.message}`);
      return 1;
    }
    verdict = verifyAuditChain(parsed.data.entries, contractId);
    served = parsed.data.headHash;
  }
  if (!verdict.ok) {
    io.err(
      `verdict: the audit log of ${contractId} does NOT verify at seq ${verdict.seq}: ${verdict.reason}`,
    );
    return 1;
  }
  if (verdict.headHash !== served) {
    io.err(`verdict: the served head hash ${served} is not the chain's ${verdict.headHash}`);
    return 1;
  }
  io.out(`ok: ${verdict.entries} entries, head ${verdict.headHash}`);
  if (token === undefined)
    io.err(
      'checked the public hash chain (links only); set VERDICT_TOKEN to a party or operator token to recompute every hash from the content',
    );
  return 0;
}

const ttlSchema = z.coerce
  .number()
  .int()
  .min(60)
  .max(10 * 365 * 86_400);

/** Entry point for `verdict oracle ...`; `argv` is what follows `oracle`. */
export async function run(
  argv: readonly string[],
  io: CliIo = defaultIo,
  env = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.err : io.out)(ORACLE_USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    const flags = parseFlags(rest, {
      help: { type: 'boolean', short: 'h' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      'ttl-sec': { type: 'string' },
      subject: { type: 'string' },
      url: { type: 'string' },
      from: { type: 'string' },
      all: { type: 'boolean' },
      yes: { type: 'boolean' },
      'new-passphrase-file': { type: 'string' },
    });
    if (flags.values.help === true) {
      io.out(ORACLE_USAGE);
      return 0;
    }
    const positionals = flags.positionals;
    const expectArgs = (n: number) => {
      if (positionals.length !== n) throw new UsageError(`${command} takes ${n} argument(s)`);
    };
    const config = loadConfig(env);
    switch (command) {
      case 'init':
        expectArgs(0);
        return init(config, io);
      case 'backup':
        expectArgs(0);
        return backup(config, io);
      case 'restore':
        expectArgs(0);
        return await restore(config, io, flags.values.force === true);
      case 'rekey':
        expectArgs(0);
        return await rekey(config, io, env, flags.values['new-passphrase-file']);
      case 'info':
        expectArgs(0);
        return info(config, io, flags.values.json === true);
      case 'admin-token': {
        expectArgs(0);
        const ttl = ttlSchema.safeParse(flags.values['ttl-sec'] ?? '86400');
        if (!ttl.success) throw new UsageError('--ttl-sec must be an integer from 60 to 10 years');
        return adminToken(config, io, ttl.data, flags.values.subject ?? 'operator');
      }
      case 'quarantine':
        expectArgs(0);
        return quarantine(config, io, flags.values.json === true);
      case 'import-attestations': {
        if (positionals.length > 1) throw new UsageError('import-attestations takes one FILE');
        const from = flags.values.from;
        if (positionals[0] === undefined && from === undefined)
          throw new UsageError('give a FILE (or - for stdin) or --from URL');
        if (from !== undefined && !z.url().safeParse(from).success)
          throw new UsageError('--from must be a URL');
        return await importAttestationsCommand(config, io, positionals[0], from);
      }
      case 'release':
        return releaseCommand(
          config,
          io,
          positionals,
          flags.values.all === true,
          flags.values.yes === true,
        );
      case 'verify-log': {
        expectArgs(1);
        const url = z.url().safeParse(flags.values.url ?? 'http://127.0.0.1:8080');
        if (!url.success) throw new UsageError('--url must be a URL');
        const token = env['VERDICT_TOKEN'];
        return await verifyLog(
          positionals[0] ?? '',
          url.data,
          token === undefined || token === '' ? undefined : token,
          io,
        );
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`verdict oracle: ${e.message}\n\n${ORACLE_USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err(e.message);
      return 2;
    }
    io.err(`verdict oracle: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
