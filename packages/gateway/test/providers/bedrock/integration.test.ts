/**
 * The provider end to end against the fake Bedrock: toRequest → authorize (SigV4 via @smithy) → undici →
 * fake (signature recomputed with aws4, body checked against the Smithy model) → framer → mapping.
 */
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { bedrockProvider, clearBedrockCredentialCache, fromBedrockEmbeddingResponses, toBedrockEmbeddingRequests } from '../../../src/providers/bedrock/index.js';
import type { ChatChunk, ChatRequest, ProviderTarget, UpstreamRequest } from '../../../src/providers/types.js';
import { createAwsEventStreamFramer } from '../../../src/streaming/framers/aws-eventstream.js';
import { FAKE_AWS_CREDENTIALS, startFakeBedrock, type FakeAwsCredential, type FakeBedrock } from '../../fakes/bedrock.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { assertBedrock } from './bedrock-schema.js';
import { startFakeSts, type FakeSts } from './fake-sts.js';

const PROFILE = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0';
const SESSION: FakeAwsCredential = { accessKeyId: 'ASIASESSION000000001', secretAccessKey: 'sessionSecret/000000000000000000000000', sessionToken: 'IQoJb3JpZ2luX2VjEFAKESESSION' };
const ROLE = 'arn:aws:iam::123456789012:role/PorticoBedrock';

let fake: FakeBedrock;
let sts: FakeSts;
const accepted: FakeAwsCredential[] = [FAKE_AWS_CREDENTIALS, SESSION];

const target = (settings: Record<string, string> = {}): ProviderTarget => ({
  provider: 'bedrock',
  customHost: fake.url,
  settings: { aws_access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, aws_secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, aws_region: 'us-east-1', ...settings },
});

async function send(up: UpstreamRequest, t: ProviderTarget) {
  const signed = await bedrockProvider.authorize!(up, t);
  return request(signed.url, { method: signed.method, headers: signed.headers, body: signed.body });
}

async function chat(req: ChatRequest, t = target()) {
  const res = await send(bedrockProvider.chat!.toRequest(req, t, { stream: false }), t);
  const text = await res.body.text();
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
  if (res.statusCode !== 200) throw bedrockProvider.mapError(res.statusCode, text, headers);
  return bedrockProvider.chat!.fromResponse(JSON.parse(text), req, t);
}

/** Streams like the gateway will: bytes → event-stream framer → mapping; errors surface as thrown GatewayErrors. */
async function stream(req: ChatRequest, t = target(), includeUsage = true): Promise<ChatChunk[]> {
  const res = await send(bedrockProvider.chat!.toRequest(req, t, { stream: true }), t);
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw bedrockProvider.mapError(res.statusCode, text, Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])));
  }
  expect(res.headers['content-type']).toBe('application/vnd.amazon.eventstream');
  const mapping = bedrockProvider.chat!.stream!;
  expect(mapping.framer).toBe('eventstream');
  const framer = createAwsEventStreamFramer();
  const state = mapping.createState({ model: req.model, includeUsage });
  const out: ChatChunk[] = [];
  for await (const chunk of res.body) for (const ev of framer.push(chunk as Uint8Array)) out.push(...mapping.fromEvent(state, ev));
  for (const ev of framer.end()) out.push(...mapping.fromEvent(state, ev));
  out.push(...mapping.finish(state));
  return out;
}

const text = (chunks: ChatChunk[]) => chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');
const lastRequest = () => fake.requests[fake.requests.length - 1]!;

beforeAll(async () => {
  fake = await startFakeBedrock({ credentials: accepted });
  sts = await startFakeSts({ region: 'us-east-1', callers: [FAKE_AWS_CREDENTIALS], roles: { [ROLE]: 'portico-ext' }, issued: accepted });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
});
afterAll(async () => {
  await fake.close();
  await sts.close();
});
beforeEach(() => {
  fake.reply({});
  fake.coalesce(false);
  clearBedrockCredentialCache();
});

