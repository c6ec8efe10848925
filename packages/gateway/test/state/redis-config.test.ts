import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { backoffMs, planRedis, redactRedisUrl, usesRedis } from '../../src/state/redis.js';

const settings = (env: Record<string, string>) => loadSettings({ CACHE_STORE: 'redis', ...env });

describe('planRedis: settings → connection plan', () => {
  it('reads host, port, credentials and database from a redis:// URL', () => {
    const p = planRedis(settings({ REDIS_URL: 'redis://app:p%40ss@cache.internal:6380/2' }));
    expect(p).toMatchObject({ mode: 'standalone', host: 'cache.internal', port: 6380, username: 'app', password: 'p@ss', db: 2, timeoutMs: 50 });
    expect(p.tls).toBeUndefined();
    expect(p.target).toBe('redis://app:***@cache.internal:6380/2');
  });

  it('turns TLS on for rediss:// and for REDIS_TLS_ENABLED, naming the expected certificate host', () => {
    expect(planRedis(settings({ REDIS_URL: 'rediss://:tok@master.x.cache.amazonaws.com:6379' })).tls).toEqual({ servername: 'master.x.cache.amazonaws.com' });
    expect(planRedis(settings({ REDIS_URL: 'redis://10.0.0.5:6379', REDIS_TLS_ENABLED: 'true' })).tls).toEqual({});
    expect(planRedis(settings({ REDIS_URL: 'redis://10.0.0.5:6379', REDIS_TLS_ENABLED: 'false' })).tls).toBeUndefined();
  });

  it('loads a private CA from REDIS_TLS_CA_FILE and reports an unreadable one by name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portico-ca-'));
    writeFileSync(path.join(dir, 'ca.pem'), 'PEM');
    const p = planRedis(settings({ REDIS_URL: 'rediss://localhost:1', REDIS_TLS_CA_FILE: path.join(dir, 'ca.pem') }));
    expect(p.tls?.ca?.toString()).toBe('PEM');
    expect(() => planRedis(settings({ REDIS_URL: 'rediss://localhost:1', REDIS_TLS_CA_FILE: path.join(dir, 'missing.pem') }))).toThrow(/REDIS_TLS_CA_FILE .*missing\.pem cannot be read/);
  });

  it('cluster mode: no per-host servername (each node is checked against its own name), no database', () => {
    const p = planRedis(settings({ REDIS_URL: 'rediss://clustercfg.x.cache.amazonaws.com:6379', REDIS_MODE: 'cluster' }));
    expect(p.mode).toBe('cluster');
    expect(p.tls).toEqual({});
    expect(() => planRedis(settings({ REDIS_URL: 'redis://h:6379/3', REDIS_MODE: 'cluster' }))).toThrow(/only has database 0/);
  });

  it('takes the command bound from REDIS_COMMAND_TIMEOUT_MS', () => {
    expect(planRedis(settings({ REDIS_URL: 'redis://h', REDIS_COMMAND_TIMEOUT_MS: '20' })).timeoutMs).toBe(20);
  });

  it('never puts the password into errors or the logged target', () => {
    expect(() => planRedis(settings({ REDIS_URL: 'redis://u:hunter2@h:6379/x' }))).toThrow(/database number/);
    try {
      planRedis(settings({ REDIS_URL: 'redis://u:hunter2@h:6379/x' }));
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
    expect(redactRedisUrl('rediss://:s3cret@h:1')).toBe('rediss://:***@h:1');
    expect(redactRedisUrl('not a url://u:s3cret@h')).not.toContain('s3cret');
  });

  it('accepts every CACHE_STORE spelling that means Redis', () => {
    for (const store of ['redis', 'aws-elastic-cache', 'aws-elasti-cache']) {
      expect(usesRedis(loadSettings({ CACHE_STORE: store, REDIS_URL: 'redis://h' }))).toBe(true);
    }
    expect(usesRedis(loadSettings({}))).toBe(false);
  });

  it('backs off exponentially and caps the delay', () => {
    expect(backoffMs(1)).toBeGreaterThanOrEqual(100);
    expect(backoffMs(1)).toBeLessThan(200);
    expect(backoffMs(3)).toBeGreaterThanOrEqual(400);
    for (const t of [10, 50, 1000]) expect(backoffMs(t)).toBeLessThan(2100);
  });
});
