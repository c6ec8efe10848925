import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { chat, chatRequestText, drip, rawClient, type RawClient } from './bounds-helpers.js';

/**
 * Attack catalogue, item 7 of issue 24: clients that send or read slowly cannot hold connections and
 * memory without bound. Held means (the words): connections sending headers or a body at one
 * byte a second are cut within 20 s, with the gateway's default settings; a client that never reads
 * is cut after CLIENT_WRITE_IDLE_TIMEOUT_MS; answers waiting for their clients never hold more than
 * RESPONSE_BUFFER_MAX_BYTES.
 */
let fake: FakeOpenAI;
let gw: TestGateway;
const clients: RawClient[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway();
});
afterAll(async () => {
  for (const c of clients) c.socket.destroy();
  await gw?.close();
  await fake?.close();
});

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });

describe('attack: 10 connections send their headers one byte a second, 10 more their body', () => {
  it('every one is cut within 20 s with a 408, and other clients are served meanwhile', async () => {
    const full = chatRequestText(fake.baseUrl, body);
    const headEnd = full.indexOf('\r\n\r\n') + 4;
    const slowHeads = await Promise.all(Array.from({ length: 10 }, () => rawClient(gw.url, 'POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\n')));
    const slowBodies = await Promise.all(Array.from({ length: 10 }, () => rawClient(gw.url, full.slice(0, headEnd))));
    clients.push(...slowHeads, ...slowBodies);
    for (const c of slowHeads) void drip(c.socket, 'x-padding: '.padEnd(200, 'a'));
    for (const c of slowBodies) void drip(c.socket, body);

    const ok = await chat(gw.url, fake.baseUrl);
    expect(ok.status).toBe(200);
    await ok.json();

    const times = await Promise.all([...slowHeads, ...slowBodies].map((c) => Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 20_000))])));
    for (const t of times) expect(t).toBeLessThan(20_000);
    for (const c of slowHeads) {
      expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(c.received()).toMatch(/REQUEST_HEADERS_TIMEOUT_MS/);
    }
    for (const c of slowBodies) {
      expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(c.received()).toMatch(/"code":"request_body_too_slow"/);
    }
  }, 30_000);
});

describe('attack: clients ask for 12 MB answers and never read them', () => {
  let small: TestGateway;
  beforeAll(async () => {
    // The write-idle bound is the window in which both hogs are held at once: wide enough that, on a
    // loaded machine, the first is not cut before the second answer has arrived and the third is refused.
    small = await startTestGateway({ RESPONSE_BUFFER_MAX_BYTES: String(30_000_000), CLIENT_WRITE_IDLE_TIMEOUT_MS: '8000' });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('past RESPONSE_BUFFER_MAX_BYTES held, the next answer is refused with 503; the non-readers are cut after the write-idle timeout, and the room comes back', async () => {
    fake.setDefault({ text: 'x'.repeat(12_000_000) });
    try {
      const before = fake.requests.length;
      const hogs = await Promise.all([1, 2].map(() => rawClient(small.url, chatRequestText(fake.baseUrl, body), { read: false })));
      clients.push(...hogs);
      await eventually(() => expect(fake.requests.length - before).toBe(2), 10_000);
      // Both 12 MB answers have reached the gateway and are held for their clients.
      const budget = small.gateway.deps.responseBuffers;
      await eventually(() => expect(budget.used).toBeGreaterThanOrEqual(24_000_000), 10_000, 20);

      const refused = await chat(small.url, fake.baseUrl);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await refused.json()).error).toMatchObject({ code: 'response_buffer_full', message: expect.stringMatching(/RESPONSE_BUFFER_MAX_BYTES/) });
      expect(budget.used).toBeGreaterThanOrEqual(24_000_000);
      expect(budget.used).toBeLessThanOrEqual(budget.max);
      expect(await (await fetch(`${small.url}/metrics`)).text()).not.toMatch(/portico_client_connections_cut_total\{reason="write_idle"\} [1-9]/);

      // Nothing read for 8 s: each hog's connection is closed, and its bytes are given back.
      await eventually(() => expect(budget.used).toBe(0), 15_000);
      const metrics = await (await fetch(`${small.url}/metrics`)).text();
      expect(metrics).toMatch(/portico_client_connections_cut_total\{reason="write_idle"\} 2/);
      // Reading now, a hog gets what the kernel had taken, then the end: never the whole answer.
      for (const h of hogs) {
        let got = 0;
        h.socket.on('data', (d: Buffer) => (got += d.length));
        h.socket.resume();
        await h.closed;
        expect(got).toBeLessThan(12_000_000);
      }
      const served = await chat(small.url, fake.baseUrl);
      expect(served.status).toBe(200);
      expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(12_000_000);
    } finally {
      fake.setDefault({});
    }
  }, 30_000);
});

