/**
 * The storage seam: one small async interface over SQLite (embedded) and PostgreSQL (production).
 * SQL is written once, with `?` placeholders and portable types (TEXT, BIGINT, DOUBLE PRECISION,
 * INTEGER for booleans, JSON kept as TEXT, times as ISO-8601 TEXT, which sorts and buckets the same
 * way in both).
 */
export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface Sql {
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Database extends Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs fn in one transaction: all of its writes land, or none do. `snapshot: true` is a read-only
   * transaction that sees one consistent state throughout (REPEATABLE READ on PostgreSQL).
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>, opts?: { snapshot?: boolean }): Promise<T>;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParams: number;
  close(): Promise<void>;
}
