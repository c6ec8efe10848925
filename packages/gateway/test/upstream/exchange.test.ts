import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Abort } from '../../src/upstream/abort.js';
import { exchange, ResponseTooLargeError } from '../../src/upstream/exchange.js';

// A real HTTP server and undici pool: the exchange is only as good as its behaviour on real sockets.
let server: Server;
let origin: string;
const agent = new Agent({ connections: 4, keepAliveTimeout: 10_000 });
const closed: string[] = [];
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    req.socket.once('close', () => closed.push(req.url!));
    routes[req.url!](req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const send = (path: string, signal = new Abort()) => exchange(agent, { origin, path, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, signal);
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `total` bytes in 16 kB pieces, honouring backpressure; byte i is i % 251. */
function writePattern(res: ServerResponse, total: number): void {
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(16 * 1024, total - sent);
      const piece = Buffer.alloc(n);
      for (let i = 0; i < n; i++) piece[i] = (sent + i) % 251;
      sent += n;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

describe('upstream exchange (undici dispatch)', () => {
  it('gives status, lower-case headers with repeats joined, and a body that is already complete', async () => {
    routes['/json'] = (_req, res) => {
      res.setHeader('X-Request-Id', 'req_1');
      res.setHeader('X-Multi', ['a', 'b']);
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    };
    const head = await send('/json');
    expect(head.status).toBe(201);
    expect(head.headers['x-request-id']).toBe('req_1');
    expect(head.headers['x-multi']).toBe('a, b');
    await sleep(5);
    expect(head.body.completeBody(1024)?.toString()).toBe('{"ok":true}');
  });

  it('reads a large body whole, in order', async () => {
    routes['/big'] = (_req, res) => writePattern(res, 3 * MB);
    const head = await send('/big');
    expect(head.body.completeBody(10 * MB)).toBeUndefined();
    const all = await head.body.readAll(10 * MB);
    expect(all.length).toBe(3 * MB);
    expect(all[MB + 7]).toBe((MB + 7) % 251);
  });

  it('pauses the socket while the reader is slow, so buffered bytes stay bounded', async () => {
    routes['/slow'] = (_req, res) => writePattern(res, 8 * MB);
    const head = await send('/slow');
    const it = head.body[Symbol.asyncIterator]();
    const first = await it.next();
    let offset = first.value.length;
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      await sleep(20);
      peak = Math.max(peak, head.body.buffered);
    }
    // 64 kB high-water mark plus at most one socket read past it.
    expect(peak).toBeLessThanOrEqual(256 * 1024);
    let inOrder = true;
    for (;;) {
      const { value, done } = await it.next();
      if (done) break;
      inOrder &&= value[0] === offset % 251;
      offset += value.length;
    }
    expect(inOrder).toBe(true);
    expect(offset).toBe(8 * MB);
  });

  it('stops a body past its limit and closes that connection', async () => {
    routes['/huge'] = (_req, res) => writePattern(res, 4 * MB);
    const head = await send('/huge');
    await expect(head.body.readAll(MB)).rejects.toBeInstanceOf(ResponseTooLargeError);
    await sleep(50);
    expect(closed).toContain('/huge');
  });

  it('destroy() ends a pending read with an error and frees the connection', async () => {
    routes['/drip'] = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      const t = setInterval(() => res.write('data: more\n\n'), 10);
      res.once('close', () => clearInterval(t));
    };
    const head = await send('/drip');
    const it = head.body[Symbol.asyncIterator]();
    expect((await it.next()).value.toString()).toContain('data: 1');
    const pending = it.next().then(() => it.next()).then(() => it.next());
    head.body.destroy();
    await expect(pending).rejects.toThrow();
    await sleep(50);
    expect(closed).toContain('/drip');
  });

  it('an abort signal rejects before the head and fails the body after it', async () => {
    routes['/late'] = (_req, res) => {
      const t = setTimeout(() => res.writeHead(200).end('late'), 500);
      res.once('close', () => clearTimeout(t));
    };
    const before = new Abort();
    const p = send('/late', before);
    setTimeout(() => before.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'UND_ERR_ABORTED' });

    routes['/open'] = (_req, res) => {
      res.writeHead(200);
      res.write('x');
    };
    const after = new Abort();
    const head = await send('/open', after);
    const read = head.body.readAll(MB);
    after.abort();
    await expect(read).rejects.toMatchObject({ code: 'UND_ERR_ABORTED' });
  });

  it('an upstream that drops the connection mid-body fails the read instead of ending it cleanly', async () => {
    routes['/cut'] = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setTimeout(() => res.socket!.destroy(), 10);
    };
    const head = await send('/cut');
    await expect(head.body.readAll(MB)).rejects.toThrow();
  });

  it('an abort while the request waits for a free connection fails it at once', async () => {
    const single = new Agent({ connections: 1 });
    routes['/hold'] = (_req, res) => {
      const t = setTimeout(() => res.writeHead(200).end('held'), 300);
      res.once('close', () => clearTimeout(t));
    };
    const first = exchange(single, { origin, path: '/hold', method: 'POST', body: '{}' }, new Abort());
    const signal = new Abort();
    const queued = exchange(single, { origin, path: '/hold', method: 'POST', body: '{}' }, signal);
    const started = performance.now();
    setTimeout(() => signal.abort(), 20);
    await expect(queued).rejects.toMatchObject({ code: 'UND_ERR_ABORTED' });
    expect(performance.now() - started).toBeLessThan(250);
    expect((await (await first).body.readAll(MB)).toString()).toBe('held');
    await single.close();
  });

  it('an already-aborted signal fails at once without sending', async () => {
    const signal = new Abort();
    signal.abort();
    routes['/never'] = () => {
      throw new Error('must not be reached');
    };
    await expect(send('/never', signal)).rejects.toMatchObject({ code: 'UND_ERR_ABORTED' });
  });
});

describe('Abort', () => {
  it('calls each listener once, in order, and not after off()', () => {
    const a = new Abort();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    a.once('abort', () => calls.push('first'));
    a.once('abort', removed);
    a.once('abort', () => calls.push('last'));
    a.off('abort', removed);
    a.abort();
    a.abort();
    expect(a.aborted).toBe(true);
    expect(calls).toEqual(['first', 'last']);
  });
});
