/**
 * A child process for the lock race test (`data-dir-lock.test.ts`). It reads commands on stdin,
 * one a line, and answers one line each on stdout:
 *   `take <dir>`    acquireDataDirLock(dir): `got <dir>`, or `busy <dir> <message>`
 *   `release <dir>` releases a lock it holds: `released <dir>`
 *   `hold <dir>...` takes each lock (`held <n>`) and keeps them until killed
 * It prints `ready <pid>` first.
 */
import { createInterface } from 'node:readline';
import { acquireDataDirLock, DataDirLockedError } from '../../oracle/data-dir.ts';

const held = new Map<string, () => void>();
const say = (line: string) => process.stdout.write(`${line}\n`);

function take(dir: string): string {
  try {
    held.set(dir, acquireDataDirLock(dir));
    return `got ${dir}`;
  } catch (e) {
    if (e instanceof DataDirLockedError) return `busy ${dir} ${e.message}`;
    return `error ${dir} ${e instanceof Error ? e.message : String(e)}`;
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, ...args] = line.split(' ');
  if (cmd === 'take') say(take(args[0] ?? ''));
  else if (cmd === 'release') {
    held.get(args[0] ?? '')?.();
    held.delete(args[0] ?? '');
    say(`released ${args[0] ?? ''}`);
  } else if (cmd === 'hold') {
    const results = args.map(take);
    say(`held ${results.filter((r) => r.startsWith('got ')).length}`);
  }
});
say(`ready ${process.pid}`);
