/**
 * Everything the service keeps beside its database in the data dir: the exclusive lock, the
 * encrypted keystore, the generated JWT secret and (zero-config dev only) a generated keystore
 * passphrase. Secret files are written 0600 by temp file + fsync + rename.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { generateOracleMnemonic } from 'verdict/crypto';
import { openKeystore, sealMnemonic, type KeystoreFile } from 'verdict/crypto';
import type { Config } from './config.ts';

export const paths = (dataDir: string) => ({
  db: join(dataDir, 'verdict.db'),
  lock: join(dataDir, 'verdict.lock'),
  keystore: join(dataDir, 'oracle.keystore.json'),
  passphrase: join(dataDir, 'keystore.pass'),
  jwtSecret: join(dataDir, 'jwt.secret'),
  journal: join(dataDir, 'signing.journal'),
});

export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
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
    readonly pid: number,
  ) {
    super(
      `the data dir ${dataDir} is in use by another Verdict process (pid ${pid}); stop it first`,
    );
    this.name = 'DataDirLockedError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data dir's exclusive lock: a lock file created with O_EXCL holding our pid. A lock
 * left by a dead process (kill -9, power loss) is taken over; a live holder makes this throw
 * {@link DataDirLockedError}. Returns the release function.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = paths(dataDir).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(
        lockPath,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        0o600,
      );
      writeSync(fd, `${process.pid}\n`);
      fsyncSync(fd);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new DataDirLockedError(dataDir, pid);
      }
      unlinkSync(lockPath); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${lockPath}`);
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
