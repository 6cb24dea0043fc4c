import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Migration } from '../../oracle/db/open.ts';

const dirs: string[] = [];
function tempDb(): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-migrations-'));
  dirs.push(dir);
  return new Database(join(dir, 'test.db'));
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const m = (version: number, table: string): Migration => ({
  version,
  name: `${String(version).padStart(3, '0')}_${table}.sql`,
  sql: `CREATE TABLE ${table} (x INTEGER) STRICT;`,
});
const tables = (db: Database.Database) =>
  db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't_%' ORDER BY name",
    )
    .pluck()
    .all();

describe('migrations', () => {
  it('apply each once; a lower-numbered one added later still runs', () => {
    const db = tempDb();
    migrate(db, [m(1, 't_core'), m(60, 't_ci')]);
    migrate(db, [m(1, 't_core'), m(60, 't_ci')]);
    expect(tables(db)).toEqual(['t_ci', 't_core']);
    // A module adds 002 after a data dir already ran 060: it must not be skipped.
    migrate(db, [m(1, 't_core'), m(2, 't_new'), m(60, 't_ci')]);
    expect(tables(db)).toEqual(['t_ci', 't_core', 't_new']);
    expect(db.pragma('user_version', { simple: true })).toBe(60);
  });

  it('a data dir from before the tracking table keeps what its user_version says', () => {
    const db = tempDb();
    db.exec('CREATE TABLE t_core (x INTEGER) STRICT; PRAGMA user_version = 1;');
    migrate(db, [m(1, 't_core'), m(60, 't_ci')]);
    expect(tables(db)).toEqual(['t_ci', 't_core']);
  });

  it('a failing migration leaves nothing half-applied and is retried next time', () => {
    const db = tempDb();
    const bad: Migration = {
      version: 2,
      name: '002_bad.sql',
      sql: 'CREATE TABLE t_half (x INTEGER); SELECT nope();',
    };
    expect(() => migrate(db, [m(1, 't_core'), bad])).toThrow();
    expect(tables(db)).toEqual(['t_core']);
    migrate(db, [m(1, 't_core'), m(2, 't_fixed')]);
    expect(tables(db)).toEqual(['t_core', 't_fixed']);
  });

  it("the service's own migrations apply to a fresh file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-migrations-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'verdict.db'));
    const names = db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all();
    expect(names).toEqual(
      expect.arrayContaining(['001_initial.sql', '050_arbitration.sql', '060_ci.sql']),
    );
    db.close();
  });
});
