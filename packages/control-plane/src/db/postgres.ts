import pg from 'pg';
import type { Database, Row, Sql, SqlValue } from './types.js';

// BIGINT counts and versions fit in a double here; read them as numbers, not strings.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** `?` placeholders become `$1, $2, …` (no SQL here holds a literal question mark). */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function client(q: (text: string, values: SqlValue[]) => Promise<pg.QueryResult>): Sql {
  const texts = new Map<string, string>();
  const text = (sql: string) => {
    let t = texts.get(sql);
    if (t === undefined) {
      t = toPgPlaceholders(sql);
      if (texts.size > 500) texts.clear();
      texts.set(sql, t);
    }
    return t;
  };
  return {
    async all<T = Row>(sql: string, params: readonly SqlValue[] = []) {
      return (await q(text(sql), [...params])).rows as T[];
    },
    async get<T = Row>(sql: string, params: readonly SqlValue[] = []) {
      return (await q(text(sql), [...params])).rows[0] as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return (await q(text(sql), [...params])).rowCount ?? 0;
    },
  };
}

export function openPostgres(url: string, maxConnections = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const direct = client((t, v) => pool.query(t, v));
  return {
    dialect: 'postgres',
    maxParams: 65_000,
    ...direct,
    async transaction(fn, opts) {
      const c = await pool.connect();
      try {
        await c.query(opts?.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const result = await fn(client((t, v) => c.query(t, v)));
        await c.query('COMMIT');
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}
