/**
 * State suite: a real redis-server. The gateway with CACHE_STORE=redis enforcing rate limits and
 * budgets on every request, next to (a) the bare gateway (in-process state, no key) and (b) the same
 * key and metadata without limits, which isolates what the limits cost; each pair alternated so both
 * see the same machine. Also cache-hit throughput. Target: Redis-backed limits at ≥ 80% of the bare
 * throughput.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '@portico/test-support/redis';
import { compare, fmt, gatewayTarget, load, startFakeUpstream, startGateway, warmUp, SECONDS } from './lib.js';

const KEY = 'pk-bench-key';

export async function runState(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-state-'));
  // A tracked child on a free port, answering PING before the gateways start; stopped below.
  const redis = await startRedis();
  const port = redis.port;
  const keyEntry = `keys:
  - id: bench
    key_hash: ${createHash('sha256').update(KEY).digest('hex')}
`;
  // The same key and metadata with and without limits, so the comparison isolates what limits cost.
  const entities = join(dir, 'entities.yaml');
  writeFileSync(entities, `${keyEntry}    limits:
      - { kind: requests, limit: 100000000, window: minute }
      - { kind: tokens, limit: 1000000000000, window: minute }
      - { kind: cost, limit: 1000000, window: day }
user_limits:
  "*": [{ kind: requests, limit: 100000000, window: minute }]
`);
  const entitiesNoLimits = join(dir, 'entities-no-limits.yaml');
  writeFileSync(entitiesNoLimits, keyEntry);
  const upstream = await startFakeUpstream();
  const common = { LOG_STORE_FILE_DIR: join(dir, 'logs') };
  const bare = await startGateway(common);
  const keyed = await startGateway({ ...common, ENTITIES_FILE: entitiesNoLimits });
  const shared = await startGateway({ ...common, CACHE_STORE: 'redis', REDIS_URL: redis.url, ENTITIES_FILE: entities });
  const keyHeaders = { 'x-portkey-api-key': KEY, 'x-portkey-metadata': '{"_user":"bench-user"}' };
  const bareTarget = gatewayTarget('bare', bare.url, upstream.url);
  const keyedTarget = gatewayTarget('keyed', keyed.url, upstream.url, keyHeaders);
  const limited = gatewayTarget('limits', shared.url, upstream.url, keyHeaders);
  await warmUp(bareTarget, keyedTarget, limited);

  console.log(`\n## state: ${SECONDS}s per run, redis-server on ${port}; medians of alternated pairs (5 for limits, 3 for cache hits)`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | ratio |\n|---|---|---|---|---|---|');
  const lim = await compare(bareTarget, limited, 50, 5);
  console.log(`| bare gateway (memory, no key, no limits) c=50 | ${fmt(lim.a.rps, 0)} | ${lim.a.p50} | ${lim.a.p99} | ${lim.a.errors} | 100% |`);
  console.log(`| Redis limits (key + user, 4 rules) c=50 | ${fmt(lim.b.rps, 0)} | ${lim.b.p50} | ${lim.b.p99} | ${lim.b.errors} | ${fmt(100 * lim.ratio)}% of bare |`);
  const own = await compare(keyedTarget, limited, 50, 5);
  console.log(`| same key and metadata, no limits (memory) c=50 | ${fmt(own.a.rps, 0)} | ${own.a.p50} | ${own.a.p99} | ${own.a.errors} | 100% |`);
  console.log(`| Redis limits (key + user, 4 rules) c=50 | ${fmt(own.b.rps, 0)} | ${own.b.p50} | ${own.b.p99} | ${own.b.errors} | ${fmt(100 * own.ratio)}% of the same gateway without limits |`);
  const memCache = gatewayTarget('memory cache', bare.url, upstream.url, { 'x-portkey-config': JSON.stringify({ cache: { mode: 'simple', max_age: 600 } }) });
  const redisCache = gatewayTarget('redis cache', shared.url, upstream.url, { 'x-portkey-api-key': KEY, 'x-portkey-config': JSON.stringify({ cache: { mode: 'simple', max_age: 600 } }) });
  await load(memCache, 1, false, 1);
  await load(redisCache, 1, false, 1);
  const mc = await compare(bareTarget, memCache, 50);
  console.log(`| memory cache hits c=50 | ${fmt(mc.b.rps, 0)} | ${mc.b.p50} | ${mc.b.p99} | ${mc.b.errors} | ${fmt(100 * mc.ratio)}% of bare |`);
  const rc = await compare(bareTarget, redisCache, 50);
  console.log(`| Redis cache hits (with limits) c=50 | ${fmt(rc.b.rps, 0)} | ${rc.b.p50} | ${rc.b.p99} | ${rc.b.errors} | ${fmt(100 * rc.ratio)}% of bare |`);
  await shared.proc.stop();
  await keyed.proc.stop();
  await bare.proc.stop();
  await upstream.proc.stop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
