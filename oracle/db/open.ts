import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

/** `NNN_name.sql`, applied in order, each once, each in its own transaction. */
function listMigrations(): Migration[] {
  return readdirSync(migrationsDir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f,
      sql: readFileSync(migrationsDir + f, 'utf8'),
    }));
}

/**
 * Opens (creating if needed) the service's SQLite file: WAL, foreign keys on, a busy timeout so
 * that a CLI reading beside the server waits instead of failing, then the pending migrations.
 */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Applies every migration not applied yet, in file order, each in its own transaction with the
 * row that records it. Applied migrations are tracked by name (`schema_migrations`), not only by
 * the highest number, because modules number theirs in their own ranges (001 core, 050
 * arbitration, 060 CI): a later 002 must still run on a data dir that already has 060.
 * `user_version` keeps the highest applied number for tools that look at it.
 */
export function migrate(db: Db, migrations: readonly Migration[] = listMigrations()): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
  );
  const applied = new Set(
    db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[],
  );
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  // A data dir from before this table: everything up to its user_version was applied.
  const legacyVersion = db.pragma('user_version', { simple: true }) as number;
  if (applied.size === 0 && legacyVersion > 0) {
    db.transaction(() => {
      for (const m of migrations.filter((x) => x.version <= legacyVersion)) {
        record.run(m.name, 0);
        applied.add(m.name);
      }
    })();
  }
  for (const m of migrations) {
    if (applied.has(m.name)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.name, Math.floor(Date.now() / 1000));
      const current = db.pragma('user_version', { simple: true }) as number;
      if (m.version > current) db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** Opens an existing database read-only (the CLI's `info`, beside a running server). */
export function openDatabaseReadonly(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}
