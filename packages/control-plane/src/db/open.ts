import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import type { Database } from './types.js';

/** DATABASE_URL → PostgreSQL; otherwise DATA_DIR/control-plane.sqlite. */
export function openDatabase(opts: { databaseUrl?: string; dataDir: string }): Database {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  mkdirSync(opts.dataDir, { recursive: true });
  return openSqlite(join(opts.dataDir, 'control-plane.sqlite'));
}
