/**
 * default.validUrls (syntax, and DNS with onlyDNS, never a connection to the URLs) and the PII
 * patterns of default.redact_pii: unit cases, then through the gateway with the openai SDK.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileCheck } from '../../src/guardrails/checks.js';
import { findUrls, validUrlSyntax } from '../../src/guardrails/network-checks.js';
import { luhn, scanPii } from '../../src/guardrails/pii.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('URL syntax', () => {
  it('finds http(s) URLs in text, without the punctuation that ends a sentence', () => {
    expect(findUrls('see https://example.com/a?b=1. Or (http://x.org/y), then ftp://no.pe')).toEqual(['https://example.com/a?b=1', 'http://x.org/y']);
  });

  it('tells well-formed URLs from broken ones', () => {
    for (const ok of ['https://example.com', 'http://a-b.example.co.uk:8080/p', 'http://127.0.0.1/x', 'http://[::1]:80/']) expect(validUrlSyntax(ok), ok).toBe(true);
    for (const bad of ['https://exa mple.com', 'http://-bad.com/', 'https://example..com', 'http://1.2.3.999/', 'https://:80/', 'http://a_b.com/', 'https://example.com:99999/']) {
      expect(validUrlSyntax(bad), bad).toBe(false);
    }
  });

  it('checks syntax only without onlyDNS, and resolves hosts with it', async () => {
    const syntax = compileCheck('default.validUrls', {});
    expect(await syntax({ text: 'docs at https://example..com/x' })).toMatchObject({ verdict: false, data: { checked: 'syntax', invalidURLs: ['https://example..com/x'] } });
    const dns = compileCheck('default.validUrls', { onlyDNS: true });
    expect(await dns({ text: 'go to http://localhost:1/a and http://127.0.0.1/b' })).toMatchObject({ verdict: true, data: { checked: 'syntax, then DNS' } });
    // .invalid never resolves (RFC 6761), online or off.
    expect(await dns({ text: 'see https://no-such-host.invalid/page' })).toMatchObject({ verdict: false, data: { unresolvedHosts: ['no-such-host.invalid'] } });
    const many = Array.from({ length: 11 }, (_, i) => `https://h${i}.invalid/`).join(' ');
    await expect(dns({ text: many })).rejects.toThrow(/names 11 hosts; onlyDNS resolves at most 10/);
  });
});

describe('PII patterns', () => {
  it('Luhn tells card numbers from other long numbers', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('5500005555555559')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(luhn('123')).toBe(false);
  });

  it('finds each category, and leaves near misses alone', () => {
    const { text, found } = scanPii(
      'a@b.io; +1 415-555-0134; 4111-1111-1111-1111; 078-05-1120; 192.168.0.1; 2001:db8::8a2e:370:7334',
      ['email', 'phone', 'credit_card', 'ssn', 'ip_address'],
    );
    expect(text).toBe('[EMAIL_ADDRESS]; [PHONE_NUMBER]; [CREDIT_CARD]; [SSN]; [IP_ADDRESS]; [IP_ADDRESS]');
    expect(found).toEqual({ email: 1, phone: 1, credit_card: 1, ssn: 1, ip_address: 2 });
    // A 16-digit number failing Luhn, an SSN with a never-issued area, an octet over 255, a time of day.
    const misses = 'order 4111111111111112, id 900-12-3456, v 300.1.2.3, at 10:30:00';
    expect(scanPii(misses, ['credit_card', 'ssn', 'ip_address']).text).toBe(misses);
  });

  it('default.redact_pii detects without rewriting when redact is false', async () => {
    const check = compileCheck('default.redact_pii', { redact: false, patterns: ['email'] });
    const out = await check({ text: 'x@y.com', texts: ['x@y.com'] });
    expect(out).toMatchObject({ verdict: false, data: { found: { email: 1 }, redacted: false } });
    expect(out.texts).toBeUndefined();
    expect(() => compileCheck('default.redact_pii', { patterns: ['passport'] })).toThrow(/must be a non-empty array of credit_card, ssn, ip_address, phone, email/);
  });
});

describe('default.validUrls through the gateway', () => {
  let gw: TestGateway;
  let upstream: FakeOpenAI;
  let target: Server;
  let targetUrl: string;
  let connections = 0;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    gw = await startTestGateway();
    target = createServer((_req, res) => res.end('ok'));
    target.on('connection', () => connections++);
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/page`;
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    target?.closeAllConnections();
    await new Promise((r) => target?.close(r));
  });
  beforeEach(() => upstream.reset());

  const client = () => new OpenAI({
    apiKey: 'sk-test-urls-key-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
    defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, output_guardrails: [{ id: 'urls', 'default.validUrls': { onlyDNS: true } }] }) },
  });

  it('flags an answer with a URL whose host does not resolve (246), passes one that does, and never connects to either', async () => {
    upstream.enqueue({ text: `read ${targetUrl} first` });
    const good = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'links?' }] }).withResponse();
    expect(good.response.status).toBe(200);
    upstream.enqueue({ text: 'read https://made-up-docs.invalid/guide' });
    const bad = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'links?' }] }).withResponse();
    expect(bad.response.status).toBe(246);
    const hook = (bad.data as unknown as { hook_results: { after_request_hooks: Array<{ checks: Array<{ data: { invalidURLs: string[] } }> }> } }).hook_results.after_request_hooks[0];
    expect(hook.checks[0].data.invalidURLs).toEqual(['https://made-up-docs.invalid/guide']);
    expect(connections).toBe(0);
  });
});
