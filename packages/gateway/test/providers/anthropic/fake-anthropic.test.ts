/** The fake Anthropic upstream, checked with the official @anthropic-ai/sdk client and against the published schema. */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../../fakes/anthropic.js';
import { assertAnthropic, assertAnthropicStreamEvent, parseAnthropicSse } from '../../helpers/anthropic-schema.js';

const KEY = 'sk-ant-test-key';
let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: KEY });
  client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const weather = { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${fake.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('fake Anthropic with the official SDK', () => {
  it('answers messages.create with a schema-valid Message and records the request', async () => {
    const msg = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi there' }] });
    assertAnthropic('Message', msg);
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Hello from fake Anthropic. You said: Hi there' });
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(fake.requests[0].headers['anthropic-version']).toBe('2023-06-01');
    expect(fake.requests[0].headers['x-api-key']).toBe(KEY);
  });

  it('streams with client.messages.stream and the final message matches', async () => {
    const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'stream please' }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe('Hello from fake Anthropic. You said: stream please');
    expect(final.content[0]).toMatchObject({ type: 'text', text });
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(1);
  });

  it('streams a tool_use with input_json_delta and a signed thinking block', async () => {
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tools: [weather],
      messages: [{ role: 'user', content: 'What is the weather in Paris? use get_weather' }],
    });
    const final = await stream.finalMessage();
    expect(final.content.map((c) => c.type)).toEqual(['thinking', 'tool_use']);
    expect(final.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'example' } });
    expect((final.content[0] as { signature: string }).signature).toMatch(/^sig_/);
    expect(final.stop_reason).toBe('tool_use');
  });

  it('sends the exact SSE event sequence, every event schema-valid', async () => {
    const r = await post({ model: 'claude-haiku-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x' }] });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseAnthropicSse(r.text);
    for (const e of events) assertAnthropicStreamEvent(e.data);
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('message_start');
    expect(types.slice(1, 3)).toEqual(['content_block_start', 'ping']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('continues after a tool_result and rejects unpaired tool_use / tool_result', async () => {
    const use = { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] };
    const ok = await client.messages.create({
      model: 'claude-sonnet-4-6', max_tokens: 100, tools: [weather],
      messages: [{ role: 'user', content: 'weather?' }, use, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] }],
    });
    expect(ok.content[0]).toMatchObject({ type: 'text', text: 'Tool result received: sunny' });

    const missing = await post({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'a' }, use, { role: 'user', content: 'no result' }] });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text).error.message).toContain('`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1');
    const stray = await post({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }] }] });
    expect(JSON.parse(stray.text).error.message).toContain('unexpected `tool_use_id`');
  });

  it.each([
    [{ max_tokens: 10, messages: [{ role: 'user', content: 'a' }] }, 'model: Field required'],
    [{ model: 'm', messages: [{ role: 'user', content: 'a' }] }, 'max_tokens: Field required'],
    [{ model: 'm', max_tokens: 10, messages: [] }, 'messages: at least one message'],
    [{ model: 'm', max_tokens: 10, messages: [{ role: 'system', content: 'a' }] }, "messages.0.role: Input should be 'user' or 'assistant'"],
    [{ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }, 'roles must alternate'],
    [{ model: 'm', max_tokens: 10, n: 2, messages: [{ role: 'user', content: 'a' }] }, 'n: Extra inputs are not permitted'],
    [{ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, 'text content blocks must be non-empty'],
    [{ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, "Input tag 'image_url'"],
    [{ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'AAAA' } }] }] }, 'media_type'],
    [{ model: 'm', max_tokens: 10, tools: [{ name: 'bad name!', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'a' }] }, 'tools.0.custom.name'],
    [{ model: 'm', max_tokens: 10, tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'a' }] }, 'tool_choice may only be specified while providing tools'],
    [{ model: 'm', max_tokens: 1500, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: [{ role: 'user', content: 'a' }] }, '`max_tokens` must be greater than `thinking.budget_tokens`'],
    [{ model: 'm', max_tokens: 10, temperature: 2, messages: [{ role: 'user', content: 'a' }] }, 'temperature'],
  ])('rejects a malformed body with 400 invalid_request_error (%#)', async (body, msg) => {
    const r = await post(body);
    expect(r.status).toBe(400);
    const parsed = JSON.parse(r.text);
    assertAnthropic('ErrorResponse', parsed);
    expect(parsed.error.type).toBe('invalid_request_error');
    expect(parsed.error.message).toContain(msg);
  });

  it('requires x-api-key (401) and anthropic-version (400), and the SDK surfaces them', async () => {
    const noKey = await post({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] }, { 'x-api-key': '' });
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.text).error.type).toBe('authentication_error');
    const noVersion = await post({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] }, { 'anthropic-version': '' });
    expect(noVersion.status).toBe(400);
    expect(JSON.parse(noVersion.text).error.message).toContain('anthropic-version');
    const bad = new Anthropic({ apiKey: 'wrong', baseURL: fake.url, maxRetries: 0 });
    await expect(bad.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('scripts 429 with retry-after, 500 and 529 from the queue; the SDK sees the status and type', async () => {
    fake.enqueue({ status: 429, retryAfter: '7' }, { status: 500 }, { status: 529 });
    const r = await post({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(JSON.parse(r.text).error.type).toBe('rate_limit_error');
    await expect(client.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] })).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    const over = await client.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] }).catch((e: unknown) => e);
    expect(over).toBeInstanceOf(Anthropic.APIError);
    expect((over as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect(JSON.stringify((over as InstanceType<typeof Anthropic.APIError>).error)).toContain('overloaded_error');
  });

  it('scripts by header, delays before headers, and cuts a stream mid-way', async () => {
    const t0 = Date.now();
    const delayed = await post({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] }, { 'x-fake-behaviour': JSON.stringify({ delayMs: 150 }) });
    expect(delayed.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    const cut = client.messages.stream({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'a' }] }, { headers: { 'x-fake-behaviour': JSON.stringify({ cutAfterEvents: 3 }) } });
    await expect(cut.finalMessage()).rejects.toThrow();
  });

  it('sends an error event mid-stream that the SDK raises as overloaded', async () => {
    fake.enqueue({ errorEventAfter: 3, errorType: 'overloaded_error' });
    const r = await post({ model: 'm', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'a' }] });
    const events = parseAnthropicSse(r.text);
    expect(events.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'ping', 'error']);
    assertAnthropicStreamEvent(events[3].data);
    fake.enqueue({ errorEventAfter: 3 });
    const s = client.messages.stream({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'a' }] });
    await expect(s.finalMessage()).rejects.toThrow(/Overloaded|overloaded/);
  });

  it('applies stop_sequences and max_tokens, and counts tokens', async () => {
    const stopped = await client.messages.create({ model: 'm', max_tokens: 100, stop_sequences: ['said'], messages: [{ role: 'user', content: 'a' }] });
    expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'said', content: [{ text: 'Hello from fake Anthropic. You ' }] });
    const short = await client.messages.create({ model: 'm', max_tokens: 2, messages: [{ role: 'user', content: 'a' }] });
    expect(short.stop_reason).toBe('max_tokens');
    const count = await client.messages.countTokens({ model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    expect(count.input_tokens).toBeGreaterThan(0);
  });
});
