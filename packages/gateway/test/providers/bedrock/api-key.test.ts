import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

/**
 * Bedrock API keys (x-portkey-aws-auth-type: apiKey): the key goes as Authorization: Bearer to
 * bedrock-runtime, nothing is SigV4-signed. The fake answers Converse only for a bearer key and
 * refuses a request that also carries a SigV4 signature.
 */
let gw: TestGateway;
let fake: FakeCompat;

beforeAll(async () => {
  fake = await startFakeCompat();
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
  fake.route('/converse', (req) => {
    if (!/^Bearer ABSK\S+$/.test(String(req.headers.authorization)) || req.headers['x-amz-date']) return { status: 403, body: { message: 'Authentication failed: expected a Bedrock API key' } };
    return {
      status: 200,
      body: { output: { message: { role: 'assistant', content: [{ text: 'hello from bedrock' }] } }, stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: 4, totalTokens: 9 }, metrics: { latencyMs: 12 } },
    };
  });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const client = (headers: Record<string, string>) => new OpenAI({ apiKey: 'ABSKexamplekey0001', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'eu-west-1', ...headers } });

describe('bedrock API keys', () => {
  it('sends the key as a bearer to bedrock-runtime, unsigned', async () => {
    const res = await client({ 'x-portkey-aws-auth-type': 'apiKey' }).chat.completions.create({ model: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toBe('hello from bedrock');
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://bedrock-runtime.eu-west-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse');
    expect(up.headers.authorization).toBe('Bearer ABSKexamplekey0001');
    expect(up.headers['x-amz-date']).toBeUndefined();
  });

  it('an unknown auth type is a 400 naming the header', async () => {
    const err = await client({ 'x-portkey-aws-auth-type': 'password' }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('x-portkey-aws-auth-type');
  });
});
