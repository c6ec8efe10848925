import { describe, expect, it } from 'vitest';
import { logDocumentLine } from '../../src/logs/document-line.js';
import { makeRedactor } from '../../src/logs/redact.js';
import type { LogDocument } from '../../src/logs/types.js';
import { makeDoc, PLANTED_SECRETS } from './doc-fixture.js';

/** Every optional field set, with values that need escaping, masking or dropping. */
function maximalDoc(): LogDocument {
  return makeDoc('t-"quoted"\n', Date.now(), {
    timings: { started_at: new Date().toISOString(), total_ms: 12.34, upstream_ms: 10, first_byte_ms: 2.5, gateway_overhead_ms: 0.25 },
    config_path: 'config.targets[1]',
    retries: 2,
    attempts: [{ target: 'config.targets[0]', provider: 'openai', status: 500, ms: 3, error: `boom with ${PLANTED_SECRETS[0]}` }, { target: 'config.targets[1]', provider: 'anthropic', status: 200, ms: 4 }],
    hook_results: { before_request_hooks: [{ id: 'pii', verdict: true, deny: false, checks: [{ id: 'default.regexMatch', verdict: true, data: { api_key: 'hunter2' } }] }] } as never,
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, cached_tokens: 4, cache_creation_tokens: 1, reasoning_tokens: 2 },
    cost: { usd: 0.0000102, priced: true },
    span: { id: 's-1', name: 'step "one"', parent_id: 'p-0' },
    principal: { key_id: 'k-1', virtual_key: 'openai-prod', workspace: 'ws' },
    error: { message: `upstream said Bearer ${PLANTED_SECRETS[5]}zzzzzzzz`, type: 'upstream_error', code: null, status: 502, stage: 'mid_stream' },
    stream_outcome: 'upstream_error',
    response: { status: 502, body: 'cut short: {"api_key":"AIzaSy', body_truncated: true },
  });
}

describe('logDocumentLine', () => {
  const r = makeRedactor();

  /** The same JSON as JSON.stringify(redactor(doc)); key order aside (fixtures add keys out of order). */
  const expectSameJson = (line: string, doc: LogDocument, redactor = r) => expect(JSON.parse(line)).toStrictEqual(JSON.parse(JSON.stringify(redactor(doc))));

  it('writes what JSON.stringify writes for the redacted document', () => {
    for (const doc of [makeDoc('plain'), maximalDoc()]) {
      const line = logDocumentLine(doc, r);
      expectSameJson(line, doc);
      for (const secret of PLANTED_SECRETS) expect(line).not.toContain(secret);
      expect(line).not.toContain('hunter2');
    }
  });

  it('matches JSON.stringify on odd values: escapes, lone surrogates, non-finite numbers, wrong types, missing bodies', () => {
    const doc = maximalDoc();
    doc.trace_id = 'a\u0000b\u001f\u2028c\ud800d😀"\\';
    doc.timings.total_ms = Number.NaN;
    doc.timings.upstream_ms = Number.POSITIVE_INFINITY;
    doc.request.headers = { 'x-weird"name': 'v\n', 'x-list': ['a', 'b'] as never, 'x-undefined': undefined as never };
    doc.request.body = undefined;
    doc.retries = '3' as never;
    doc.model = { not: 'a string' } as never;
    doc.response = { status: 200, body: [1, 'two', { three: 3 }], body_truncated: false };
    const line = logDocumentLine(doc, r);
    expectSameJson(line, doc);
    expect(line).toContain(String.raw`"trace_id":"a\u0000b\u001f${'\u2028'}c\ud800d😀\"\\"`);
  });

  it('keeps the order of the keys of a document built in the order of its type, byte for byte', () => {
    const doc = maximalDoc();
    const ordered = Object.fromEntries(
      ['id', 'trace_id', 'created_at', 'timings', 'request', 'response', 'provider', 'model', 'config_path', 'retries', 'attempts', 'cache_status', 'hook_results', 'usage', 'cost', 'metadata', 'span', 'principal', 'error', 'stream_outcome']
        .map((k) => [k, doc[k as keyof LogDocument]]),
    ) as unknown as LogDocument;
    expect(logDocumentLine(ordered, r)).toBe(JSON.stringify(r(ordered)));
  });

  it('puts verbatim bodies in as given', () => {
    const doc = makeDoc('v');
    const request = '{"model":"gpt-4o-mini",  "messages":[]}';
    const line = logDocumentLine(doc, r, { request, response: '{"ok":true}' });
    expect(line).toContain(`"body":${request}`);
    const parsed = JSON.parse(line) as LogDocument;
    expect(parsed.request.body).toEqual({ model: 'gpt-4o-mini', messages: [] });
    expect(parsed.response.body).toEqual({ ok: true });
  });

  it('drops the document’s own fields when LOG_REDACT_FIELDS names them, as the redactor does', () => {
    for (const names of [['model'], ['status'], ['metadata', 'usd'], ['headers']]) {
      const named = makeRedactor(names);
      const doc = maximalDoc();
      const line = logDocumentLine(doc, named);
      expectSameJson(line, doc, named);
      for (const n of names) expect(line).not.toContain(`"${n}":`);
    }
  });
});
