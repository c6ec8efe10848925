/**
 * item_reference inputs on /v1/responses for a translated provider: @ai-sdk/openai sends the items of
 * the previous turn by reference ({"type":"item_reference","id":"msg_…"}) in every tool loop. The
 * gateway resolves them against the responses it kept for the workspace; an id it has not is a 404.
 */
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let anthropic: FakeAnthropic;
let gw: TestGateway;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const KEY_A = 'pk-ref-team-a-0123456789';
const KEY_B = 'pk-ref-team-b-0123456789';

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  gw = await startTestGateway({}, { entities: `keys:
  - { id: ref-a, key_hash: ${sha(KEY_A)}, workspace: a }
  - { id: ref-b, key_hash: ${sha(KEY_B)}, workspace: b }
` });
});
afterAll(async () => {
  await gw?.close();
  await anthropic?.close();
});

const client = (key = KEY_A) => new OpenAI({
  apiKey: 'sk-ant-test-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
  defaultHeaders: { 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': anthropic.baseUrlV1, 'x-portkey-api-key': key },
});

/** The last Anthropic request's turns, as role: text lines. */
function lastTurns(): string[] {
  const body = anthropic.requests.filter((r) => r.path === '/v1/messages').at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
  return body.messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : (m.content as Array<{ type: string; text?: string; name?: string }>).map((b) => b.text ?? `[${b.type}${b.name ? ` ${b.name}` : ''}]`).join(' ')}`);
}

describe('item_reference on a translated provider', () => {
  it('resolves references to the text and tool call of a kept response (the AI SDK tool loop)', async () => {
    const tools = [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];
    anthropic.enqueue({ text: 'Let me look that up.', toolUse: { name: 'get_weather', input: { city: 'Oslo' } } });
    const first = await client().responses.create({ model: 'claude-sonnet-4-5', input: 'Weather in Oslo?', tools });
    const message = first.output.find((o) => o.type === 'message')!;
    const call = first.output.find((o) => o.type === 'function_call') as { id: string; call_id: string };
    expect(message?.id).toBeTruthy();
    expect(call?.id).toBeTruthy();

    const second = await client().responses.create({
      model: 'claude-sonnet-4-5', tools,
      input: [
        { role: 'user', content: 'Weather in Oslo?' },
        { type: 'item_reference', id: message.id },
        { type: 'item_reference', id: call.id },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":3}' },
      ] as never,
    });
    expect(second.status).toBe('completed');
    expect(lastTurns()).toEqual(['user: Weather in Oslo?', 'assistant: Let me look that up. [tool_use get_weather]', 'user: [tool_result]']);
  });

  it('answers an id it did not keep, or one of another workspace, with a 404 naming it', async () => {
    const first = await client().responses.create({ model: 'claude-sonnet-4-5', input: 'Hello.' });
    const id = first.output.find((o) => o.type === 'message')!.id;
    for (const [key, ref] of [[KEY_A, 'msg_never_made'], [KEY_B, id]] as const) {
      const err = await client(key).responses.create({ model: 'claude-sonnet-4-5', input: [{ type: 'item_reference', id: ref }] as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      const body = (err as InstanceType<typeof OpenAI.NotFoundError>).error as { code: string; param: string; message: string };
      expect([body.code, body.param]).toEqual(['item_not_found', 'input[0].id']);
      expect(body.message).toContain(ref);
      expect(body.message).not.toMatch(/keeps no such state/);
    }
  });
});
