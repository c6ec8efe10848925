/** The anthropic provider end to end against the fake Anthropic upstream (which validates bodies like the API). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { anthropicProvider, createAnthropicNativeStreamObserver, usageFromAnthropicMessage } from '../../../src/providers/anthropic/index.js';
import type { ChatChunk, ChatCompletion, ChatRequest, FramedEvent, ProviderTarget, UpstreamRequest } from '../../../src/providers/types.js';
import { startFakeAnthropic, type FakeAnthropic } from '../../fakes/anthropic.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

const KEY = 'sk-ant-provider-test';
let fake: FakeAnthropic;
let target: ProviderTarget;
const chat = anthropicProvider.chat!;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: KEY });
  target = { provider: 'anthropic', apiKey: KEY, customHost: fake.baseUrlV1, settings: {} };
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

async function send(r: UpstreamRequest): Promise<Response> {
  return fetch(r.url, { method: r.method, headers: r.headers, body: r.body as string });
}

/** Minimal SSE framing for the test (the gateway's framer lives elsewhere). */
function frames(text: string): FramedEvent[] {
  return text.split('\n\n').filter((f) => f.trim()).map((f) => {
    const lines = f.split('\n');
    return { event: lines.find((l) => l.startsWith('event: '))?.slice(7), data: lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n') };
  });
}

async function complete(req: ChatRequest): Promise<ChatCompletion> {
  const res = await send(chat.toRequest(req, target, { stream: false }));
  const text = await res.text();
  if (!res.ok) throw anthropicProvider.mapError(res.status, text, Object.fromEntries(res.headers));
  return chat.fromResponse(JSON.parse(text), req, target);
}

async function stream(req: ChatRequest, headers: Record<string, string> = {}): Promise<ChatChunk[]> {
  const up = chat.toRequest({ ...req, stream: true }, target, { stream: true });
  const res = await send({ ...up, headers: { ...up.headers, ...headers } });
  if (!res.ok) throw anthropicProvider.mapError(res.status, await res.text(), Object.fromEntries(res.headers));
  // Read what arrives; a cut connection ends the read with an error, and the mapping must notice.
  let text = '';
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
  } catch {
    // the socket was destroyed mid-stream
  }
  const state = chat.stream!.createState({ model: req.model, includeUsage: true });
  const out = frames(text).flatMap((f) => chat.stream!.fromEvent(state, f));
  out.push(...chat.stream!.finish(state));
  return out;
}

/** Resolves to the GatewayError the call must fail with; fails the test if it succeeds. */
async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const r = await p.then(() => undefined, (e: unknown) => e);
  if (!(r instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(r)}`);
  return r;
}

const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

describe('anthropic provider against the fake upstream', () => {
  it('completes a chat with system prompt, image and default max_tokens', async () => {
    const out = await complete({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0].message.content).toBe('Hello from fake Anthropic. You said: Describe');
    const sent = fake.requests[0];
    expect(sent.headers['x-api-key']).toBe(KEY);
    expect(sent.body).toMatchObject({ system: 'Be brief.', max_tokens: 4096 });
  });

  it('runs a full tool round trip: tool_calls out, tool results back in', async () => {
    const first = await complete({ model: 'm', tools: [weatherTool], tool_choice: 'required', messages: [{ role: 'user', content: 'weather in Paris?' }] });
    const call = first.choices[0].message.tool_calls![0];
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'example' });
    const second = await complete({
      model: 'm',
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'weather in Paris?' }, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18C and sunny' }],
    });
    expect(second.choices[0].message.content).toBe('Tool result received: 18C and sunny');
  });

  it('streams text and tool calls with usage, and the deltas rebuild the message', async () => {
    const text = await stream({ model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    for (const c of text) assertOpenAI('CreateChatCompletionStreamResponse', c);
    expect(text.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from fake Anthropic. You said: hello');
    expect(text[text.length - 1]).toMatchObject({ choices: [], usage: { completion_tokens: expect.any(Number) } });

    const tools = await stream({ model: 'm', tools: [weatherTool], thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'use get_weather' }] });
    const deltas = tools.flatMap((c) => c.choices.map((x) => x.delta));
    expect(deltas.map((d) => d.reasoning_content ?? '').join('')).toContain('The user wrote');
    const args = deltas.flatMap((d) => d.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ city: 'example' });
    expect(tools.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');

    // The signed thinking block arrives whole; sent back with the tool result, it reaches Anthropic first, verbatim.
    const blocks = deltas.flatMap((d) => (d.thinking_blocks as Array<Record<string, string>> | undefined) ?? []);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ type: 'thinking', thinking: deltas.map((d) => d.reasoning_content ?? '').join('') });
    expect(blocks[0].signature.length).toBeGreaterThan(0);
    const call = deltas.flatMap((d) => d.tool_calls ?? []).find((t) => t.id)!;
    const before = fake.requests.length;
    const next = await stream({
      model: 'm', tools: [weatherTool], thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user', content: 'use get_weather' },
        { role: 'assistant', content: null, thinking_blocks: blocks, tool_calls: [{ id: call.id!, type: 'function', function: { name: 'get_weather', arguments: args } }] },
        { role: 'tool', tool_call_id: call.id!, content: '18C' },
      ],
    });
    expect(next.map((c) => c.choices[0]?.delta.content ?? '').join('')).toContain('18C');
    const sent = fake.requests[before].body as { messages: Array<{ role: string; content: Array<Record<string, unknown>> }> };
    expect(sent.messages[1].content[0]).toEqual(blocks[0]);
  });

  it('maps scripted 429 (with retry-after) and 529 to GatewayErrors with the same status', async () => {
    fake.enqueue({ status: 429, retryAfter: '3' }, { status: 529 });
    const rate = await failure(complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect([rate.status, rate.type, rate.headers['retry-after']]).toEqual([429, 'rate_limit_error', '3']);
    const over = await failure(stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect([over.status, over.type]).toEqual([529, 'overloaded_error']);
  });

  it('turns a mid-stream error event into a thrown 529, and a cut stream into a truncation error', async () => {
    const mid = await failure(stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { 'x-fake-behaviour': '{"errorEventAfter":4}' }));
    expect(mid).toBeInstanceOf(GatewayError);
    expect(mid.status).toBe(529);
    const cut = await failure(stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { 'x-fake-behaviour': '{"cutAfterEvents":4}' }));
    expect(cut).toBeInstanceOf(GatewayError);
    expect(cut.message).toMatch(/ended before message_stop \(last event: content_block_delta\)/);
  });

  it('passes native /v1/messages bodies through, with usage from the observer and from the body', async () => {
    const p = anthropicProvider.passthrough!('/v1/messages', target);
    const body = { model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'native' }] };
    const res = await fetch(p.url, { method: 'POST', headers: p.headers, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(usageFromAnthropicMessage(await res.json())?.prompt_tokens).toBeGreaterThan(0);

    const sres = await fetch(p.url, { method: 'POST', headers: p.headers, body: JSON.stringify({ ...body, stream: true }) });
    const o = createAnthropicNativeStreamObserver();
    for (const f of frames(await sres.text())) o.observe(f);
    expect(o.completed()).toBe(true);
    expect(o.usage()?.completion_tokens).toBeGreaterThan(0);

    const count = anthropicProvider.passthrough!('/v1/messages/count_tokens', target);
    const cres = await fetch(count.url, { method: 'POST', headers: count.headers, body: JSON.stringify({ model: 'm', messages: body.messages }) });
    expect(((await cres.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });
});
