/**
 * The stream-fault suite: a streaming client, a gateway with a fallback config under a circuit breaker
 * (failure_threshold 1), and an upstream that misbehaves in one way per test. For each fault: what
 * the client sees (failover before the first byte, within request_timeout; after it, an error event
 * and never a clean end), what the log document records, and what the breaker does next.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '@portico/test-support/ports';
import { startFaultUpstream, type Fault, type FaultUpstream } from './fault-upstream.js';

const REQUEST_TIMEOUT_MS = 1000;
let gw: TestGateway;
let healthy: FakeOpenAI;
let faulty: FaultUpstream;

beforeAll(async () => {
  [gw, healthy, faulty] = await Promise.all([startTestGateway({ LOG_STORE_BATCH_MAX_AGE_MS: '20' }), startFakeOpenAI(), startFaultUpstream()]);
  // Warm the gateway and the healthy fake (its schema validator compiles on first use), so a
  // failover is timed by the faulty target alone.
  await ask(JSON.stringify({ provider: 'openai', api_key: 'sk-test', custom_host: healthy.baseUrl }));
});
afterAll(async () => {
  await Promise.all([gw?.close(), healthy?.close(), faulty?.close()]);
});

/** A config of its own per test (its name differs), so each test starts with closed breakers. */
function config(name: string, extra: Record<string, unknown> = {}, cb: Record<string, unknown> = { failure_threshold: 1, cooldown_interval: 60_000 }, faultyHost = faulty.baseUrl): string {
  return JSON.stringify({
    strategy: { mode: 'fallback', cb_config: cb },
    request_timeout: REQUEST_TIMEOUT_MS,
    targets: [
      { name: `faulty-${name}`, provider: 'openai', api_key: 'sk-test', custom_host: faultyHost, ...extra },
      { name: 'healthy', provider: 'openai', api_key: 'sk-test', custom_host: healthy.baseUrl },
    ],
  });
}

let seq = 0;
async function ask(cfg: string, stream = true) {
  const traceId = `fault-${++seq}-${Date.now()}`;
  const started = performance.now();
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-portkey-config': cfg, 'x-portkey-trace-id': traceId },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hello' }] }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: performance.now() - started, traceId };
}

async function documentOf(traceId: string): Promise<any> {
  return eventually(() => {
    const line = readAllLogs(gw).split('\n').find((l) => l.includes(traceId));
    if (!line) throw new Error(`no log document for ${traceId} yet`);
    return JSON.parse(line);
  });
}

/** Sends one more request with the same config: did the breaker skip the faulty target? */
async function breakerSkipsFaulty(cfg: string): Promise<boolean> {
  const before = faulty.seen.length;
  const next = await ask(cfg);
  const doc = await documentOf(next.traceId);
  const skipped = doc.attempts[0].breaker === 'open';
  expect(faulty.seen.length === before).toBe(skipped);
  return skipped;
}

/** A complete OpenAI stream: chunks, then data: [DONE] as its last event. */
function expectCleanStream(text: string): void {
  expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  expect(text).not.toMatch(/"error"/);
}

