/**
 * An exclusive lock that the operating system releases with the process (issue 19 §10): used for
 * the oracle's data dir (`oracle/data-dir.ts`) and a party's watcher (`watch-lock.ts`).
 *
 * Why SQLite: Node has no `flock`/`fcntl` of its own, and the lock must not depend on a pid
 * written in a file. A pid file is taken over when "its process is gone", which races (two
 * processes both see the stale pid, both unlink, both create: two holders) and is fooled by pid
 * reuse (a container's PID 1 restarting after kill -9 finds "pid 1", alive: itself).
 * better-sqlite3 is already a dependency, and SQLite's unix VFS locks its file with POSIX
 * advisory locks (`fcntl(F_SETLK)`), which the kernel drops when the holding process exits, however
 * it exits. In `locking_mode = EXCLUSIVE` a connection keeps the EXCLUSIVE lock it took with
 * `BEGIN EXCLUSIVE` until it closes; a second connection (in another process, or in this one:
 * SQLite tracks its own POSIX locks per inode) gets `SQLITE_BUSY` at once (`timeout: 0`). The
 * kernel arbitrates, so exactly one of any number of racers wins, with no stale state to clean up.
 *
 * The lock file is never deleted: unlinking a lock file lets a process that opened the old inode
 * and a process that creates a new one both hold "the" lock. The holder's pid is written beside it
 * (`<lock>.pid`) for the error message only; nothing reads it to decide.
 */
import { closeSync, constants, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

/** The lock is held by another live connection (another process, or another holder in this one). */
export class ProcessLockHeldError extends Error {
  constructor(
    readonly lockPath: string,
    /** The holder's pid as it wrote it beside the lock, if readable (informational only). */
    readonly holderPid: number | undefined,
  ) {
    super(
      `${lockPath} is held by another process${holderPid === undefined ? '' : ` (pid ${holderPid})`}`,
    );
    this.name = 'ProcessLockHeldError';
  }
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readHolderPid(lockPath: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${lockPath}.pid`, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the exclusive lock on `lockPath` (created 0600 if missing) without waiting.
 * Returns the release function (idempotent); the lock also goes when the process dies.
 * @throws ProcessLockHeldError when another connection holds it
 */
export function acquireProcessLock(lockPath: string): () => void {
  // O_CREAT without O_EXCL or O_TRUNC: never replaces the file another holder has open.
  closeSync(openSync(lockPath, constants.O_RDWR | constants.O_CREAT, 0o600));
  let db: Database.Database | undefined;
  // Two racers can each catch the other's transient SHARED lock (taken while opening) and both
  // get SQLITE_BUSY; each then drops everything and tries again after a random pause, so one of
  // them wins. A live holder keeps its EXCLUSIVE lock through every attempt (~0.1 s in all).
  for (let attempt = 0; db === undefined; attempt++) {
    try {
      db = tryLock(lockPath);
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (attempt === LOCK_ATTEMPTS - 1)
        throw new ProcessLockHeldError(lockPath, readHolderPid(lockPath));
      sleepMs(1 + Math.floor(Math.random() * 4));
    }
  }
  try {
    const tmp = `${lockPath}.pid.${process.pid}.tmp`;
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
    renameSync(tmp, `${lockPath}.pid`);
  } catch {
    // Informational only: the lock itself is held.
  }
  const held = db;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.close();
  };
}

const LOCK_ATTEMPTS = 30;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One attempt: the connection holding the EXCLUSIVE lock, or a throw (closed). */
function tryLock(lockPath: string): Database.Database {
  const db = new Database(lockPath, { timeout: 0 });
  try {
    // MEMORY: no `-journal` file beside the lock; the lock file holds no data worth a journal.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    // BEGIN EXCLUSIVE takes the EXCLUSIVE file lock now; in EXCLUSIVE locking mode the COMMIT
    // keeps it until `db.close()` or the process's end.
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
