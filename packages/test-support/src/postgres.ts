import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temp dir, pg_ctl start on a free port,
 * stopped (and the dir removed) by stop(), or when the test worker exits if a test never called it. Debian puts the binaries in /usr/lib/postgresql/N/bin,
 * which is added to PATH when initdb is not already on it.
 */
function findBinDir(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return join(onPath, '..');
  for (const v of ['17', '16', '15', '14', '13']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

export const postgresBinDir = findBinDir();
export const postgresMissing = postgresBinDir ? undefined : 'PostgreSQL binaries (initdb, pg_ctl) are not installed: apt-get install -y postgresql';

export interface PgCluster {
  url: string;
  /** A fresh, empty database on the cluster. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

/** pg_ctl daemonizes the server, so it is no child of the worker: stop what is left when the worker exits. */
const running = new Set<PgCluster>();
process.once('exit', () => {
  for (const c of running) c.stop();
});

export async function startPostgres(): Promise<PgCluster> {
  if (!postgresBinDir) throw new Error(postgresMissing);
  const bin = (name: string) => join(postgresBinDir!, name);
  const dir = mkdtempSync(join(tmpdir(), 'portico-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root; the cluster then belongs to the unprivileged "postgres" or "nobody" user.
  const runAs = asRoot ? (spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody') : undefined;
  const run = (file: string, args: string[]) => {
    if (runAs) {
      execFileSync('chown', ['-R', runAs, dir]);
      return execFileSync('su', [runAs, '-s', '/bin/sh', '-c', [file, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')], { stdio: 'pipe' });
    }
    return execFileSync(file, args, { stdio: 'pipe' });
  };
  try {
    run(bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    run(bin('pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`, 'start']);
  } catch (e) {
    try {
      run(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // It never started.
    }
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const cluster: PgCluster = {
    url: `${base}/postgres`,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `${base}/${name}`;
    },
    stop() {
      try {
        run(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
      running.delete(cluster);
    },
  };
  running.add(cluster);
  return cluster;
}
