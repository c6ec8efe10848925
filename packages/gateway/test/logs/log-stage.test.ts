import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/logs/redact.js';
import type { LogDocument, LogStore } from '../../src/logs/types.js';
import { newRequestContext, type RequestContext } from '../../src/pipeline/context.js';
import { LogStage } from '../../src/pipeline/log-stage.js';
import { openAIChatApi } from '../../src/inbound/apis.js';

function memoryStore(): LogStore & { docs: LogDocument[]; lines: Array<string | undefined> } {
  const docs: LogDocument[] = [];
  const lines: Array<string | undefined> = [];
  return {
    kind: 'memory-test', docs, lines,
    write: (d: LogDocument, line?: string) => {
      docs.push(d);
      lines.push(line);
    },
    flush: async () => undefined, close: async () => undefined,
    get: async () => undefined, list: async function* () {},
    health: () => ({ status: 'ok' as const }),
  } as unknown as LogStore & { docs: LogDocument[]; lines: Array<string | undefined> };
}

/** The NDJSON line the store would write for each document. */
const storedLines = (store: ReturnType<typeof memoryStore>) => store.docs.map((d, i) => store.lines[i] ?? JSON.stringify(d));

function finishedContext(traceId: string): RequestContext {
  const req = { method: 'POST', headers: { authorization: 'Bearer sk-live-secretsecretsecret1234', 'content-type': 'application/json' } };
  const ctx = newRequestContext(req as never, {} as never, openAIChatApi, '/v1/chat/completions', traceId);
  ctx.rawBody = Buffer.from('{"model":"gpt-4o-mini","messages":[]}');
  ctx.status = 200;
  return ctx;
}

describe('log stage', () => {
  it('batches finished requests and times each document at the end of its request, not at the batch', async () => {
    const store = memoryStore();
    const errors: unknown[] = [];
    const stage = new LogStage(store, makeRedactor(), 65536, { error: (o: unknown) => void errors.push(o) } as never);
    for (let i = 0; i < 5; i++) stage.write(finishedContext(`t-${i}`));
    expect(store.docs).toHaveLength(0); // nothing is built right after the response
    await new Promise((r) => setTimeout(r, 60));
    expect(store.docs.map((d) => d.trace_id)).toEqual(['t-0', 't-1', 't-2', 't-3', 't-4']);
    for (const d of store.docs) {
      expect(d.timings.total_ms).toBeLessThan(40); // the batch delay is not counted
      expect(JSON.stringify(d)).not.toContain('sk-live-secretsecretsecret1234');
    }
    expect(errors).toEqual([]);
  });

  it('settle() waits for begun requests to write their documents, then writes the rest as they stand, once each', async () => {
    const store = memoryStore();
    const stage = new LogStage(store, makeRedactor(), 65536, { error: () => undefined } as never);
    const early = finishedContext('early');
    const late = finishedContext('late');
    const stuck = finishedContext('stuck');
    for (const c of [early, late, stuck]) stage.begin(c);
    stage.write(early);
    setTimeout(() => stage.write(late), 30);
    const started = Date.now();
    await stage.settle(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // 'stuck' never wrote: settle waited to its deadline
    stage.flush();
    expect(store.docs.map((d) => d.trace_id).sort()).toEqual(['early', 'late', 'stuck']);
    stage.write(stuck); // its request finishing after all: not logged twice
    stage.flush();
    expect(store.docs).toHaveLength(3);
    // Nothing owed: settle returns at once.
    const at = Date.now();
    await stage.settle(5000);
    expect(Date.now() - at).toBeLessThan(100);
  });

  it('settle() returns as soon as the last owed document is written', async () => {
    const store = memoryStore();
    const stage = new LogStage(store, makeRedactor(), 65536, { error: () => undefined } as never);
    const ctx = finishedContext('soon');
    stage.begin(ctx);
    setTimeout(() => stage.write(ctx), 20);
    const started = Date.now();
    await stage.settle(5000);
    expect(Date.now() - started).toBeLessThan(1000);
    stage.flush();
    expect(store.docs.map((d) => d.trace_id)).toEqual(['soon']);
  });

  it('flush() builds what is queued at once (shutdown), and a document that cannot be built is logged, not thrown', () => {
    const store = memoryStore();
    const errors: unknown[] = [];
    const stage = new LogStage(store, makeRedactor(), 65536, { error: (o: unknown) => void errors.push(o) } as never);
    stage.write(finishedContext('ok'));
    const broken = finishedContext('broken');
    Object.defineProperty(broken, 'attempts', { get: () => { throw new Error('boom'); } });
    stage.write(broken);
    stage.flush();
    expect(store.docs.map((d) => d.trace_id)).toEqual(['ok']);
    expect(errors).toHaveLength(1);
  });

  it('logs bodies as the bytes that were sent when nothing in them needs redacting: one valid line, same content', () => {
    const store = memoryStore();
    const stage = new LogStage(store, makeRedactor(), 65536, { error: () => undefined } as never);
    const ctx = finishedContext('raw');
    const requestBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'line one\nline two "quoted" \u2028' }] };
    ctx.rawBody = Buffer.from(JSON.stringify(requestBody, null, 2)); // pretty-printed: raw newlines between tokens
    ctx.body = JSON.parse(ctx.rawBody.toString());
    const responseBody = { id: 'chatcmpl-1', choices: [{ index: 0, message: { role: 'assistant', content: 'a\tb' } }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } };
    ctx.responseForLog = Buffer.from(JSON.stringify(responseBody, null, 1));
    ctx.responseParsedForLog = JSON.parse(ctx.responseForLog.toString());
    stage.write(ctx);
    stage.flush();
    const [line] = storedLines(store);
    // The client's own formatting survives: the body was spliced in, not parsed and serialised again.
    expect(line).toContain('"model": "gpt-4o-mini"');
    expect(line).not.toMatch(/[\r\n]/);
    const parsed = JSON.parse(line) as LogDocument;
    expect(parsed.request.body).toEqual(requestBody);
    expect(parsed.response.body).toEqual(responseBody);
    expect(parsed.trace_id).toBe('raw');
    expect(line).not.toContain('portico-body-');
  });

  it('falls back to the parsed, redacted body when a body holds a secret, even one hidden by a duplicate key', () => {
    const store = memoryStore();
    const stage = new LogStage(store, makeRedactor(), 65536, { error: () => undefined } as never);
    const secretField = finishedContext('secret-field');
    secretField.rawBody = Buffer.from('{"model":"m","api_key":"plain-value-123","messages":[]}');
    secretField.body = JSON.parse(secretField.rawBody.toString());
    const duplicate = finishedContext('duplicate-key');
    duplicate.rawBody = Buffer.from('{"model":"m","content":"sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA","content":"hi"}');
    duplicate.body = JSON.parse(duplicate.rawBody.toString());
    stage.write(secretField);
    stage.write(duplicate);
    stage.flush();
    const lines = storedLines(store);
    expect(lines[0]).not.toContain('plain-value-123');
    expect((JSON.parse(lines[0]) as LogDocument).request.body).toEqual({ model: 'm', messages: [] });
    expect(lines[1]).not.toContain('sk-proj-AAAA');
    expect((JSON.parse(lines[1]) as LogDocument).request.body).toEqual({ model: 'm', content: 'hi' });
  });
});
