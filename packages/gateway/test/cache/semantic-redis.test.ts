/**
 * Semantic-cache entries shared between replicas through a real redis-server, standalone and as a
 * 6-node cluster: a second gateway gets a SEMANTIC HIT for a paraphrase of what the first one cached.
 * Also the sharing layer on its own: the sequence each replica reads from, and keys that expired and
 * started over.
 */
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { SemanticRedisShare, decodeMember, encodeMember } from '../../src/cache/semantic-redis.js';
import { normalise } from '../../src/cache/vector-index.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from '@portico/test-support/redis';
import { startFakeEmbeddings, type FakeEmbeddings } from './fake-embeddings.js';

const PROVIDER_KEY = 'sk-test-provider-key-semantic-redis';

let upstream: FakeOpenAI;
let emb: FakeEmbeddings;

beforeAll(async () => {
  [upstream, emb] = await Promise.all([startFakeOpenAI(), startFakeEmbeddings()]);
});
afterAll(async () => {
  await Promise.all([upstream?.close(), emb?.close()]);
});

function client(gw: TestGateway): OpenAI {
  const config = {
    provider: 'openai', custom_host: upstream.baseUrl,
    cache: { mode: 'semantic', semantic: { embedding: { provider: 'openai', custom_host: emb.baseUrl, api_key: 'sk-embedding-key-redis-1', model: 'text-embedding-3-small', request_timeout: 20_000 } } },
  };
  return new OpenAI({ apiKey: PROVIDER_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify(config) } });
}

const ask = (gw: TestGateway, content: string) => client(gw).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }).withResponse();
const status = (r: { response: Response }) => r.response.headers.get('x-portkey-cache-status');

/** Semantic entries in Redis now: members of every partition's set (on every master, in a cluster). */
async function entriesIn(redis: { url: string } | RedisCluster): Promise<number> {
  const count = async (node: Redis) => {
    let n = 0;
    for (const key of await node.keys('portico:sem:*:z')) n += await node.zcard(key);
    return n;
  };
  if ('nodes' in redis) {
    const client = new Cluster(redis.startup);
    try {
      await eventually(() => expect(client.status).toBe('ready'));
      return (await Promise.all(client.nodes('master').map(count))).reduce((a, b) => a + b, 0);
    } finally {
      client.disconnect();
    }
  }
  const client = new Redis(redis.url);
  try {
    return await count(client);
  } finally {
    client.disconnect();
  }
}

/**
 * Two gateways on one Redis: what one caches, the other finds by similarity. The second asks once the
 * first's entry is in Redis (a retry would find its own miss's entry, not the other replica's).
 */
function sharesBetweenReplicas(env: () => Record<string, string>, redis: () => { url: string } | RedisCluster) {
  let one: TestGateway;
  let two: TestGateway;
  beforeAll(async () => {
    [one, two] = await Promise.all([startTestGateway(env()), startTestGateway(env())]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  const cachedThrough = async (gw: TestGateway, question: string) => {
    const before = await entriesIn(redis());
    const r = await ask(gw, question);
    expect(status(r)).toBe('SEMANTIC MISS');
    await eventually(async () => expect(await entriesIn(redis())).toBeGreaterThan(before), 15_000, 100);
  };

  it('a second gateway gets a SEMANTIC HIT for a paraphrase the first one cached, and back', async () => {
    const s = `topic${randomUUID().slice(0, 6)}x`;
    await cachedThrough(one, `What is a ${s}?`);
    const hit = await ask(two, `Please tell me what ${s}s are`);
    expect(status(hit)).toBe('SEMANTIC HIT');
    expect(hit.data.choices[0].message.content).toBe(`Echo: What is a ${s}?`);

    // The second replica's own entries serve the first.
    const t = `topic${randomUUID().slice(0, 6)}x`;
    await cachedThrough(two, `What is a ${t}?`);
    const back = await ask(one, `Explain ${t}s`);
    expect(status(back)).toBe('SEMANTIC HIT');
    expect(back.data.choices[0].message.content).toBe(`Echo: What is a ${t}?`);
  });
}

describe('two gateways sharing a standalone redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  sharesBetweenReplicas(() => ({ CACHE_STORE: 'redis', REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '1000' }), () => redis);

  describe('the sharing layer', () => {
    let conn: RedisConnection;
    beforeAll(async () => {
      conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
      await eventually(() => expect(conn.ready).toBe(true));
    });
    afterAll(async () => {
      await conn?.close();
    });

    const entry = (n: number) => ({ key: (n.toString(16).padStart(2, '0')).repeat(32), expiresAt: Date.now() + 60_000, vector: normalise([n, 1, 2])! });

    it('encodes an entry and reads it back, and refuses what it cannot read', () => {
      const e = entry(7);
      const back = decodeMember(encodeMember(e))!;
      expect(back.key).toBe(e.key);
      expect(back.expiresAt).toBe(e.expiresAt);
      expect([...back.vector]).toEqual([...e.vector]);
      expect(decodeMember(Buffer.from('short'))).toBeUndefined();
      expect(() => encodeMember({ ...e, key: 'not-a-digest' })).toThrow();
    });

    it('reads only what was added since the last sequence seen, pages through a backlog, and keeps the newest entries', async () => {
      const share = new SemanticRedisShare(conn, 5, 2);
      const p = randomUUID();
      for (let i = 1; i <= 3; i++) await share.append(p, entry(i), 60_000);
      const page1 = await share.since(p, 0);
      expect(page1.entries.map((e) => e.key)).toEqual([entry(1).key, entry(2).key]);
      const page2 = await share.since(p, page1.seq);
      expect(page2.entries.map((e) => e.key)).toEqual([entry(3).key]);
      expect(page2.seq).toBe(3);
      expect((await share.since(p, page2.seq)).entries).toEqual([]);
      for (let i = 4; i <= 8; i++) await share.append(p, entry(i), 60_000);
      // Bounded at 5 per partition: the oldest went.
      const all = new SemanticRedisShare(conn, 5, 100);
      expect((await all.since(p, 0)).entries.map((e) => e.key)).toEqual([4, 5, 6, 7, 8].map((i) => entry(i).key));
      expect(await conn.client.pttl(`portico:sem:{${p}}:z`)).toBeGreaterThan(50_000);
    });

    it('starts from 0 again when the partition expired and its sequence restarted', async () => {
      const share = new SemanticRedisShare(conn, 10, 100);
      const p = randomUUID();
      for (let i = 1; i <= 4; i++) await share.append(p, entry(i), 60_000);
      const seen = (await share.since(p, 0)).seq;
      expect(seen).toBe(4);
      await conn.client.del(`portico:sem:{${p}}:z`, `portico:sem:{${p}}:seq`);
      await share.append(p, entry(9), 60_000);
      const after = await share.since(p, seen);
      expect(after.entries.map((e) => e.key)).toEqual([entry(9).key]);
      expect(after.seq).toBe(1);
    });
  });
});

describe('two gateways sharing a 6-node Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  sharesBetweenReplicas(() => ({ CACHE_STORE: 'redis', REDIS_MODE: 'cluster', REDIS_URL: cluster.url, REDIS_COMMAND_TIMEOUT_MS: '1000' }), () => cluster);
});
