import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import {
  bedrockProvider,
  fromBedrockAnthropicResponse,
  fromBedrockEmbeddingResponses,
  mapBedrockError,
  toBedrockAnthropicBody,
  toBedrockEmbeddingRequests,
} from '../../../src/providers/bedrock/index.js';
import type { ChatRequest, EmbeddingRequest, ProviderTarget } from '../../../src/providers/types.js';
import { validateAnthropic } from '../../helpers/anthropic-schema.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { bedrockShapes, validateBedrock } from './bedrock-schema.js';
import { anthropicInvokeBodyErrors, embeddingBodyErrors } from './fake-validate.js';

const target: ProviderTarget = { provider: 'bedrock', settings: { aws_region: 'eu-central-1', bedrock_api: 'invoke' } };
const CLAUDE = 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0';

describe('InvokeModel with Anthropic messages', () => {
  const req: ChatRequest = {
    model: CLAUDE,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ],
    max_tokens: 200,
    temperature: 0.5,
    stop: 'STOP',
    user: 'u-1',
    stream: true,
    anthropic_beta: 'token-efficient-tools-2025-02-19',
  };

  it('builds the Bedrock body: anthropic_version, no model, no stream, no metadata, beta flags in the body', () => {
    const body = toBedrockAnthropicBody(req);
    expect(body).toMatchObject({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 200, temperature: 0.5, stop_sequences: ['STOP'], system: 'Be brief.', messages: [{ role: 'user' }], anthropic_beta: ['token-efficient-tools-2025-02-19'] });
    expect(body).not.toHaveProperty('model');
    expect(body).not.toHaveProperty('stream');
    expect(body).not.toHaveProperty('metadata');
    expect(anthropicInvokeBodyErrors(body as unknown as Record<string, unknown>, CLAUDE, validateAnthropic)).toEqual([]);
  });

  it('targets invoke / invoke-with-response-stream', () => {
    const r = bedrockProvider.chat!.toRequest(req, target, { stream: false });
    expect(r.url).toBe('https://bedrock-runtime.eu-central-1.amazonaws.com/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/invoke');
    const s = bedrockProvider.chat!.toRequest(req, target, { stream: true });
    expect(s.url).toMatch(/\/invoke-with-response-stream$/);
    expect(s.headers).toMatchObject({ accept: 'application/vnd.amazon.eventstream', 'x-amzn-bedrock-accept': 'application/json' });
  });

  it('maps a recorded InvokeModel response', () => {
    const recorded = {
      id: 'msg_bdrk_01KJ3',
      type: 'message',
      role: 'assistant',
      model: 'claude-3-7-sonnet-20250219',
      content: [{ type: 'text', text: 'Hello!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 8 },
    };
    expect(validateAnthropic('Message', recorded)).toEqual([]);
    const out = bedrockProvider.chat!.fromResponse(recorded, req, target);
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out).toMatchObject({ model: CLAUDE, choices: [{ message: { content: 'Hello!' }, finish_reason: 'stop' }], usage: { prompt_tokens: 20, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 8 } } });
    expect(() => fromBedrockAnthropicResponse({ output: {} }, CLAUDE)).toThrow(/not an Anthropic message/);
  });
});

