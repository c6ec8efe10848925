/**
 * Application inference profiles: the model id is an ARN, percent-encoded into the path, and names no
 * model; Portkey's x-portkey-aws-bedrock-model (or x-portkey-provider-model) says which model serves
 * it, so the gateway picks that model's request format (Anthropic InvokeModel, Cohere or Titan
 * embeddings) and prices that model. The fake Bedrock checks the id against the Smithy model's
 * pattern, the SigV4 signature with aws4, and routes each profile to its model, as Bedrock does.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { bedrockProvider, fromBedrockEmbeddingResponses, toBedrockEmbeddingRequests } from '../../../src/providers/bedrock/index.js';
import type { ChatRequest, ProviderTarget, UpstreamRequest } from '../../../src/providers/types.js';
import { FAKE_AWS_CREDENTIALS, startFakeBedrock, type FakeBedrock } from '../../fakes/bedrock.js';

const CLAUDE_PROFILE = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/claude7x9k2';
const COHERE_PROFILE = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/cohere4f5g6';
const CLAUDE = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

let fake: FakeBedrock;
beforeAll(async () => {
  fake = await startFakeBedrock({ profiles: { [CLAUDE_PROFILE]: CLAUDE, [COHERE_PROFILE]: 'cohere.embed-english-v3' } });
  fake.reply({ text: 'from the profile' });
});
afterAll(() => fake?.close());

const target = (settings: Record<string, string> = {}): ProviderTarget => ({
  provider: 'bedrock',
  customHost: fake.url,
  settings: { aws_access_key_id: FAKE_AWS_CREDENTIALS.accessKeyId, aws_secret_access_key: FAKE_AWS_CREDENTIALS.secretAccessKey, aws_region: 'us-east-1', ...settings },
});
async function send(up: UpstreamRequest, t: ProviderTarget): Promise<{ status: number; body: unknown }> {
  const signed = await bedrockProvider.authorize!(up, t);
  const res = await request(signed.url, { method: signed.method, headers: signed.headers, body: signed.body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw bedrockProvider.mapError(res.statusCode, text, Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])));
  return { status: res.statusCode, body: JSON.parse(text) };
}
const req = (model: string): ChatRequest => ({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 });

describe('bedrock application inference profiles', () => {
  it('Converse takes the ARN, percent-encoded in the path; the signature holds', async () => {
    const t = target();
    const up = bedrockProvider.chat!.toRequest(req(CLAUDE_PROFILE), t, { stream: false });
    expect(new URL(up.url).pathname).toBe(`/model/${encodeURIComponent(CLAUDE_PROFILE)}/converse`);
    expect(up.url).toContain('arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fclaude7x9k2');
    const out = await send(up, t);
    expect(bedrockProvider.chat!.fromResponse(out.body, req(CLAUDE_PROFILE), t).choices[0]!.message.content).toBe('from the profile');
    expect(fake.requests.at(-1)).toMatchObject({ signature: 'valid', modelId: CLAUDE_PROFILE, status: 200 });
  });

  it('InvokeModel with Anthropic\'s body needs the model behind the profile: x-portkey-aws-bedrock-model names it', async () => {
    expect(() => bedrockProvider.chat!.toRequest(req(CLAUDE_PROFILE), target({ bedrock_api: 'invoke' }), { stream: false })).toThrow(/x-portkey-aws-bedrock-model/);
    for (const setting of ['aws_bedrock_model', 'provider_model']) {
      const t = target({ bedrock_api: 'invoke', [setting]: CLAUDE });
      const up = bedrockProvider.chat!.toRequest(req(CLAUDE_PROFILE), t, { stream: false });
      expect(new URL(up.url).pathname).toBe(`/model/${encodeURIComponent(CLAUDE_PROFILE)}/invoke`);
      expect(JSON.parse(String(up.body)).anthropic_version).toBe('bedrock-2023-05-31');
      await send(up, t);
      expect(fake.requests.at(-1)).toMatchObject({ signature: 'valid', operation: 'invoke', status: 200 });
    }
  });

  it('embeddings: the named model decides the body (one Cohere batch, not one Titan call per input)', async () => {
    const t = target({ aws_bedrock_model: 'cohere.embed-english-v3' });
    const embed = { model: COHERE_PROFILE, input: ['a', 'b', 'c'], input_type: 'search_document' };
    const ups = toBedrockEmbeddingRequests(embed, t);
    expect(ups).toHaveLength(1);
    expect(JSON.parse(String(ups[0]!.body)).texts).toEqual(['a', 'b', 'c']);
    const out = await send(ups[0]!, t);
    expect(fromBedrockEmbeddingResponses([out.body], embed, [{}]).data).toHaveLength(3);
  });

  it('the named model is what is logged and priced; a bad value is a 400 naming the header', () => {
    expect(bedrockProvider.targetModel!(target({ aws_bedrock_model: CLAUDE }), '/v1/chat/completions')).toBe(CLAUDE);
    expect(bedrockProvider.targetModel!(target(), '/v1/chat/completions')).toBeUndefined();
    const err = (() => {
      try {
        bedrockProvider.chat!.toRequest(req(CLAUDE_PROFILE), target({ bedrock_api: 'invoke', aws_bedrock_model: 'https://x/y z' }), { stream: false });
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(err?.status).toBe(400);
    expect(err?.param).toBe('x-portkey-aws-bedrock-model');
  });

  it('a profile Bedrock does not know is its 404, relayed', async () => {
    const t = target();
    const missing = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/nope';
    await expect(send(bedrockProvider.chat!.toRequest(req(missing), t, { stream: false }), t)).rejects.toMatchObject({ status: 404 });
  });
});
