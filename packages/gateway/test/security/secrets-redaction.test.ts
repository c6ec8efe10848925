/**
 * Attacks that try to get a secret written in clear (issue #24 item 11): into the log files, where an
 * operator or a log reader would see it, or into an error relayed to the caller. Expected outcome: every
 * known secret of the request is masked wherever it appears; the rest of the document stays readable.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';
import { maskSecretsInLine } from '../../src/logs/known-secrets.js';

const VK_SECRET = 'vk-echoed-secret-0123456789abcdef';
let gw: TestGateway;
let upstream: RecordingUpstream;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  process.env.SEC_REDACT_VK = VK_SECRET;
  gw = await startTestGateway({ LOG_STORE_BATCH_MAX_AGE_MS: '20', LOG_BODY_MAX_BYTES: '1024' }, {
    entities: `virtual_keys:
  - slug: echoing
    provider: openai
    api_key: \${SEC_REDACT_VK}
    settings: { custom_host: "${upstream.baseUrl}" }
`,
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

async function send(path: string, init: { method?: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gw.url}${path}`, { method: init.method ?? 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: init.body });
  return { status: res.status, text: await res.text() };
}

/** The log line of the request with this trace id, once it is written. */
async function logLine(traceId: string): Promise<string> {
  return eventually(() => {
    const line = readAllLogs(gw).split('\n').find((l) => l.includes(`"trace_id":"${traceId}"`));
    if (!line) throw new Error(`no document for ${traceId} yet`);
    return line;
  }, 10_000);
}

const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
const openaiTo = (host: string) => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': host, authorization: 'Bearer caller-own-key-0123456789' });

