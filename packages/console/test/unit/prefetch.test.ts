import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefetch, takePrefetched } from '../../src/api/prefetch.js';

/** The early requests' hand-over, against a real local HTTP server that counts what it is asked. */
describe('prefetched GETs', () => {
  let server: Server;
  let base = '';
  const hits = new Map<string, number>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
      const status = req.url!.startsWith('/fail') ? 401 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url, status }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the request once and hands its answer to the first identical request only', async () => {
    prefetch(`${base}/a`);
    prefetch(`${base}/a`);
    const res = await takePrefetched(`${base}/a`);
    expect(await res?.json()).toEqual({ url: '/a', status: 200 });
    expect(hits.get('/a')).toBe(1);
    expect(await takePrefetched(`${base}/a`)).toBeUndefined();
    expect(await takePrefetched(`${base}/never-asked`)).toBeUndefined();
  });

  it('does not hand over an error answer or a stale one: the caller asks again', async () => {
    prefetch(`${base}/fail`);
    expect(await takePrefetched(`${base}/fail`)).toBeUndefined();
    expect(hits.get('/fail')).toBe(1);
    const at = Date.now();
    prefetch(`${base}/old`, at);
    expect(await takePrefetched(`${base}/old`, at + 10_001)).toBeUndefined();
  });

  it('holds at most 16 at once', async () => {
    const paths = Array.from({ length: 20 }, (_, i) => `${base}/many-${i}`);
    paths.forEach((p) => prefetch(p));
    const taken = await Promise.all(paths.map((p) => takePrefetched(p)));
    expect(taken.filter(Boolean)).toHaveLength(16);
    expect(taken.slice(16).every((t) => t === undefined)).toBe(true);
  });
});
