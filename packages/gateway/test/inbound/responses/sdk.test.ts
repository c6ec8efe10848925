/**
 * The official `openai` SDK (6.49.0) against a tiny /v1/responses server built from this module:
 * CreateResponse validation → fromResponsesRequest → scripted chat chunks → the stream encoder
 * (or toResponsesResponse). The SDK must assemble the final text and function calls itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, isGatewayError } from '../../../src/errors.js';
import { createResponsesStreamEncoder, fromResponsesRequest, toResponsesError, toResponsesResponse } from '../../../src/inbound/responses/index.js';
import type { ChatChunk, ChatCompletion, ChatRequest } from '../../../src/providers/types.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';
import { chunk, parseSse, reasoningThenTextChunks, textChunks, toolCallChunks, usage } from './fixtures.js';

/** The scripted upstream: the model name picks the chunk sequence. */
function script(model: string): ChatChunk[] | 'fail-mid-stream' {
  if (model === 'tools') return toolCallChunks();
  if (model === 'reasoning') return reasoningThenTextChunks();
  if (model === 'fail') return 'fail-mid-stream';
  return textChunks(['Hello', ', ', 'world', '!']);
}

function completionFor(req: ChatRequest): ChatCompletion {
  const message: ChatCompletion['choices'][number]['message'] =
    req.model === 'tools'
      ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }
      : { role: 'assistant', content: 'Hello, world!' };
  return { id: 'chatcmpl-1', object: 'chat.completion', created: 1764300000, model: req.model, choices: [{ index: 0, message, finish_reason: req.model === 'tools' ? 'tool_calls' : 'stop' }], usage };
}

const seen: ChatRequest[] = [];
const schemaErrors: string[] = [];

function sendError(res: http.ServerResponse, err: GatewayError): void {
  res.writeHead(err.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(toResponsesError(err)));
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let raw = '';
  for await (const c of req) raw += c;
  if (req.method !== 'POST' || req.url !== '/v1/responses') return sendError(res, new GatewayError({ status: 404, message: `no route ${req.method} ${req.url}` }));
  const body = JSON.parse(raw) as Record<string, unknown>;
  const invalid = validateOpenAI('CreateResponse', body);
  if (invalid.length) return sendError(res, new GatewayError({ status: 400, message: `SDK sent an invalid CreateResponse: ${invalid.join('; ')}` }));
  let chat: ChatRequest;
  try {
    chat = fromResponsesRequest(body);
  } catch (e) {
    if (isGatewayError(e)) return sendError(res, e);
    throw e;
  }
  seen.push(chat);
  const echo = body as Parameters<typeof toResponsesResponse>[1];
  if (!chat.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(toResponsesResponse(completionFor(chat), echo)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const enc = createResponsesStreamEncoder(echo);
  const write = (s: string) => {
    // Check every event on the wire, not only in unit tests.
    for (const ev of parseSse(s)) schemaErrors.push(...validateOpenAI('ResponseStreamEvent', ev.data));
    if (s) res.write(s);
  };
  const plan = script(chat.model);
  const chunks = plan === 'fail-mid-stream' ? textChunks(['partial']).slice(0, 2) : plan;
  for (const c of chunks) {
    write(enc.encode(c));
    await new Promise((r) => setImmediate(r));
  }
  write(plan === 'fail-mid-stream' ? enc.error(new GatewayError({ status: 502, message: 'bedrock error: modelStreamErrorException: the model stopped', type: 'upstream_error' })) : enc.end());
  res.end();
}

let server: http.Server;
let client: OpenAI;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.destroy(e instanceof Error ? e : new Error(String(e)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  expect(schemaErrors).toEqual([]);
});

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('openai SDK against the Responses translation', () => {
  it('responses.create({stream:true}) yields events the SDK types, ending in response.completed', async () => {
    const stream = await client.responses.create({ model: 'text', input: 'Say hello', instructions: 'Be brief.', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const ev of stream) events.push(ev);
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe('Hello, world!');
    const done = events[events.length - 1];
    expect(done.type).toBe('response.completed');
    if (done.type !== 'response.completed') return;
    expect(done.response.usage?.output_tokens).toBe(17);
    expect(seen[seen.length - 1]).toMatchObject({ model: 'text', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }] });
  });

  it('responses.stream() assembles the final text, with snapshots on the way', async () => {
    const snapshots: string[] = [];
    const stream = client.responses.stream({ model: 'text', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Say hello' }] }] });
    stream.on('response.output_text.delta', (e) => snapshots.push(e.snapshot));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Hello, world!');
    expect(final.status).toBe('completed');
    expect(snapshots).toEqual(['Hello', 'Hello, ', 'Hello, world', 'Hello, world!']);
  });

  it('responses.stream() assembles parallel function calls', async () => {
    const final = await client.responses.stream({ model: 'tools', input: 'Weather in Paris and Rome?', tools: [weatherTool] }).finalResponse();
    const calls = final.output.filter((o) => o.type === 'function_call');
    expect(calls.map((c) => [c.call_id, c.name, JSON.parse(c.arguments)])).toEqual([
      ['call_paris', 'get_weather', { city: 'Paris' }],
      ['call_rome', 'get_weather', { city: 'Rome' }],
    ]);
    expect(seen[seen.length - 1].tools?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', strict: true } });
  });

  it('responses.stream() keeps reasoning text and the answer', async () => {
    const final = await client.responses.stream({ model: 'reasoning', input: 'hi', reasoning: { effort: 'low' } }).finalResponse();
    expect(final.output_text).toBe('Hi there!');
    const reasoning = final.output.find((o) => o.type === 'reasoning');
    expect(reasoning?.content?.[0]).toEqual({ type: 'reasoning_text', text: 'The user wants a greeting.' });
    expect(seen[seen.length - 1].reasoning_effort).toBe('low');
  });

  it('a follow-up turn with function_call_output round-trips through the SDK types', async () => {
    const first = await client.responses.create({ model: 'tools', input: 'Weather in Paris?', tools: [weatherTool] });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ call_id: 'call_paris', arguments: '{"city":"Paris"}' });
    if (!call || call.type !== 'function_call') return;
    const second = await client.responses.create({
      model: 'text',
      input: [{ role: 'user', content: 'Weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '18C and sunny' }],
      tools: [weatherTool],
    });
    expect(second.output_text).toBe('Hello, world!');
    expect(seen[seen.length - 1].messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_paris', content: '18C and sunny' },
    ]);
  });

  it('a mid-stream failure surfaces as an SDK APIError', async () => {
    const stream = client.responses.stream({ model: 'fail', input: 'hi' });
    const failed: string[] = [];
    stream.on('response.failed', (e) => failed.push(e.response.status ?? ''));
    await expect(stream.finalResponse()).rejects.toThrow(/modelStreamErrorException/);
    expect(failed).toEqual(['failed']);
  });

  it('a built-in tool is a 400 the SDK raises as BadRequestError', async () => {
    const err = await client.responses.create({ model: 'text', input: 'news', tools: [{ type: 'web_search' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/web_search.*provider must support it natively/);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tools[0].type');
  });

  it('an unknown previous_response_id is a 404 the SDK raises as NotFoundError', async () => {
    const err = await client.responses.create({ model: 'text', input: 'again', previous_response_id: 'resp_abc' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(String((err as Error).message)).toMatch(/not found/);
  });

  it('the scripted chunks are realistic', () => {
    // guards the fixtures: a bare content chunk must be a valid chat chunk
    expect(validateOpenAI('CreateChatCompletionStreamResponse', chunk({ content: 'x' }))).toEqual([]);
  });
});
