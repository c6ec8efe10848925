import { describe, expect, it } from 'vitest';
import { isVertexAnthropicModel, parseServiceAccountJson, toVertexAnthropicRequest, vertexModelUrl, vertexProvider, VERTEX_ANTHROPIC_VERSION } from '../../../src/providers/vertex-ai/index.js';
import type { ProviderTarget } from '../../../src/providers/types.js';
import { validateGemini } from '../google/gemini-spec.js';
import { validateAnthropic } from '../../helpers/anthropic-schema.js';

const t = (settings: Record<string, string>, extra: Partial<ProviderTarget> = {}): ProviderTarget => ({ provider: 'vertex-ai', settings, ...extra });

describe('vertex-ai URLs', () => {
  it('regional and global endpoints, publisher by model family', () => {
    expect(vertexModelUrl(t({ vertex_project_id: 'p1', vertex_region: 'europe-west4' }), 'gemini-2.0-flash', 'generateContent'))
      .toBe('https://europe-west4-aiplatform.googleapis.com/v1/projects/p1/locations/europe-west4/publishers/google/models/gemini-2.0-flash:generateContent');
    expect(vertexModelUrl(t({ vertex_project_id: 'p1', vertex_region: 'global' }), 'claude-sonnet-4@20250514', 'rawPredict'))
      .toBe('https://aiplatform.googleapis.com/v1/projects/p1/locations/global/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict');
    expect(vertexModelUrl(t({ vertex_project_id: 'p1' }, { customHost: 'http://127.0.0.1:1/v1/' }), 'text-embedding-005', 'predict'))
      .toBe('http://127.0.0.1:1/v1/projects/p1/locations/us-central1/publishers/google/models/text-embedding-005:predict');
  });
  it('project falls back to the service account project_id; missing project is a clear 400', () => {
    const sa = JSON.stringify({ type: 'service_account', project_id: 'from-key', client_email: 'a@b', private_key: 'k' });
    expect(vertexModelUrl(t({ vertex_service_account_json: sa }), 'gemini-2.0-flash', 'generateContent')).toContain('/projects/from-key/');
    expect(() => vertexModelUrl(t({}), 'gemini-2.0-flash', 'generateContent')).toThrow(/needs a project/);
    expect(() => vertexModelUrl(t({ vertex_project_id: 'p', vertex_region: 'us-central1/../x' }), 'm', 'generateContent')).toThrow(/vertex_region/);
  });
  it('stream URLs: streamGenerateContent?alt=sse for Gemini, streamRawPredict for Claude', () => {
    const target = t({ vertex_project_id: 'p' });
    expect(vertexProvider.chat!.toRequest({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'x' }] }, target, { stream: true }).url).toMatch(/:streamGenerateContent\?alt=sse$/);
    expect(vertexProvider.chat!.toRequest({ model: 'claude-3-5-haiku@20241022', messages: [{ role: 'user', content: 'x' }] }, target, { stream: true }).url).toMatch(/publishers\/anthropic\/models\/claude-3-5-haiku@20241022:streamRawPredict$/);
  });
  it('service account parsing never echoes the key', () => {
    expect(() => parseServiceAccountJson('{"private_key":"-----BEGIN SECRET'))
      .toThrow(expect.objectContaining({ message: expect.not.stringContaining('SECRET') }));
    expect(() => parseServiceAccountJson('{"private_key":"SECRET"}')).toThrow(/lacks client_email/);
    expect(parseServiceAccountJson('{"client_email":"a@b","private_key":"k"}').token_uri).toBe('https://oauth2.googleapis.com/token');
  });
});

describe('vertex-ai bodies', () => {
  it('Gemini models get the Gemini body (shared mapping), valid per the schema', () => {
    const up = vertexProvider.chat!.toRequest({ model: 'gemini-2.0-flash', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'x' }], max_tokens: 5 }, t({ vertex_project_id: 'p' }), { stream: false });
    const body = JSON.parse(up.body as string);
    expect(body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], systemInstruction: { parts: [{ text: 's' }] }, generationConfig: { maxOutputTokens: 5 } });
    expect(validateGemini('GenerateContentRequest', body, 'request')).toEqual([]);
  });
  it('Claude models get the Anthropic Messages body with the vertex anthropic_version and no model', () => {
    const b = toVertexAnthropicRequest({ model: 'claude-sonnet-4@20250514', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'x' }], max_tokens: 20 }, false);
    expect(b.anthropic_version).toBe(VERTEX_ANTHROPIC_VERSION);
    expect('model' in b).toBe(false);
    expect('stream' in b).toBe(false);
    const { anthropic_version: _v, ...rest } = b;
    expect(validateAnthropic('MessageCreateParamsNonStreaming', { ...rest, model: 'claude-sonnet-4@20250514' })).toEqual([]);
    expect(toVertexAnthropicRequest({ model: 'claude-x', messages: [{ role: 'user', content: 'x' }] }, true).stream).toBe(true);
    expect(isVertexAnthropicModel('gemini-claude')).toBe(false);
  });
});

describe('mapVertexError', () => {
  it('reads the google.rpc envelope and Anthropic error bodies, naming vertex-ai', () => {
    const g = vertexProvider.mapError(429, JSON.stringify({ error: { code: 429, message: 'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model', status: 'RESOURCE_EXHAUSTED' } }), { 'retry-after': '9' });
    expect(g).toMatchObject({ status: 429, provider: 'vertex-ai', headers: { 'retry-after': '9' } });
    expect(g.message).toMatch(/^vertex-ai error: Quota exceeded/);
    const a = vertexProvider.mapError(529, JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), {});
    expect(a).toMatchObject({ status: 529, code: 'overloaded_error', provider: 'vertex-ai' });
    expect(vertexProvider.mapError(404, 'Not Found', {}).status).toBe(404);
  });
});
