/**
 * The inbound pieces composed the way the gateway will: @anthropic-ai/sdk → a minimal in-test
 * /v1/messages handler (fromAnthropicMessagesRequest → anthropic provider, translated → fake Anthropic
 * → OpenAI chunks → createAnthropicStreamEncoder / toAnthropicMessage / toAnthropicError) → SDK.
 * This proves the pieces fit; the real server wiring belongs to the gateway.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { createAnthropicStreamEncoder, fromAnthropicMessagesRequest, toAnthropicError, toAnthropicMessage } from '../../../src/inbound/anthropic-messages/index.js';
import { anthropicProvider } from '../../../src/providers/anthropic/index.js';
import type { ProviderTarget } from '../../../src/providers/types.js';
import { startFakeAnthropic, type FakeAnthropic } from '../../fakes/anthropic.js';

let fake: FakeAnthropic;
let server: http.Server;
let client: Anthropic;
const chat = anthropicProvider.chat!;

async function handle(raw: string, res: http.ServerResponse, scripted: string | undefined): Promise<void> {
  const req = fromAnthropicMessagesRequest(JSON.parse(raw));
  const target: ProviderTarget = { provider: 'anthropic', apiKey: 'sk-ant-x', customHost: fake.baseUrlV1, settings: {} };
  const up = chat.toRequest(req, target, { stream: req.stream === true });
  const r = await fetch(up.url, { method: up.method, headers: { ...up.headers, ...(scripted ? { 'x-fake-behaviour': scripted } : {}) }, body: up.body as string });
  if (!r.ok) throw anthropicProvider.mapError(r.status, await r.text(), Object.fromEntries(r.headers));
  if (!req.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(toAnthropicMessage(chat.fromResponse(await r.json(), req, target))));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const enc = createAnthropicStreamEncoder({ model: req.model });
  const state = chat.stream!.createState({ model: req.model, includeUsage: true });
  let buf = '';
  const dec = new TextDecoder();
  try {
    for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(part, { stream: true });
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const lines = frame.split('\n');
        const ev = { event: lines.find((l) => l.startsWith('event: '))?.slice(7), data: lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n') };
        for (const chunk of chat.stream!.fromEvent(state, ev)) res.write(enc.encode(chunk));
      }
    }
    chat.stream!.finish(state);
    res.end(enc.end());
  } catch (e) {
    const err = e instanceof GatewayError ? e : new GatewayError({ status: 502, message: `upstream stream failed: ${(e as Error).message}` });
    res.end(enc.error(err));
  }
}

beforeAll(async () => {
  fake = await startFakeAnthropic();
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const scripted = req.headers['x-fake-behaviour'] as string | undefined;
      handle(raw, res, scripted).catch((e: unknown) => {
        const { status, body } = toAnthropicError(e instanceof GatewayError ? e : new GatewayError({ status: 500, message: String(e) }));
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new Anthropic({ apiKey: 'gateway-key', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries: 0 });
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await fake.close();
});

const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }];

describe('Anthropic SDK through the translated path', () => {
  it('creates a message and completes a tool round trip', async () => {
    const first = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 200, system: 'brief', tools, messages: [{ role: 'user', content: 'use get_weather for Paris' }] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use')!;
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'example' } });
    const second = await client.messages.create({
      model: 'claude-haiku-4-5', max_tokens: 200, tools,
      messages: [{ role: 'user', content: 'use get_weather for Paris' }, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: (use as { id: string }).id, content: '21C' }] }],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'Tool result received: 21C' }]);
    expect(second.id).toMatch(/^msg_/);
  });

  it('streams text, thinking and tool use with usage', async () => {
    const s = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools, messages: [{ role: 'user', content: 'call get_weather' }] });
    const final = await s.finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('answers errors in Anthropic shape: 400 from inbound validation, 429 from upstream, error event mid-stream', async () => {
    const bad = await client.messages.create({ model: 'm', max_tokens: 5, messages: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((bad as Error).message)).toContain('messages');
    const limited = await client.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] }, { headers: { 'x-fake-behaviour': '{"status":429}' } }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    const mid = client.messages.stream({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'a' }] }, { headers: { 'x-fake-behaviour': '{"errorEventAfter":4}' } });
    await expect(mid.finalMessage()).rejects.toThrow(/Overloaded/);
    const cut = client.messages.stream({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'a' }] }, { headers: { 'x-fake-behaviour': '{"cutAfterEvents":4}' } });
    await expect(cut.finalMessage()).rejects.toThrow(/ended before message_stop|terminated/);
  });
});
