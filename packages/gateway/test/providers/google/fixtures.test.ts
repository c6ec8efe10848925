import { describe, expect, it } from 'vitest';
import * as fx from './fixtures.js';
import { validateGemini } from './gemini-spec.js';

describe('Gemini fixtures follow the published schemas', () => {
  const responses = { textResponse: fx.textResponse, toolCallResponse: fx.toolCallResponse, thinkingResponse: fx.thinkingResponse, maxTokensResponse: fx.maxTokensResponse, candidateSafetyResponse: fx.candidateSafetyResponse, promptBlockedResponse: fx.promptBlockedResponse };
  for (const [name, body] of Object.entries(responses)) {
    it(`${name} is a GenerateContentResponse`, () => expect(validateGemini('GenerateContentResponse', body, 'response')).toEqual([]));
  }
  it('stream frames are GenerateContentResponses', () => {
    for (const f of [...fx.sseTextStream, ...fx.sseToolStream]) expect(validateGemini('GenerateContentResponse', f, 'response')).toEqual([]);
  });
  it('embedding responses and error envelopes match', () => {
    expect(validateGemini('EmbedContentResponse', fx.embedContentResponse, 'response')).toEqual([]);
    expect(validateGemini('BatchEmbedContentsResponse', fx.batchEmbedContentsResponse, 'response')).toEqual([]);
    for (const e of Object.values(fx.rpcErrors)) expect(validateGemini('ErrorEnvelope', e, 'response')).toEqual([]);
  });
  it('the oracle rejects what the API rejects', () => {
    const ok = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
    expect(validateGemini('GenerateContentRequest', ok, 'request')).toEqual([]);
    expect(validateGemini('GenerateContentRequest', { ...ok, foo: 1 }, 'request').join()).toMatch(/foo/);
    const noName = { ...ok, tools: [{ functionDeclarations: [{ parameters: { type: 'OBJECT' } }] }] };
    expect(validateGemini('GenerateContentRequest', noName, 'request').join()).toMatch(/name/);
    const addl = { ...ok, tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', additionalProperties: false } }] }] };
    expect(validateGemini('GenerateContentRequest', addl, 'request').join()).toMatch(/additionalProperties/);
    const twoKinds = { contents: [{ parts: [{ text: 'x', inlineData: { mimeType: 'image/png', data: 'AA==' } }] }] };
    expect(validateGemini('GenerateContentRequest', twoKinds, 'request').length).toBeGreaterThan(0);
    expect(validateGemini('GenerateContentResponse', { ...fx.textResponse, extra: true }, 'response').length).toBeGreaterThan(0);
  });
});
