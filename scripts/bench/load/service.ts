/**
 * Child process entry: the Verdict service (`startServer`, as `oracle/main.ts` starts it, but with
 * the cron tick off so that no scheduler transaction lands inside a measurement), configured from
 * the environment the bench passes. Commands: `countSqlite` (install the transaction counter),
 * `sqliteCounts` (take and reset the counts), `memory`, `cpu` (process.cpuUsage), `stop`.
 */
import { loadConfig } from '../../../oracle/config.ts';
import { startServer } from '../../../oracle/server.ts';
import { memoryMiB, serveParent } from './child.ts';
import { installSqliteCounter, takeSqliteCounts } from './sqlite-counter.ts';

const running = await startServer(loadConfig(), { cron: false });
serveParent(
  { url: running.url, pid: process.pid },
  {
    countSqlite: () => {
      installSqliteCounter();
      takeSqliteCounts();
    },
    sqliteCounts: () => takeSqliteCounts(),
    memory: () => memoryMiB(),
    cpu: () => process.cpuUsage(),
    stop: async () => {
      await running.close();
      setImmediate(() => process.exit(0));
    },
  },
);
