import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/logs/redact.js';
import type { LogDocument, LogStore } from '../../src/logs/types.js';
import { newRequestContext, type RequestContext } from '../../src/pipeline/context.js';
import { LogStage } from '../../src/pipeline/log-stage.js';
import { openAIChatApi } from '../../src/inbound/apis.js';

function memoryStore(): LogStore & { docs: LogDocument[] } {
  const docs: LogDocument[] = [];
  return {
    kind: 'memory-test', docs,
    write: (d: LogDocument) => void docs.push(d),
    flush: async () => undefined, close: async () => undefined,
    get: async () => undefined, list: async function* () {},
    health: () => ({ status: 'ok' as const }),
  } as unknown as LogStore & { docs: LogDocument[] };
}

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
});