describe('Converse through the fake Bedrock', () => {
  it('signs an inference-profile model id (":" double-encoded for SigV4) and maps the answer', async () => {
    fake.reply({ text: 'Bonjour.', usage: { inputTokens: 20, outputTokens: 3, cacheReadInputTokens: 100 } });
    const out = await chat({ model: PROFILE, messages: [{ role: 'system', content: 'French.' }, { role: 'user', content: 'Hello' }], max_tokens: 64 });
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0]!.message.content).toBe('Bonjour.');
    expect(out.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 100 } });
    const r = lastRequest();
    expect([r.signature, r.operation, r.modelId, r.path]).toEqual(['valid', 'converse', PROFILE, '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse']);
    assertBedrock('ConverseRequest', r.body);
  });

  it('signs an inference-profile ARN (with "/" in the model id)', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
    const out = await chat({ model: arn, messages: [{ role: 'user', content: 'Hi' }] });
    expect(out.choices[0]!.message.content).toBe('Hello from the fake Bedrock.');
    expect([lastRequest().signature, lastRequest().modelId]).toEqual(['valid', arn]);
  });

  it('streams text, reasoning and a tool call, with usage in the stream (one write per message and coalesced)', async () => {
    fake.reply({ reasoning: 'Think first.', text: 'Calling a tool.', toolUse: { name: 'get_weather', input: { city: 'Oslo' } }, usage: { inputTokens: 50, outputTokens: 25 } });
    for (const coalesce of [false, true]) {
      fake.coalesce(coalesce);
      const chunks = await stream({
        model: PROFILE,
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      });
      for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
      expect(text(chunks)).toBe('Calling a tool.');
      expect(chunks.flatMap((c) => c.choices.map((x) => x.delta.reasoning_content ?? '')).join('')).toBe('Think first.');
      // The signed block, whole, once its signature arrives: the client sends it back on the next turn.
      expect(chunks.flatMap((c) => c.choices.flatMap((x) => (x.delta.thinking_blocks as unknown[] | undefined) ?? []))).toEqual([{ type: 'thinking', thinking: 'Think first.', signature: 'c2lnbmF0dXJl' }]);
      const args = chunks.flatMap((c) => c.choices.flatMap((x) => x.delta.tool_calls ?? [])).map((t) => t.function?.arguments ?? '').join('');
      expect(JSON.parse(args)).toEqual({ city: 'Oslo' });
      expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('tool_calls');
      expect(chunks[chunks.length - 1]!.usage).toEqual({ prompt_tokens: 50, completion_tokens: 25, total_tokens: 75, prompt_tokens_details: { cached_tokens: 0 } });
      expect(lastRequest().signature).toBe('valid');
      assertBedrock('ConverseStreamRequest', lastRequest().body);
    }
  });

  it('sends a multi-turn tool conversation the fake accepts (alternating roles, toolConfig present)', async () => {
    const out = await chat({
      model: 'amazon.nova-pro-v1:0',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'tooluse_1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'tooluse_1', content: 'rain' },
      ],
    });
    expect(out.choices[0]!.message.content).toBe('Hello from the fake Bedrock.');
  });
});