describe('attack: webhook headers given inside a JSON-string config', () => {
  it('their values are masked in the log, in string and object form', async () => {
    upstream.answer({ status: 200, body: { verdict: true } });
    const config = {
      before_request_hooks: [{
        id: 'hook', checks: [{ id: 'default.webhook', parameters: { webhookURL: `${upstream.url}/hook`, headers: JSON.stringify({ 'X-Hook-Signature': 'whsec-string-form-0123456789' }) } }],
      }, {
        id: 'hook2', checks: [{ id: 'default.webhook', parameters: { webhookURL: `${upstream.url}/hook`, headers: { 'X-Custom': 'object-form-value-0123456789' } } }],
      }],
    };
    upstream.answer({ status: 200, body: { verdict: true } });
    const r = await send('/v1/chat/completions', { headers: { ...openaiTo(upstream.baseUrl), 'x-portkey-config': JSON.stringify(config), 'x-portkey-trace-id': 'redact-webhook' }, body: chat });
    expect(r.status).toBe(200);
    // The webhook did get them: they are real headers, not dropped ones.
    expect(upstream.requests.find((q) => q.url === '/hook')?.headers['x-hook-signature']).toBe('whsec-string-form-0123456789');
    const line = await logLine('redact-webhook');
    expect(line).not.toContain('whsec-string-form-0123456789');
    expect(line).not.toContain('object-form-value-0123456789');
    expect(line).toContain('[REDACTED]');
    expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('attack: a password inside a custom_host URL', () => {
  it('is masked in the log, from the header and from an inline config', async () => {
    const host = upstream.baseUrl.replace('http://', 'http://user:hunter2-pass-9876@');
    const viaHeader = await send('/v1/chat/completions', { headers: { ...openaiTo(host), 'x-portkey-trace-id': 'redact-url-header' }, body: chat });
    expect(viaHeader.status).toBe(400);
    expect(viaHeader.text).not.toContain('hunter2-pass-9876');
    const viaConfig = await send('/v1/chat/completions', {
      headers: { authorization: 'Bearer caller-own-key-0123456789', 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: host.replace('hunter2', 'other2') }), 'x-portkey-trace-id': 'redact-url-config' },
      body: chat,
    });
    expect(viaConfig.status).toBe(400);
    expect(await logLine('redact-url-header')).not.toContain('hunter2-pass-9876');
    expect(await logLine('redact-url-config')).not.toContain('other2-pass-9876');
  });
});

describe('attack: ?api_key= in a passthrough path', () => {
  it('the query value is masked in the logged path; the path itself stays', async () => {
    const r = await send('/v1/files?purpose=batch&api_key=qs-secret-0123456789&key=google-style-0123456789', { method: 'GET', headers: { ...openaiTo(upstream.baseUrl), 'x-portkey-trace-id': 'redact-query' } });
    expect(r.status).toBe(200);
    const line = await logLine('redact-query');
    expect(line).not.toContain('qs-secret-0123456789');
    expect(line).not.toContain('google-style-0123456789');
    expect(JSON.parse(line).request.path).toBe('/v1/files?purpose=batch&api_key=[REDACTED]&key=[REDACTED]');
  });
});

describe('attack: an escaped field name (api\\u005fkey) in a body logged as truncated text', () => {
  it('the value is masked although the name is spelled with an escape', async () => {
    const body = `{"model":"gpt-4o-mini","api\\u005fkey":"escaped-secret-0123456789","messages":[{"role":"user","content":"${'x'.repeat(2000)}"}]}`;
    const r = await send('/v1/chat/completions', { headers: { ...openaiTo(upstream.baseUrl), 'x-portkey-trace-id': 'redact-escaped' }, body });
    expect(r.status).toBe(200);
    const line = await logLine('redact-escaped');
    expect(JSON.parse(line).request.body_truncated).toBe(true);
    expect(line).not.toContain('escaped-secret-0123456789');
  });
});

describe('attack: an upstream error that echoes the key', () => {
  it('a virtual key\'s secret is masked in the error the caller gets and in the log', async () => {
    upstream.answer({ status: 401, body: { error: { message: `Incorrect API key provided: ${VK_SECRET}. You can find your API key at https://platform.openai.com.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    const r = await send('/v1/chat/completions', { headers: { 'x-portkey-virtual-key': 'echoing', 'x-portkey-trace-id': 'redact-echo-vk' }, body: chat });
    expect(r.status).toBe(401);
    expect(r.text).not.toContain(VK_SECRET);
    expect(JSON.parse(r.text).error.message).toContain('Incorrect API key provided: [REDACTED]');
    expect(await logLine('redact-echo-vk')).not.toContain(VK_SECRET);
  });

  it('the caller\'s own key, echoed, is masked in the log too', async () => {
    upstream.answer({ status: 401, body: { error: { message: 'Incorrect API key provided: caller-own-key-0123456789.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    await send('/v1/chat/completions', { headers: { ...openaiTo(upstream.baseUrl), 'x-portkey-trace-id': 'redact-echo-own' }, body: chat });
    const line = await logLine('redact-echo-own');
    expect(line).not.toContain('caller-own-key-0123456789');
    expect(JSON.parse(line).error.message).toContain('[REDACTED]');
  });
});

describe('attack: a credential chosen to straddle a JSON escape or a number in the log line', () => {
  it('the line stays valid JSON, and the credential is masked wherever it is text', () => {
    // "nsecretvalue" occurs inside the escaped newline of "\nsecretvalue"; "1234567x" never in a number.
    const line = JSON.stringify({ a: 'line one\nsecretvalue here', b: 'nsecretvalue alone', n: 1234567 });
    const out = maskSecretsInLine(line, ['nsecretvalue', '1234567']);
    const parsed = JSON.parse(out);
    expect(parsed).toEqual({ a: 'line one\nsecretvalue here', b: '[REDACTED] alone', n: 1234567 });
    expect(maskSecretsInLine(line, ['secretvalue'])).toBe(JSON.stringify({ a: 'line one\n[REDACTED] here', b: 'n[REDACTED] alone', n: 1234567 }));
  });
});