describe('attack: a client opens a fast 10 MB stream and stops reading', () => {
  let idle: TestGateway;
  beforeAll(async () => {
    idle = await startTestGateway({ CLIENT_WRITE_IDLE_TIMEOUT_MS: '2000' });
  });
  afterAll(() => idle?.close());

  it('its connection is cut after CLIENT_WRITE_IDLE_TIMEOUT_MS, and the request (with its upstream call) ends', async () => {
    fake.setDefault({ text: 'word '.repeat(50_000) });
    try {
      // The gateway's side of the hog's connection: when it last handed bytes on to the network is
      // the moment the idle bound runs from (before that, on a loaded machine, the gateway may still
      // be filling the kernel's buffers).
      const served = new Promise<Socket>((resolve) => idle.gateway.server.once('connection', resolve));
      const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'talk' }] });
      const hog = await rawClient(idle.url, chatRequestText(fake.baseUrl, streamBody), { read: false });
      clients.push(hog);
      const socket = await served;
      let flushed = -1;
      let lastProgress = Date.now();
      let queued = 0;
      const cutAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
      const watch = setInterval(() => {
        if (socket.destroyed) return;
        queued = socket.writableLength;
        const now = socket.bytesWritten - queued;
        if (now !== flushed) [flushed, lastProgress] = [now, Date.now()];
      }, 20);
      const inFlight = async () => Number(/portico_requests_in_flight (\d+)/.exec(await (await fetch(`${idle.url}/metrics`)).text())?.[1]);
      await eventually(async () => expect(await inFlight()).toBe(1), 5000);
      const cut = await Promise.race([cutAt, new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), 25_000))]).finally(() => clearInterval(watch));
      expect(queued, 'answer bytes were waiting for the client').toBeGreaterThan(0);
      // Cut once nothing was taken for 2 s: not before, and within a check interval (1 s) and some slack after.
      const idleFor = cut - lastProgress;
      expect(idleFor).toBeGreaterThanOrEqual(2000 - 50);
      expect(idleFor).toBeLessThan(2000 + 1000 + 1500);
      await eventually(async () => expect(await inFlight()).toBe(0), 5000);
      expect(await (await fetch(`${idle.url}/metrics`)).text()).toMatch(/portico_client_connections_cut_total\{reason="write_idle"\} 1/);
    } finally {
      fake.setDefault({});
    }
  }, 40_000);
});

describe('ordinary clients are not cut by these bounds', () => {
  let tight: TestGateway;
  beforeAll(async () => {
    tight = await startTestGateway({ REQUEST_HEADERS_TIMEOUT_MS: '1000', REQUEST_BODY_GRACE_MS: '1000', REQUEST_BODY_MIN_BYTES_PER_S: '1000' });
  });
  afterAll(() => tight?.close());

  it('an idle keep-alive connection outlives the headers bound and serves its next request', async () => {
    const c = await rawClient(tight.url, 'GET /v1/health HTTP/1.1\r\nhost: gateway\r\n\r\n');
    clients.push(c);
    await new Promise((r) => setTimeout(r, 2500));
    c.socket.write('GET /v1/health HTTP/1.1\r\nhost: gateway\r\n\r\n');
    await eventually(() => expect(c.received().match(/HTTP\/1\.1 200 /g)).toHaveLength(2));
  });

  it('a body sent slowly but well above the minimum rate (about 10,000 bytes a second for 3 s) is served', async () => {
    const padded = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'y'.repeat(30_000) }] });
    const full = chatRequestText(fake.baseUrl, padded);
    const headEnd = full.indexOf('\r\n\r\n') + 4;
    const c = await rawClient(tight.url, full.slice(0, headEnd));
    clients.push(c);
    const rest = full.slice(headEnd);
    for (let i = 0; i < rest.length; i += 1000) {
      c.socket.write(rest.slice(i, i + 1000));
      await new Promise((r) => setTimeout(r, 100));
    }
    await eventually(() => expect(c.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*Echo: y+/), 5000);
  });
});
