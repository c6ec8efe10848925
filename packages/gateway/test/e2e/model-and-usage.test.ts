/**
 * What is sent is what is logged, priced, counted and limited: a target's override_params.model is the
 * model of the attempt, the model the provider says it served is recorded (and priced) beside it, and
 * one usage mapping per provider prices Anthropic's cache reads the same on /v1/messages as on chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let gw: TestGateway;

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([startFakeOpenAI(), startFakeAnthropic()]);
  // gpt-4o's answer of 9 + 12 tokens costs $0.0001425; gpt-4o-mini's, $0.00000855.
  gw = await startTestGateway({}, { entities: `user_limits:
  override-budget:
    - { kind: cost, limit: 0.0001, window: hour }
` });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([openai?.close(), anthropic?.close()]);
});

function docFor(traceId: string): Promise<Record<string, any>> {
  return eventually(() => {
    const line = readAllLogs(gw).split('\n').find((l) => l.includes(`"trace_id":"${traceId}"`));
    if (!line) throw new Error(`no document for ${traceId} yet`);
    return JSON.parse(line) as Record<string, any>;
  });
}

const chat = (traceId: string, config: object, extra: Record<string, string> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-model-test', 'x-portkey-config': JSON.stringify(config), 'x-portkey-trace-id': traceId, ...extra },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'which model are you?' }] }),
  });

describe('the model an attempt sends', () => {
  const overridden = () => ({ provider: 'openai', custom_host: openai.baseUrl, override_params: { model: 'gpt-4o' } });

  it('is the one logged, priced and counted, not the one the client asked for', async () => {
    const res = await chat('model-override-1', overridden());
    expect(res.status).toBe(200);
    await res.json();
    expect(openai.requests.at(-1)!.body.model).toBe('gpt-4o');
    const doc = await docFor('model-override-1');
    expect(doc.model).toBe('gpt-4o');
    expect(doc.served_model).toBeUndefined();
    expect(doc.attempts).toEqual([expect.objectContaining({ model: 'gpt-4o', status: 200 })]);
    expect(doc.cost).toEqual({ usd: expect.closeTo(0.0001425, 10), priced: true });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/portico_requests_total\{[^}]*model="gpt-4o"[^}]*\} 1/);
  });

  it('settles budgets at its price: a budget that gpt-4o-mini would not exhaust refuses the next request', async () => {
    await awayFromWindowEnd('hour');
    const user = { 'x-portkey-metadata': JSON.stringify({ _user: 'override-budget' }) };
    const first = await chat('model-override-budget-1', overridden(), user);
    expect(first.status).toBe(200);
    await first.json();
    const second = await chat('model-override-budget-2', overridden(), user);
    expect(second.status).toBe(429);
    expect((await second.json()).error.code).toBe('budget_exceeded');
  });

  it('records the model the provider served beside it when they differ, priced at the served one', async () => {
    openai.enqueue({ servedModel: 'gpt-4o-2024-05-13' });
    const res = await chat('model-served-1', overridden());
    expect((await res.json()).model).toBe('gpt-4o-2024-05-13');
    const doc = await docFor('model-served-1');
    expect([doc.model, doc.served_model]).toEqual(['gpt-4o', 'gpt-4o-2024-05-13']);
    // gpt-4o-2024-05-13 costs $5 / $15 per million: 9 × 5 + 12 × 15 = $0.000225.
    expect(doc.cost.usd).toBeCloseTo(0.000225, 10);
  });

  it('records the served model of a stream too', async () => {
    openai.enqueue({ servedModel: 'gpt-4o-2024-05-13' });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-model-test', 'x-portkey-config': JSON.stringify(overridden()), 'x-portkey-trace-id': 'model-served-stream' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'stream it' }] }),
    });
    expect(await res.text()).toContain('[DONE]');
    const doc = await docFor('model-served-stream');
    expect([doc.model, doc.served_model]).toEqual(['gpt-4o', 'gpt-4o-2024-05-13']);
  });
});

describe("Anthropic's cache usage", () => {
  // 10 input, 1,000 cache-read and 5 output tokens of claude-3-5-haiku: $0.000108 with cache reads at
  // their own price ($0.08 per million), $0.000828 were they priced as input.
  const usage = { input_tokens: 10, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0, output_tokens: 5 };
  const config = () => ({ provider: 'anthropic', api_key: 'sk-ant-test', custom_host: anthropic.baseUrlV1 });
  const headers = (traceId: string) => ({ 'content-type': 'application/json', 'x-portkey-config': JSON.stringify(config()), 'x-portkey-trace-id': traceId });

  it('is priced the same through /v1/messages as through /v1/chat/completions', async () => {
    anthropic.enqueue({ usage }, { usage });
    const native = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { ...headers('anthropic-cache-native'), 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-3-5-haiku-20241022', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(native.status).toBe(200);
    expect((await native.json()).usage).toMatchObject(usage);
    const translated = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: headers('anthropic-cache-chat'),
      body: JSON.stringify({ model: 'claude-3-5-haiku-20241022', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(translated.status).toBe(200);
    await translated.json();
    const [a, b] = await Promise.all([docFor('anthropic-cache-native'), docFor('anthropic-cache-chat')]);
    for (const doc of [a, b]) {
      expect(doc.usage).toEqual({ prompt_tokens: 1010, completion_tokens: 5, total_tokens: 1015, cached_tokens: 1000 });
      expect(doc.cost.usd).toBeCloseTo(0.000108, 10);
    }
  });
});
