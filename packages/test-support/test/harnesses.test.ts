/** Each harness starts the real thing and, once stopped, leaves no process and no directory behind. */
import { existsSync } from 'node:fs';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresMissing, startPostgres } from '../src/postgres.js';
import { startRedis } from '../src/redis.js';
import { startS3 } from '../src/s3.js';
import { isRunning } from '../src/spawn.js';
import { eventually } from '../src/wait.js';

describe('harnesses', () => {
  it('redis-server: answers, and stop() ends it and removes its directory', async () => {
    const redis = await startRedis({ password: 'pw' });
    expect(redis.url).toMatch(/^redis:\/\/:pw@127\.0\.0\.1:\d+$/);
    const pid = redis.proc.pid!;
    await redis.stop();
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(redis.dir)).toBe(false);
  });

  it('s3rver: makes every bucket asked for, and close() removes its directory', async () => {
    const s3 = await startS3(['first', 'second']);
    const listed = await s3.client.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name).sort()).toEqual(['first', 'second']);
    expect(s3.bucket).toBe('first');
    await s3.close();
    expect(existsSync(s3.dir)).toBe(false);
  });

  it.skipIf(postgresMissing)('PostgreSQL: a fresh database answers, and stop() ends the cluster', async () => {
    const cluster = await startPostgres();
    const url = await cluster.createDatabase('harness_check');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe('harness_check');
    await client.end();
    cluster.stop();
    const refused = await eventually(async () => {
      const again = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      return again.connect().then(() => again.end().then(() => false), () => true);
    });
    expect(refused).toBe(true);
  });
});
