/**
 * Everything the service keeps beside its database in the data dir: the exclusive lock, the
 * encrypted keystore, the generated JWT secret and (zero-config dev only) a generated keystore
 * passphrase. Secret files are written 0600 by temp file + fsync + rename.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { generateOracleMnemonic } from 'verdict/crypto';
import { openKeystore, sealMnemonic, type KeystoreFile } from 'verdict/crypto';
import { acquireProcessLock, ProcessLockHeldError } from '../src/party/process-lock.ts';
import type { Config } from './config.ts';

/** The pid-file lock of the versions before issue 19 §10. */
const LEGACY_LOCK_FILE = 'verdict.lock';

export const paths = (dataDir: string) => ({
  db: join(dataDir, 'verdict.db'),
  lock: join(dataDir, 'verdict.lock.db'),
  keystore: join(dataDir, 'oracle.keystore.json'),
  passphrase: join(dataDir, 'keystore.pass'),
  jwtSecret: join(dataDir, 'jwt.secret'),
  journal: join(dataDir, 'signing.journal'),
});

export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** The data dir or a file in it has a mode that lets others read it, and chmod failed. */
export class DataDirModeError extends Error {
  constructor(path: string, mode: number, wanted: number, cause: string) {
    super(
      `${path} has mode 0${(mode & 0o777).toString(8)} and cannot be made 0${wanted.toString(8)} (${cause}): it holds password hashes, sealed votes, evidence and secrets; fix its owner or mode (chmod 0${wanted.toString(8)}) and start again`,
    );
    this.name = 'DataDirModeError';
  }
}

function enforceMode(path: string, wanted: number): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if ((st.mode & 0o777) === wanted) return;
  try {
    chmodSync(path, wanted);
  } catch (e) {
    throw new DataDirModeError(
      path,
      st.mode,
      wanted,
      (e as NodeJS.ErrnoException).code ?? String(e),
    );
  }
  const now = statSync(path).mode & 0o777;
  if (now !== wanted)
    throw new DataDirModeError(path, now, wanted, 'the file system ignores chmod');
}

/**
 * Issue 19 §12a: a data dir that already existed (a volume mounted 0755, a copy made with the
 * umask's 0644) keeps its mode, and `verdict.db` holds password hashes, sealed votes and evidence.
 * The service makes the dir 0700 and the database with its WAL and shared-memory files, the
 * keystore and the secrets 0600 at every start, or refuses to start ({@link DataDirModeError}).
 */
export function enforceDataDirModes(dataDir: string): void {
  enforceMode(dataDir, 0o700);
  const p = paths(dataDir);
  for (const f of [
    p.db,
    `${p.db}-wal`,
    `${p.db}-shm`,
    `${p.db}-journal`,
    p.keystore,
    p.jwtSecret,
    p.passphrase,
    p.lock,
  ])
    enforceMode(f, 0o600);
}

/** Writes `data` to `path` with mode 0600: temp file, fsync, rename, fsync of the directory. */
export function writeFileAtomic(
  path: string,
  data: string,
  opts: { exclusive?: boolean } = {},
): void {
  if (opts.exclusive === true && existsSync(path)) throw new Error(`${path} already exists`);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    /** The holder's pid as it recorded it (informational; undefined when unreadable). */
    readonly pid: number | undefined,
  ) {
    super(
      `the data dir ${dataDir} is in use by another Verdict process${pid === undefined ? '' : ` (pid ${pid})`}; stop it first`,
    );
    this.name = 'DataDirLockedError';
  }
}