/** A stream that failed after its first byte: an error event, and never [DONE]. */
function expectErrorEvent(text: string): any {
  expect(text).not.toMatch(/^data: \[DONE\]/m);
  const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
  const last = JSON.parse(events[events.length - 1].slice(6));
  expect(last.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
  return last.error;
}

describe('before the first byte: failover within request_timeout', () => {
  const cases: Array<[Fault, string]> = [
    ['stall_before_first_byte', 'never answers'],
    ['slow_headers', 'sends its headers a byte every 100 ms'],
  ];
  for (const [fault, what] of cases) {
    it(`${fault}: an upstream that ${what} → the healthy target answers, the breaker opens`, async () => {
      faulty.setDefault(fault);
      const cfg = config(fault);
      const r = await ask(cfg);
      expect(r.status).toBe(200);
      expectCleanStream(r.text);
      expect(r.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 2500);
      const doc = await documentOf(r.traceId);
      expect(doc.attempts[0]).toMatchObject({ target: 'config.targets[0]', breaker: 'closed', breaker_opened: true });
      expect(doc.attempts[0].status).toBeGreaterThanOrEqual(408);
      expect(doc.attempts[1]).toMatchObject({ target: 'config.targets[1]', status: 200 });
      expect(doc.stream_outcome).toBe('complete');
      expect(await breakerSkipsFaulty(cfg)).toBe(true);
    });
  }

  it('refused connection → the healthy target answers at once, the breaker opens', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/v1`;
    const cfg = config('refused', {}, undefined, closed);
    const r = await ask(cfg);
    expect(r.status).toBe(200);
    expectCleanStream(r.text);
    const doc = await documentOf(r.traceId);
    expect(doc.attempts[0]).toMatchObject({ status: 502, breaker_opened: true });
    expect(doc.attempts[0].error).toMatch(/refused|connect/i);
    const again = await ask(cfg);
    expect((await documentOf(again.traceId)).attempts[0]).toMatchObject({ breaker: 'open', ms: 0 });
  });

  it('html_200: a 200 with an HTML body → treated as a failure, the healthy target answers', async () => {
    faulty.setDefault('html_200');
    const cfg = config('html');
    const r = await ask(cfg);
    expect(r.status).toBe(200);
    expectCleanStream(r.text);
    const doc = await documentOf(r.traceId);
    expect(doc.attempts[0].status).toBeGreaterThanOrEqual(500);
    expect(doc.attempts[0]).toMatchObject({ breaker_opened: true });
    expect(await breakerSkipsFaulty(cfg)).toBe(true);
  });

  it('rate_limited: 429 with Retry-After → retried after the advertised second, then served; the breaker stays closed', async () => {
    faulty.setDefault('ok');
    faulty.enqueue('rate_limited');
    const cfg = config('429', { retry: { attempts: 1, on_status_codes: [429], use_retry_after_header: true } });
    const r = await ask(cfg);
    expect(r.status).toBe(200);
    expectCleanStream(r.text);
    expect(r.ms).toBeGreaterThanOrEqual(950);
    const doc = await documentOf(r.traceId);
    expect(doc.retries).toBe(1);
    expect(doc.attempts.map((a: any) => a.status)).toEqual([429, 200]);
    expect(doc.attempts.every((a: any) => !a.breaker_opened)).toBe(true);
    expect(await breakerSkipsFaulty(cfg)).toBe(false);
  });

  it('flap: up, down, up, down → every client is served; the breaker opens at 50% failures over 4 requests', async () => {
    faulty.setDefault('flap');
    const cfg = config('flap', {}, { failure_threshold_percentage: 50, minimum_requests: 4, cooldown_interval: 60_000 });
    const docs = [];
    for (let i = 0; i < 4; i++) {
      const r = await ask(cfg);
      expect(r.status).toBe(200);
      expectCleanStream(r.text);
      docs.push(await documentOf(r.traceId));
    }
    expect(docs.map((d) => d.attempts[0].status)).toEqual([200, 500, 200, 500]);
    expect(docs.map((d) => !!d.attempts.find((a: any) => a.breaker_opened))).toEqual([false, false, false, true]);
    expect(await breakerSkipsFaulty(cfg)).toBe(true);
  });
});

describe('after the first byte: an error event, never a clean end', () => {
  const cases: Array<[Fault, string, RegExp]> = [
    ['stall_mid_stream', 'goes silent after one chunk', /stream_stalled|timeout/],
    ['malformed_chunk', 'sends a chunk that is not JSON', /invalid_stream_event/],
    ['no_done', 'ends without data: [DONE]', /stream_truncated/],
    ['reset_mid_body', 'resets the connection after one chunk', /stream_truncated|upstream_error/],
  ];
  for (const [fault, what, code] of cases) {
    it(`${fault}: an upstream that ${what} → error event, upstream_error in the document, the breaker opens`, async () => {
      faulty.setDefault(fault);
      const cfg = config(fault);
      const r = await ask(cfg);
      expect(r.status).toBe(200);
      expect(r.text).toContain('partial');
      const error = expectErrorEvent(r.text);
      expect(`${error.code} ${error.type}`).toMatch(code);
      const doc = await documentOf(r.traceId);
      expect(doc.stream_outcome).toBe('upstream_error');
      expect(doc.error).toMatchObject({ stage: 'mid_stream' });
      expect(doc.attempts).toHaveLength(1);
      expect(doc.attempts[0]).toMatchObject({ breaker: 'closed', breaker_opened: true });
      expect(await breakerSkipsFaulty(cfg)).toBe(true);
    });
  }
});
