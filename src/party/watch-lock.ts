/**
 * One watcher per data dir: `<dataDir>/watch.lock` holds the watcher's pid. A lock whose process
 * is gone (a watcher killed with SIGKILL) is stale and taken over, so a restart needs no cleanup.
 * Two watchers would not broadcast conflicting transactions anyway (the store never replaces a
 * chosen closing transaction), but they would race on every state change.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export const WATCH_LOCK_FILE = 'watch.lock';

/** Another live process watches this data dir. */
export class WatcherRunningError extends Error {
  readonly code = 'watcher_running';
  constructor(readonly pid: number) {
    super(`another watcher (pid ${pid}) is running on this data dir`);
    this.name = 'WatcherRunningError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the watch lock; returns its release function. @throws WatcherRunningError */
export function acquireWatchLock(dataDir: string): () => void {
  const path = join(dataDir, WATCH_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new WatcherRunningError(pid);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new WatcherRunningError(0);
}