/**
 * Takes the data dir's exclusive lock (issue 19 §10): an OS-released lock on `<dataDir>/verdict.lock.db`
 * (see `src/party/process-lock.ts` for why SQLite's POSIX lock and not a pid file). A holder killed
 * with SIGKILL, or a container whose PID 1 restarts, leaves nothing to take over; a live holder
 * makes this throw {@link DataDirLockedError}. Only the service and the CLI commands that write the
 * data dir take it; read-only commands open the database beside a running service. Returns the
 * release function.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  let release: () => void;
  try {
    release = acquireProcessLock(paths(dataDir).lock);
  } catch (e) {
    if (e instanceof ProcessLockHeldError) throw new DataDirLockedError(dataDir, e.holderPid);
    throw e;
  }
  // The pid file of versions before issue 19: its holder (if any) never takes the new lock, and
  // nothing decides by it any more. Removed under the new lock, so no racer can be confused by it.
  rmSync(join(dataDir, LEGACY_LOCK_FILE), { force: true });
  return release;
}

export interface Passphrase {
  readonly value: string;
  /** True when it came from `<dataDir>/keystore.pass` (protects nothing against the data dir's reader). */
  readonly fromDataDir: boolean;
}

/**
 * The keystore passphrase: `VERDICT_KEYSTORE_PASSPHRASE`, or the file named by
 * `VERDICT_KEYSTORE_PASSPHRASE_FILE`, or (zero-config dev) `<dataDir>/keystore.pass`, generated if
 * missing.
 */
export function resolvePassphrase(config: Config): Passphrase {
  if (config.keystorePassphrase !== undefined)
    return { value: config.keystorePassphrase, fromDataDir: false };
  if (config.keystorePassphraseFile !== undefined) {
    const v = readFileSync(config.keystorePassphraseFile, 'utf8').replace(/\r?\n$/, '');
    if (v === '') throw new Error(`${config.keystorePassphraseFile} is empty`);
    return { value: v, fromDataDir: false };
  }
  const p = paths(config.dataDir).passphrase;
  if (!existsSync(p))
    writeFileAtomic(p, randomBytes(32).toString('base64url') + '\n', { exclusive: true });
  return { value: readFileSync(p, 'utf8').trim(), fromDataDir: true };
}

export function loadOrCreateJwtSecret(dataDir: string): string {
  const p = paths(dataDir).jwtSecret;
  if (!existsSync(p))
    writeFileAtomic(p, randomBytes(48).toString('base64url') + '\n', { exclusive: true });
  const secret = readFileSync(p, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${p} is too short to be a JWT secret`);
  return secret;
}

export function keystoreExists(dataDir: string): boolean {
  return existsSync(paths(dataDir).keystore);
}

export function readKeystoreFile(dataDir: string): unknown {
  return JSON.parse(readFileSync(paths(dataDir).keystore, 'utf8')) as unknown;
}

export function writeKeystoreFile(
  dataDir: string,
  ks: KeystoreFile,
  opts: { replace: boolean },
): void {
  writeFileAtomic(paths(dataDir).keystore, JSON.stringify(ks, null, 2) + '\n', {
    exclusive: !opts.replace,
  });
}

/** Creates the keystore with a fresh mnemonic. The caller shows the mnemonic once (or not at all). */
export function createKeystore(config: Config, passphrase: string): string {
  const mnemonic = generateOracleMnemonic();
  writeKeystoreFile(
    config.dataDir,
    sealMnemonic(mnemonic, passphrase, { scryptN: config.scryptN }),
    { replace: false },
  );
  return mnemonic;
}

export function openKeystoreFile(dataDir: string, passphrase: string): string {
  return openKeystore(readKeystoreFile(dataDir), passphrase);
}

/**
 * Opens the keystore, creating it on first start. Returns the mnemonic (for the attestation engine
 * only) and whether it was just created, in which case the server prints the backup instructions.
 */
export function openOrCreateKeystore(
  config: Config,
  passphrase: Passphrase,
  logger: Logger,
): { mnemonic: string; created: boolean } {
  if (passphrase.fromDataDir) {
    logger.warn(
      { file: paths(config.dataDir).passphrase },
      'the keystore passphrase is stored in the data dir: it protects nothing against anyone who can read the data dir. Set VERDICT_KEYSTORE_PASSPHRASE or VERDICT_KEYSTORE_PASSPHRASE_FILE in production.',
    );
  }
  if (keystoreExists(config.dataDir)) {
    return { mnemonic: openKeystoreFile(config.dataDir, passphrase.value), created: false };
  }
  return { mnemonic: createKeystore(config, passphrase.value), created: true };
}
