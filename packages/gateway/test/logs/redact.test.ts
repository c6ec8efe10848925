import { describe, expect, it } from 'vitest';
import { EXACT_NAMES, redactLogDocument, makeRedactor, REDACTED } from '../../src/logs/redact.js';
import { isLogId, logIdTimeMs, newLogId } from '../../src/logs/ids.js';
import { makeDoc, PLANTED_SECRETS } from './doc-fixture.js';

describe('redactLogDocument', () => {
  it('removes every planted credential and keeps what is not secret', () => {
    const doc = makeDoc('trace-1');
    const out = redactLogDocument(doc, []);
    const text = JSON.stringify(out);
    for (const s of PLANTED_SECRETS) expect(text, s).not.toContain(s);
    const h = out.request.headers;
    for (const name of ['authorization', 'x-portkey-api-key', 'x-portkey-aws-access-key-id', 'x-portkey-aws-secret-access-key', 'x-portkey-aws-session-token', 'x-goog-api-key', 'api-key', 'cookie']) {
      expect(h, name).not.toHaveProperty(name);
    }
    expect(h['x-portkey-virtual-key']).toBe('openai-prod');
    expect(h['x-portkey-aws-region']).toBe('us-east-1');
    expect(h['x-portkey-trace-id']).toBe('trace-1');
    expect(JSON.parse(h['x-portkey-config'])).toEqual({ provider: 'anthropic', api_key: REDACTED });
    expect(out.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect((out.request.body as { max_tokens: number }).max_tokens).toBe(64);
    expect((out.request.body as { messages: Array<{ content: string }> }).messages[0].content).toBe(`my key is ${REDACTED}, please keep it safe`);
    expect(out.metadata).toEqual({ _user: 'u-1' });
  });

  it('treats every x-portkey-aws-* header as a credential but those that say where and what', () => {
    const r = makeRedactor();
    for (const name of ['x-portkey-aws-region', 'x-portkey-aws-role-arn', 'x-portkey-aws-s3-bucket', 'x-portkey-aws-s3-object-key', 'x-portkey-aws-bedrock-model', 'x-portkey-aws-server-side-encryption', 'x-portkey-aws-auth-type']) {
      expect(r.isSecretName(name), name).toBe(false);
    }
    for (const name of ['x-portkey-aws-secret-access-key', 'x-portkey-aws-access-key-id', 'x-portkey-aws-session-token', 'x-portkey-aws-external-id', 'x-portkey-aws-server-side-encryption-kms-key-id', 'x-portkey-aws-s3-bucket-x']) {
      expect(r.isSecretName(name), name).toBe(true);
    }
  });

  it('removes a Vertex service account and Azure AD tokens', () => {
    const sa = JSON.stringify({ type: 'service_account', private_key_id: 'abc123', private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n', client_email: 'x@y.iam.gserviceaccount.com' });
    const doc = makeDoc('t-sa');
    const out = redactLogDocument({ ...doc, request: { ...doc.request, headers: { 'x-portkey-vertex-service-account-json': sa, 'x-portkey-azure-ad-token': 'eyJ0eXAi.x.y', 'x-portkey-provider': 'vertex-ai' } } });
    expect(out.request.headers).toEqual({ 'x-portkey-provider': 'vertex-ai' });
    expect(makeRedactor()({ ...doc, metadata: { note: sa } }).metadata!.note).not.toMatch(/MIIEvQIBADANBg|abc123/);
  });

  it('does not mutate its input', () => {
    const doc = makeDoc('trace-2');
    const before = JSON.stringify(doc);
    redactLogDocument(doc, ['model']);
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('removes configured extra fields at any depth, case-insensitively', () => {
    const doc = makeDoc('trace-3', Date.now(), {
      response: { status: 200, body: { data: [{ embedding: [1, 2], Patient_SSN: '123-45-6789' }] } },
    });
    const out = makeRedactor(['patient_ssn', ' x-internal '])({ ...doc, request: { ...doc.request, headers: { ...doc.request.headers, 'X-Internal': 'v' } } });
    expect(JSON.stringify(out)).not.toContain('123-45-6789');
    expect(out.request.headers).not.toHaveProperty('X-Internal');
    expect((out.response.body as { data: Array<Record<string, unknown>> }).data[0]).toEqual({ embedding: [1, 2] });
  });

  it('matches credential-like names but keeps token counts and logprobs', () => {
    const r = makeRedactor();
    const body = {
      client_secret: 'a', Password: 'b', apiKey: 'c', 'x-api-key': 'd', refresh_token: 'e', accessToken: 'f',
      private_key: 'g', aws_secret_access_key: 'h', max_tokens: 5, max_completion_tokens: 6,
      logprobs: { content: [{ token: 'Hi', logprob: -0.1 }] },
    };
    const out = r(makeDoc('t', Date.now(), { request: { method: 'POST', path: '/', endpoint: 'x', stream: false, headers: {}, body } }));
    expect(out.request.body).toEqual({ max_tokens: 5, max_completion_tokens: 6, logprobs: { content: [{ token: 'Hi', logprob: -0.1 }] } });
  });

  it('masks key formats inside strings, including truncated JSON text', () => {
    const r = makeRedactor();
    const truncated = '{"model":"x","api_key":"AIzaSyPLANTED-googleKey0123456789abcdefgh","messages":[{"content":"token AKIAIOSFODNN7EXAMPLE an';
    const out = r(makeDoc('t', Date.now(), { response: { status: 200, body: truncated, body_truncated: true } }));
    const s = out.response.body as string;
    expect(s).not.toContain('AIzaSy');
    expect(s).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(s).toContain('"api_key":"[REDACTED]"');
    expect(s).toContain('"model":"x"');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const out2 = r(makeDoc('t', Date.now(), { error: { message: `upstream said Bearer ${jwt} and ghp_${'a'.repeat(36)}`, type: 'x', code: null, status: 401 } }));
    expect(out2.error!.message).toBe(`upstream said ${REDACTED} and ${REDACTED}`);
    expect(r(makeDoc('t', Date.now(), { model: 'sk-short' })).model).toBe('sk-short');
  });

  it('finds every kind of credential name in raw JSON text, even where a duplicate key hides it from the parsed form', () => {
    const r = makeRedactor(['X-Tenant-Pin']);
    const names = [
      ...EXACT_NAMES, 'Proxy-Authorization', 'AWSAccessKeyId', 'x-portkey-aws-session-token',
      'client_secret', 'db_password', 'passwd', 'apiKey', 'api_key', 'accessKey', 'private-key', 'privateKey', 'refresh_token', 'SessionToken',
      'x-tenant-pin',
    ];
    for (const name of names) {
      const text = `{"a":{"${name}":"hunter2"},"a":"fine"}`;
      expect(r.needsRedaction!(JSON.parse(text)), name).toBe(false);
      expect(r.needsRedaction!(text), name).toBe(true);
      expect(r.provablyClean!(text), name).toBe(false);
    }
    for (const name of ['max_tokens', 'token', 'model', 'x-portkey-aws-region', 'content']) {
      // "token" and x-portkey-aws-region share a hint with credential names: not provably clean, still not redacted.
      expect(r.provablyClean!(`{"a":{"${name}":"hunter2"},"a":"fine"}`), name).toBe(!['token', 'x-portkey-aws-region'].includes(name));
      expect(r.needsRedaction!(`{"a":{"${name}":"hunter2"},"a":"fine"}`), name).toBe(false);
    }
  });
});

describe('provablyClean', () => {
  it('never calls clean a body that the parsed walk or the text scan would redact', () => {
    const r = makeRedactor(['X-Tenant-Pin']);
    const bodies = [
      '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is a fractal?\\nShort answer."}],"max_tokens":50}',
      '{"messages":[{"role":"user","content":"use key sk-abcdefghijklmnop0123"}]}',
      '{"p\\u0061ssword":"hunter2"}',
      '{"content":"s\\u006b-abcdefghijklmnop0123"}',
      '{"tool":{"arguments":"{\\"api_key\\":\\"abc\\"}"}}',
      '{"tool":{"arguments":"{\\"x-tenant-pin\\":\\"1234\\"}"}}',
      '{"a":{"client_secret":"x"},"a":1}',
      '{"auth":"Bearer abcdefghijk"}',
      '{"x-tenant-pin":"1234"}',
      '{"choices":[{"message":{"role":"assistant","content":"A fractal repeats itself.","refusal":null},"logprobs":null}],"usage":{"prompt_tokens":1}}',
    ];
    let clean = 0;
    for (const text of bodies) {
      if (!r.provablyClean!(text)) continue;
      clean++;
      expect(r.needsRedaction!(JSON.parse(text)), text).toBe(false);
      expect(r.needsRedaction!(text), text).toBe(false);
    }
    expect(clean).toBe(2); // the plain chat request and the plain completion
  });
});

describe('newLogId', () => {
  it('is a 26-char time-sortable id whose time reads back', () => {
    const t = Date.UTC(2026, 10, 28, 16, 59, 59, 999);
    const id = newLogId(t);
    expect(id).toHaveLength(26);
    expect(isLogId(id)).toBe(true);
    expect(logIdTimeMs(id)).toBe(t);
    expect(newLogId(t + 1) > newLogId(t)).toBe(true);
    const ids = new Set(Array.from({ length: 10_000 }, () => newLogId(t)));
    expect(ids.size).toBe(10_000);
    expect(logIdTimeMs('not-an-id')).toBeUndefined();
    expect(logIdTimeMs(crypto.randomUUID())).toBeUndefined();
  });
});

describe('batch id filter', () => {
  it('never misses a member and rarely admits a stranger', async () => {
    const { buildIdFilter, idFilterMayHave } = await import('../../src/logs/s3/id-filter.js');
    const ids = Array.from({ length: 500 }, () => newLogId());
    const f = buildIdFilter(ids);
    expect(f.length).toBeLessThan(1_900); // fits S3's 2 KB user-metadata limit with its name
    for (const id of ids) expect(idFilterMayHave(f, id)).toBe(true);
    let fp = 0;
    for (let i = 0; i < 20_000; i++) if (idFilterMayHave(f, newLogId())) fp++;
    expect(fp / 20_000).toBeLessThan(0.005);
    expect(idFilterMayHave('garbage', ids[0])).toBe(true);
    const small = buildIdFilter(['A']);
    expect(idFilterMayHave(small, 'A')).toBe(true);
    const big = buildIdFilter(Array.from({ length: 5_000 }, () => newLogId()));
    expect(big.length).toBeLessThan(1_900);
  });
});
