/**
 * Every Portkey config key and header this gateway is given either works, or is refused with a 400
 * naming it: never accepted and silently ignored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let gw: TestGateway;

beforeAll(async () => {
  [openai, anthropic, gemini] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeGemini()]);
  gw = await startTestGateway({ VERTEX_TOKEN_URIS: gemini.tokenUri });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
});

const post = (headers: Record<string, string>, body: object = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] }) =>
  fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const withConfig = (config: object, headers: Record<string, string> = {}) => post({ 'x-portkey-config': JSON.stringify(config), ...headers });
const openaiTarget = () => ({ provider: 'openai', api_key: 'sk-test', custom_host: openai.baseUrl });

describe('config keys not implemented yet', () => {
  it('cb_config outside a strategy gets a 400 pointing at strategy.cb_config; inside one it works', async () => {
    const cb = { failure_threshold: 3, cooldown_interval: 60000 };
    const misplaced = await withConfig({ ...openaiTarget(), cb_config: cb });
    expect(misplaced.status).toBe(400);
    expect(((await misplaced.json()) as any).error.message).toMatch(/config\.cb_config: .*strategy\.cb_config/);
    const placed = await withConfig({ strategy: { mode: 'fallback', cb_config: cb }, targets: [openaiTarget()] });
    expect(placed.status).toBe(200);
  });

  // Mutators work (test/guardrails/mutators.test.ts); a saved one's id needs the control plane, and says so.
  it.each(['input_mutators', 'output_mutators'])('%s naming a saved guardrail without a control plane gets a 400 naming it', async (key) => {
    const value = ['pg-mutator-1'];
    const res = await withConfig({ ...openaiTarget(), [key]: value });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 'invalid_config', param: 'x-portkey-config' });
    expect(body.error.message).toContain(`config.${key}[0]`);
    expect(body.error.message).toMatch(/names a saved guardrail, which needs the control plane/);
  });
});

describe('x-portkey-default-input-guardrails / -output-guardrails', () => {
  it('run in front of the config, on input and on output', async () => {
    const input = JSON.stringify([{ 'default.contains': { operator: 'none', words: ['forbidden'] }, deny: true }]);
    const refused = await post({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl, authorization: 'Bearer sk-test', 'x-portkey-default-input-guardrails': input },
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'say the forbidden word' }] });
    expect(refused.status).toBe(446);
    expect((await refused.json()).hook_results.before_request_hooks[0]).toMatchObject({ verdict: false, deny: true });

    const output = JSON.stringify([{ 'default.contains': { operator: 'none', words: ['Echo'] }, deny: true }]);
    const denied = await post({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl, authorization: 'Bearer sk-test', 'x-portkey-default-output-guardrails': output });
    expect(denied.status).toBe(446);
    expect((await denied.json()).hook_results.after_request_hooks[0]).toMatchObject({ verdict: false });
  });

  it('are refused with a 400 naming the header when they are not a guardrail list', async () => {
    const res = await post({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl, authorization: 'Bearer sk-test', 'x-portkey-default-output-guardrails': '{"default.contains":{}}' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ param: 'x-portkey-default-output-guardrails', code: 'invalid_config' });
  });
});

describe('strict_open_ai_compliance', () => {
  const thinking = () => ({ provider: 'anthropic', api_key: 'sk-ant', custom_host: anthropic.baseUrlV1 });

  it('leaves out the provider extras (reasoning_content) when true, in the config or the header', async () => {
    anthropic.enqueue({ thinking: 'let me think', text: 'answer' }, { thinking: 'let me think', text: 'answer' }, { thinking: 'let me think', text: 'answer' });
    const loose = await (await post({ 'x-portkey-config': JSON.stringify(thinking()) }, { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'think' }] })).json();
    expect(loose.choices[0].message.reasoning_content).toBe('let me think');
    const strict = await (await post({ 'x-portkey-config': JSON.stringify({ ...thinking(), strict_open_ai_compliance: true }) }, { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'think' }] })).json();
    expect(strict.choices[0].message).toEqual({ role: 'assistant', content: 'answer', refusal: null });
    const byHeader = await (await post({ 'x-portkey-config': JSON.stringify(thinking()), 'x-portkey-strict-open-ai-compliance': 'true' }, { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'think' }] })).json();
    expect(byHeader.choices[0].message.reasoning_content).toBeUndefined();
  });

  it('strips them from stream chunks too', async () => {
    anthropic.enqueue({ thinking: 'streamed thought', text: 'streamed answer' });
    const res = await post({ 'x-portkey-config': JSON.stringify({ ...thinking(), strict_open_ai_compliance: true }) }, { model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'think' }] });
    const text = await res.text();
    const content = text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)).choices[0]?.delta?.content ?? '').join('');
    expect(content).toBe('streamed answer');
    expect(text).not.toContain('streamed thought');
    expect(text).not.toContain('reasoning_content');
  });

  it('must be a boolean', async () => {
    const res = await withConfig({ ...openaiTarget(), strict_open_ai_compliance: 'yes' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain('config.strict_open_ai_compliance');
    const header = await post({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl, authorization: 'Bearer sk-test', 'x-portkey-strict-open-ai-compliance': 'maybe' });
    expect(header.status).toBe(400);
    expect((await header.json()).error.param).toBe('x-portkey-strict-open-ai-compliance');
  });
});

describe('vertex_service_account_json', () => {
  it('works given as an object, as Portkey\'s schema has it', async () => {
    const config = { provider: 'vertex-ai', custom_host: gemini.vertexBase, vertex_region: 'us-central1', vertex_project_id: 'fake-project', vertex_service_account_json: JSON.parse(gemini.serviceAccountJson) };
    const body = await post({ 'x-portkey-config': JSON.stringify(config) }, { model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'hi' }] });
    expect(body.status).toBe(200);
    expect((await body.json()).choices[0].message.content).toBeTruthy();
  });
});