describe('embeddings: Titan and Cohere on Bedrock', () => {
  const t: ProviderTarget = { provider: 'bedrock', settings: { aws_region: 'us-east-1' } };

  it('Titan v2: one InvokeModel call per input, with dimensions and normalize', () => {
    const req: EmbeddingRequest = { model: 'amazon.titan-embed-text-v2:0', input: ['a b', 'c'], dimensions: 256, normalize: true };
    const calls = toBedrockEmbeddingRequests(req, t);
    expect(calls.map((c) => c.url)).toEqual(Array(2).fill('https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke'));
    const bodies = calls.map((c) => JSON.parse(String(c.body)) as Record<string, unknown>);
    expect(bodies).toEqual([{ inputText: 'a b', dimensions: 256, normalize: true }, { inputText: 'c', dimensions: 256, normalize: true }]);
    for (const b of bodies) expect(embeddingBodyErrors(req.model, b)).toEqual([]);
    const out = fromBedrockEmbeddingResponses([{ embedding: [0.1, 0.2], inputTextTokenCount: 2 }, { embedding: [0.3, 0.4], inputTextTokenCount: 1 }], req);
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out).toEqual({ object: 'list', model: req.model, data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }, { object: 'embedding', index: 1, embedding: [0.3, 0.4] }], usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(() => bedrockProvider.embeddings!.toRequest(req, t, { stream: false })).toThrow(/one input per call/);
  });

  it('Titan v1 takes inputText only', () => {
    expect(() => toBedrockEmbeddingRequests({ model: 'amazon.titan-embed-text-v1', input: 'x', dimensions: 256 }, t)).toThrow(/fixed size/);
    const [call] = toBedrockEmbeddingRequests({ model: 'amazon.titan-embed-text-v1', input: 'x' }, t);
    expect(embeddingBodyErrors('amazon.titan-embed-text-v1', JSON.parse(String(call!.body)) as Record<string, unknown>)).toEqual([]);
  });

  it('Cohere: one batch call with input_type; base64 output encodes float32', () => {
    const req: EmbeddingRequest = { model: 'cohere.embed-english-v3', input: ['x', 'y'], input_type: 'search_query', encoding_format: 'base64' };
    const r = bedrockProvider.embeddings!.toRequest(req, t, { stream: false });
    const body = JSON.parse(String(r.body)) as Record<string, unknown>;
    expect(body).toEqual({ texts: ['x', 'y'], input_type: 'search_query' });
    expect(embeddingBodyErrors(req.model, body)).toEqual([]);
    const out = bedrockProvider.embeddings!.fromResponse({ id: 'e1', response_type: 'embeddings_floats', texts: ['x', 'y'], embeddings: [[1, 2], [3, 4]] }, req, t);
    expect(out.data).toHaveLength(2);
    expect(Array.from(new Float32Array(Uint8Array.from(Buffer.from(out.data[1]!.embedding as string, 'base64')).buffer))).toEqual([3, 4]);
    // Cohere's body carries no token count; InvokeModel's response header does.
    expect(out.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
    const counted = bedrockProvider.embeddings!.fromResponse({ id: 'e1', response_type: 'embeddings_floats', texts: ['x', 'y'], embeddings: [[1, 2], [3, 4]] }, req, t, { 'x-amzn-bedrock-input-token-count': '2' });
    expect(counted.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(() => toBedrockEmbeddingRequests({ ...req, input_type: 'bogus' }, t)).toThrow(/input_type/);
    expect(() => toBedrockEmbeddingRequests({ ...req, input: [[1, 2]] as number[][] }, t)).toThrow(/not a string/);
    expect(() => toBedrockEmbeddingRequests({ ...req, model: 'meta.llama3' }, t)).toThrow(/titan-embed.*cohere\.embed/);
  });
});

describe('mapBedrockError', () => {
  it.each([
    ['ThrottlingException', 429, 'rate_limit_error'],
    ['ValidationException', 400, 'invalid_request_error'],
    ['AccessDeniedException', 403, 'permission_error'],
    ['ResourceNotFoundException', 404, 'not_found_error'],
    ['ModelTimeoutException', 408, 'timeout_error'],
    ['ServiceUnavailableException', 503, 'upstream_error'],
    ['ModelNotReadyException', 429, 'rate_limit_error'],
    ['InternalServerException', 500, 'upstream_error'],
    ['ModelErrorException', 424, 'invalid_request_error'],
  ])('%s → %i', (type, status, errorType) => {
    const shape = validateBedrock(type, { message: 'x' });
    expect(shape).toEqual([]);
    const e = mapBedrockError(400, JSON.stringify({ message: 'Something happened.' }), { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'retry-after': '2' });
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.status).toBe(status);
    expect(e.type).toBe(errorType);
    expect(e.code).toBe(type);
    expect(e.message).toMatch(new RegExp(`^bedrock error: ${type}: Something happened\\.`));
    expect(e.headers).toEqual({ 'retry-after': '2' });
  });

  it('reads __type when the header is absent and keeps the HTTP status for unknown types', () => {
    expect(mapBedrockError(400, '{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}', {}).status).toBe(400);
    const e = mapBedrockError(418, '{"Message":"odd"}', { 'X-Amzn-ErrorType': 'TeapotException' });
    expect([e.status, e.code, e.message]).toEqual([418, 'TeapotException', 'bedrock error: TeapotException: odd']);
    expect(mapBedrockError(502, '<html>bad gateway</html>', {}).message).toBe('bedrock error: <html>bad gateway</html>');
  });

  it('every error shape in the Smithy model maps to its modelled httpError status', () => {
    const errorShapes = Object.entries(bedrockShapes()).filter(([, v]) => (v as { 'x-smithy-error'?: unknown })['x-smithy-error']);
    expect(errorShapes.length).toBeGreaterThanOrEqual(10);
    for (const [name, v] of errorShapes) {
      const modelled = (v as { 'x-smithy-error': { httpError?: number } })['x-smithy-error'].httpError;
      expect(mapBedrockError(599, '{"message":"m"}', { 'x-amzn-errortype': name }).status, name).toBe(modelled);
    }
  });
});