describe('faults', () => {
  it('throttling → 429 ThrottlingException, with AWS\'s message', async () => {
    fake.fault({ kind: 'throttle' });
    const e = await chat({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GatewayError);
    expect([(e as GatewayError).status, (e as GatewayError).code]).toEqual([429, 'ThrottlingException']);
    expect((e as GatewayError).message).toMatch(/Too many requests/);
  });

  it('an exception mid-stream surfaces as a GatewayError after the chunks already sent', async () => {
    fake.fault({ kind: 'stream-exception', afterEvents: 3, exceptionType: 'throttlingException', message: 'Too many tokens, please wait before trying again.' });
    const e = await stream({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GatewayError);
    expect([(e as GatewayError).status, (e as GatewayError).code]).toEqual([429, 'ThrottlingException']);
    fake.fault({ kind: 'stream-error', afterEvents: 1, code: 'InternalFailure', message: 'oops' });
    await expect(stream({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(/InternalFailure during the stream: oops/);
  });

  it('a cut stream never looks like a clean finish: at a message boundary, mid-message, or corrupted', async () => {
    const req: ChatRequest = { model: PROFILE, messages: [{ role: 'user', content: 'x' }] };
    fake.fault({ kind: 'cut', afterEvents: 4 });
    await expect(stream(req)).rejects.toThrow(/before messageStop/);
    fake.fault({ kind: 'cut', afterEvents: 4, midMessage: true });
    await expect(stream(req)).rejects.toThrow(/ended inside a message/);
    fake.fault({ kind: 'corrupt', atEvent: 2 });
    await expect(stream(req)).rejects.toThrow(/message checksum mismatch/);
  });

  it('a wrong secret is refused by the independent signature check (403 InvalidSignatureException)', async () => {
    const e = await chat({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }, target({ aws_secret_access_key: 'not-the-secret' })).catch((x: unknown) => x);
    expect([(e as GatewayError).status, (e as GatewayError).code]).toEqual([403, 'InvalidSignatureException']);
    expect((e as GatewayError).message).not.toContain('not-the-secret');
    const wrongRegion = await chat({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }, target({ aws_region: 'eu-west-1' })).catch((x: unknown) => x);
    expect((wrongRegion as GatewayError).status).toBe(403);
  });
});

describe('credentials end to end', () => {
  it('session credentials send x-amz-security-token, and the fake checks it', async () => {
    const t = target({ aws_access_key_id: SESSION.accessKeyId, aws_secret_access_key: SESSION.secretAccessKey, aws_session_token: SESSION.sessionToken! });
    await chat({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }, t);
    expect(lastRequest().headers['x-amz-security-token']).toBe(SESSION.sessionToken);
    const bad = await chat({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }, { ...t, settings: { ...t.settings, aws_session_token: 'stale' } }).catch((x: unknown) => x);
    expect([(bad as GatewayError).status, (bad as GatewayError).code]).toEqual([403, 'UnrecognizedClientException']);
  });

  it('assume-role: STS-issued credentials sign the Bedrock call', async () => {
    const t = target({ aws_role_arn: ROLE, aws_external_id: 'portico-ext' });
    const chunks = await stream({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }, t);
    expect(text(chunks)).toBe('Hello from the fake Bedrock.');
    expect(sts.calls.at(-1)).toMatchObject({ roleArn: ROLE, externalId: 'portico-ext', status: 200 });
    const auth = String(lastRequest().headers.authorization);
    expect(auth).toMatch(/Credential=ASIAFAKESTS\d+\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    expect(lastRequest().signature).toBe('valid');
  });
});

describe('InvokeModel for Anthropic models (bedrock_api: invoke)', () => {
  it('non-stream and stream, with usage in the stream', async () => {
    const t = target({ bedrock_api: 'invoke' });
    fake.reply({ text: 'Invoked.', usage: { inputTokens: 9, outputTokens: 2, cacheReadInputTokens: 4 } });
    const out = await chat({ model: PROFILE, messages: [{ role: 'user', content: 'x' }], max_tokens: 20 }, t);
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0]!.message.content).toBe('Invoked.');
    expect(out.usage).toMatchObject({ prompt_tokens: 13, completion_tokens: 2 });
    expect([lastRequest().operation, lastRequest().signature]).toEqual(['invoke', 'valid']);

    fake.reply({ reasoning: 'Look it up.', text: 'Streamed invoke.', toolUse: { name: 'lookup', input: { q: 1 } } });
    const chunks = await stream({ model: PROFILE, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] }, t);
    expect(lastRequest().operation).toBe('invoke-with-response-stream');
    expect(text(chunks)).toBe('Streamed invoke.');
    expect(chunks.flatMap((c) => c.choices.map((x) => x.delta.reasoning_content ?? '')).join('')).toBe('Look it up.');
    expect(chunks.flatMap((c) => c.choices.flatMap((x) => (x.delta.thinking_blocks as unknown[] | undefined) ?? []))).toEqual([{ type: 'thinking', thinking: 'Look it up.', signature: 'c2lnbmF0dXJl' }]);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks[chunks.length - 1]!.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
  });
});

describe('embeddings', () => {
  it('Titan: one signed call per input; Cohere: one batch', async () => {
    const t = target();
    const titan = { model: 'amazon.titan-embed-text-v2:0', input: ['alpha beta', 'gamma'], dimensions: 256 };
    const bodies: unknown[] = [];
    for (const up of toBedrockEmbeddingRequests(titan, t)) {
      const res = await send(up, t);
      expect(res.statusCode).toBe(200);
      bodies.push(await res.body.json());
    }
    const out = fromBedrockEmbeddingResponses(bodies, titan);
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out.data.map((d) => (d.embedding as number[]).length)).toEqual([256, 256]);
    expect(out.usage.prompt_tokens).toBe(3);

    const cohere = { model: 'cohere.embed-multilingual-v3', input: ['a', 'b', 'c'], input_type: 'clustering' };
    const res = await send(bedrockProvider.embeddings!.toRequest(cohere, t, { stream: false }), t);
    const e = bedrockProvider.embeddings!.fromResponse(await res.body.json(), cohere, t);
    expect(e.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(fake.requests.slice(-3).map((r) => r.signature)).toEqual(['valid', 'valid', 'valid']);
  });
});
