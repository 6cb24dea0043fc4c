/**
 * Counts SQLite transactions in this process by wrapping better-sqlite3's Statement methods
 * (a bench instrument, never loaded by the service itself). better-sqlite3 runs its own `BEGIN`,
 * `COMMIT` and `SAVEPOINT` through prepared statements, so one wrapper sees everything:
 *  - `BEGIN…` run: an explicit transaction (`db.transaction(fn)()` at the outermost level);
 *  - `SAVEPOINT…` run: a nested `db.transaction` (part of the enclosing transaction, not a new one);
 *  - any other statement run outside a transaction: SQLite wraps it in an implicit transaction of
 *    its own (autocommit), counted as a read or a write by the statement's `reader` flag.
 */
import Database from 'better-sqlite3';

export interface SqliteCounts {
  explicitTransactions: number;
  savepoints: number;
  autocommitWrites: number;
  autocommitReads: number;
}

const counts: SqliteCounts = {
  explicitTransactions: 0,
  savepoints: 0,
  autocommitWrites: 0,
  autocommitReads: 0,
};

interface StatementLike {
  readonly source: string;
  readonly reader: boolean;
  readonly database: { readonly inTransaction: boolean };
}

let installed = false;

/** Installs the wrapper once per process; statements prepared before it are counted too. */
export function installSqliteCounter(): void {
  if (installed) return;
  installed = true;
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    proto[method] = function (this: StatementLike, ...args: unknown[]): unknown {
      const head = this.source.trimStart().slice(0, 9).toUpperCase();
      if (head.startsWith('BEGIN')) counts.explicitTransactions++;
      else if (head.startsWith('SAVEPOINT')) counts.savepoints++;
      else if (
        !head.startsWith('COMMIT') &&
        !head.startsWith('RELEASE') &&
        !head.startsWith('ROLLBACK')
      ) {
        if (!this.database.inTransaction) {
          if (this.reader) counts.autocommitReads++;
          else counts.autocommitWrites++;
        }
      }
      return original.apply(this, args);
    };
  }
}

/** The counts since the last call (or since start), then resets them. */
export function takeSqliteCounts(): SqliteCounts {
  const snapshot = { ...counts };
  counts.explicitTransactions = 0;
  counts.savepoints = 0;
  counts.autocommitWrites = 0;
  counts.autocommitReads = 0;
  return snapshot;
}
