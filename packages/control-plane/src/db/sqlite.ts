import BetterSqlite3 from 'better-sqlite3';
import type { Database, Row, Sql, SqlValue } from './types.js';

/**
 * SQLite through better-sqlite3 (synchronous, one connection). Transactions hold an async lock so
 * that statements of other requests never run inside another request's open transaction.
 */
export function openSqlite(file: string): Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (statements.size > 500) statements.clear();
      statements.set(sql, s);
    }
    return s;
  };
  const direct: Sql = {
    async all<T = Row>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async get<T = Row>(sql: string, params: readonly SqlValue[] = []) {
      const s = prepare(sql);
      return (s.reader ? s.get(...params) : (s.run(...params), undefined)) as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      const s = prepare(sql);
      if (s.reader) { s.all(...params); return 0; }
      return s.run(...params).changes;
    },
  };
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = lock.then(fn);
    lock = next.catch(() => undefined);
    return next;
  };
  return {
    dialect: 'sqlite',
    maxParams: 32_000,
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    get: (sql, params) => exclusive(() => direct.get(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    // One connection behind a lock: every transaction already sees one state; a read-only one need not take the write lock.
    transaction: (fn, opts) =>
      exclusive(async () => {
        db.exec(opts?.snapshot ? 'BEGIN' : 'BEGIN IMMEDIATE');
        try {
          const result = await fn(direct);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      }),
    close: () => exclusive(async () => { db.close(); }),
  } as Database;
}
