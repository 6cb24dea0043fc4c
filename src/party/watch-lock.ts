/**
 * One watcher per data dir: an OS-released lock on `<dataDir>/watch.lock.db`
 * (`process-lock.ts`, issue 19 §10). A watcher killed with SIGKILL leaves nothing to take over,
 * so a restart needs no cleanup, and no pid is trusted (a pid file raced and was fooled by pid
 * reuse). Two watchers would not broadcast conflicting transactions anyway (the store never
 * replaces a chosen closing transaction), but they would race on every state change.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { acquireProcessLock, ProcessLockHeldError } from './process-lock.ts';

export const WATCH_LOCK_FILE = 'watch.lock.db';
/** The pid-file lock of the versions before issue 19 §10, removed once the new lock is held. */
const LEGACY_WATCH_LOCK_FILE = 'watch.lock';

/** Another live process watches this data dir. */
export class WatcherRunningError extends Error {
  readonly code = 'watcher_running';
  constructor(readonly pid: number | undefined) {
    super(`another watcher${pid === undefined ? '' : ` (pid ${pid})`} is running on this data dir`);
    this.name = 'WatcherRunningError';
  }
}

/** Takes the watch lock; returns its release function. @throws WatcherRunningError */
export function acquireWatchLock(dataDir: string): () => void {
  let release: () => void;
  try {
    release = acquireProcessLock(join(dataDir, WATCH_LOCK_FILE));
  } catch (e) {
    if (e instanceof ProcessLockHeldError) throw new WatcherRunningError(e.holderPid);
    throw e;
  }
  rmSync(join(dataDir, LEGACY_WATCH_LOCK_FILE), { force: true });
  return release;
}
