/**
 * previous_response_id and store on /v1/responses for a translated provider (Anthropic), through the
 * official openai SDK: the gateway keeps each response's conversation per workspace, in memory or in
 * Redis shared by replicas, and sends it in front of the next turn's input.
 */
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { assertOpenAI } from '../helpers/openai-schema.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';

let anthropic: FakeAnthropic;
let gw: TestGateway;

const ENTITIES = `
keys:
  - id: team-a
    key_hash: ${sha('pk-team-a-0123456789')}
    workspace: a
  - id: team-b
    key_hash: ${sha('pk-team-b-0123456789')}
    workspace: b
`;

/** The entities file stores gateway keys as hashes. */
function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function client(url: string, gatewayKey = 'pk-team-a-0123456789'): OpenAI {
  return new OpenAI({
    apiKey: 'sk-ant-test-responses-0123456789', baseURL: `${url}/v1`, maxRetries: 0,
    defaultHeaders: { 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': anthropic.baseUrlV1, 'x-portkey-api-key': gatewayKey },
  });
}

/** The client's headers for raw fetches. */
function headersOf(gatewayKey: string): Record<string, string> {
  return { authorization: 'Bearer sk-ant-test-responses-0123456789', 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': anthropic.baseUrlV1, 'x-portkey-api-key': gatewayKey };
}

/** `store` is in the Response schema, but not in this SDK version's type. */
const storeOf = (r: object) => (r as { store?: boolean }).store;

/** The Anthropic messages of the n-th request the fake received, as role: text lines. */
function turnsOf(i: number): string[] {
  const body = anthropic.requests.filter((r) => r.path === '/v1/messages')[i].body as { system?: unknown; messages: Array<{ role: string; content: unknown }> };
  return body.messages.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : (m.content as Array<{ type: string; text?: string; name?: string; content?: unknown }>).map((b) => b.text ?? `[${b.type}${b.name ? ` ${b.name}` : ''}]`).join(' ')}`);
}

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  gw = await startTestGateway({}, { entities: ENTITIES });
});
afterAll(async () => {
  await gw?.close();
  await anthropic?.close();
});
beforeEach(() => anthropic.reset());

describe('stored responses for translated providers', () => {
  it('continues a conversation with previous_response_id; instructions are not carried over', async () => {
    const first = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', instructions: 'Be brief.', input: 'My name is Ada.' });
    assertOpenAI('Response', first);
    expect(storeOf(first)).toBe(true);
    const second = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: first.id, input: 'What is my name?' });
    assertOpenAI('Response', second);
    expect(second.previous_response_id).toBe(first.id);
    expect(turnsOf(1)).toEqual([
      'user: My name is Ada.',
      `assistant: ${first.output_text}`,
      'user: What is my name?',
    ]);
    const body = anthropic.requests.filter((r) => r.path === '/v1/messages')[1].body as { system?: unknown };
    expect(body.system).toBeUndefined();
    // A third turn carries both earlier ones.
    await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: second.id, input: 'Thanks.' });
    expect(turnsOf(2)).toHaveLength(5);
  });

  it('continues from a streamed response, by the id the stream gave', async () => {
    const stream = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Remember 42.', stream: true });
    let id = '';
    for await (const ev of stream) if (ev.type === 'response.completed') id = ev.response.id;
    expect(id).toMatch(/^resp_/);
    await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: id, input: 'Which number?' });
    expect(turnsOf(1)[0]).toBe('user: Remember 42.');
    expect(turnsOf(1)[1]).toMatch(/^assistant: Hello from fake Anthropic/);
  });

  it('carries a function call and its output across turns', async () => {
    const tools = [{ type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];
    anthropic.enqueue({ toolUse: { name: 'get_weather', input: { city: 'Paris' } } });
    const first = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Weather in Paris?', tools });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toBeDefined();
    const second = await client(gw.url).responses.create({
      model: 'claude-sonnet-4-5', previous_response_id: first.id, tools,
      input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: '{"temp_c":21}' }],
    });
    expect(second.output_text).toMatch(/Tool result received/);
    expect(turnsOf(1)).toEqual(['user: Weather in Paris?', 'assistant: [tool_use get_weather]', 'user: [tool_result]']);
    // The call and its output are listed as item resources of the second response.
    const items = await fetch(`${gw.url}/v1/responses/${second.id}/input_items?order=asc`, { headers: headersOf('pk-team-a-0123456789') }).then((r) => r.json());
    assertOpenAI('ResponseItemList', items);
    expect((items as { data: Array<{ type: string }> }).data.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call_output']);
  });

  it('sends the conversation, not the id, when a turn the gateway kept continues on a native Responses provider', async () => {
    const openai: FakeOpenAI = await startFakeOpenAI();
    try {
      const first = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Start on Anthropic.' });
      const native = new OpenAI({
        apiKey: 'sk-test-native-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
        defaultHeaders: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl, 'x-portkey-api-key': 'pk-team-a-0123456789' },
      });
      const second = await native.responses.create({ model: 'gpt-4.1-mini', previous_response_id: first.id, input: 'Continue on OpenAI.' });
      assertOpenAI('Response', second);
      expect(second.output_text).toBe('Echo: Continue on OpenAI.');
      const sent = openai.requests[0].body;
      expect(sent.previous_response_id).toBeUndefined();
      expect(sent.input).toEqual([
        { type: 'message', role: 'user', content: 'Start on Anthropic.' },
        { type: 'message', role: 'assistant', content: first.output_text },
        { type: 'message', role: 'user', content: 'Continue on OpenAI.' },
      ]);
      // The provider's own ids pass through untouched: it keeps those responses itself.
      await native.responses.create({ model: 'gpt-4.1-mini', previous_response_id: second.id, input: 'And again.' });
      expect(openai.requests[1].body.previous_response_id).toBe(second.id);
    } finally {
      await openai.close();
    }
  });

  it('keeps nothing for store: false, and answers a previous_response_id it does not have with 404', async () => {
    const unstored = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Forget this.', store: false });
    expect(storeOf(unstored)).toBe(false);
    const err = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: unstored.id, input: 'What did I say?' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('previous_response_not_found');
    expect((err as Error).message).toMatch(/RESPONSES_STORE_TTL_S/);
  });

  it('keeps each workspace to its own responses', async () => {
    const mine = await client(gw.url, 'pk-team-a-0123456789').responses.create({ model: 'claude-sonnet-4-5', input: 'Secret plan.' });
    const err = await client(gw.url, 'pk-team-b-0123456789').responses.create({ model: 'claude-sonnet-4-5', previous_response_id: mine.id, input: 'What was the plan?' }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect(anthropic.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(1);
  });
});

describe('reading back kept responses: retrieve, input_items, delete', () => {
  it('retrieves a kept response as it was sent, JSON and streamed', async () => {
    const created = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Keep me.' });
    const got = await client(gw.url).responses.retrieve(created.id);
    assertOpenAI('Response', got);
    expect(got).toEqual(created);
    const stream = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Stream me.', stream: true });
    let completed: unknown;
    for await (const ev of stream) if (ev.type === 'response.completed') completed = ev.response;
    const again = await client(gw.url).responses.retrieve((completed as { id: string }).id);
    assertOpenAI('Response', again);
    // output_text is the SDK's own convenience on retrieved responses, not part of the event's.
    const { output_text: _sdkAdded, ...retrieved } = again;
    expect(retrieved).toEqual(completed);
    // Served from the store: the provider saw the two creations only.
    expect(anthropic.requests).toHaveLength(2);
  });

  it('lists the items that led to a response, newest first, in pages', async () => {
    const first = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'My name is Ada.' });
    const second = await client(gw.url).responses.create({
      model: 'claude-sonnet-4-5', previous_response_id: first.id,
      input: [{ role: 'user', content: 'What is my name?' }, { role: 'user', content: [{ type: 'input_text', text: 'Answer briefly.' }] }],
    });
    const page = await client(gw.url).responses.inputItems.list(second.id, { limit: 2 });
    const raw = page.getPaginatedItems();
    expect(raw).toHaveLength(2);
    const seen: Array<{ id: string; role?: string; content?: unknown }> = [];
    for await (const item of client(gw.url).responses.inputItems.list(second.id, { limit: 2 })) seen.push(item as never);
    // Desc by default: the request's own input last-first, then the turn before it.
    const texts = seen.map((i) => `${i.role}: ${(i.content as Array<{ text: string }>)[0].text}`);
    expect(texts).toEqual(['user: Answer briefly.', 'user: What is my name?', `assistant: ${first.output_text}`, 'user: My name is Ada.']);
    expect(new Set(seen.map((i) => i.id)).size).toBe(4);
    const asc = await client(gw.url).responses.inputItems.list(second.id, { order: 'asc', limit: 100 });
    expect(asc.getPaginatedItems().map((i) => i.id)).toEqual(seen.map((i) => i.id).reverse());
    // Each page in the API's list shape, each item an item resource.
    const res = await fetch(`${gw.url}/v1/responses/${second.id}/input_items?limit=3&order=asc`, { headers: headersOf('pk-team-a-0123456789') });
    const list = await res.json();
    assertOpenAI('ResponseItemList', list);
    expect(list).toMatchObject({ object: 'list', has_more: true, first_id: asc.getPaginatedItems()[0].id });
  });

  it('deletes a kept response: it cannot be read or continued afterwards', async () => {
    const created = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Delete me.' });
    const deleted = await fetch(`${gw.url}/v1/responses/${created.id}`, { method: 'DELETE', headers: headersOf('pk-team-a-0123456789') });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: created.id, object: 'response', deleted: true });
    const gone = await client(gw.url).responses.retrieve(created.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect((gone as InstanceType<typeof OpenAI.APIError>).code).toBe('response_not_found');
    const cont = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: created.id, input: 'Still there?' }).catch((e: unknown) => e);
    expect((cont as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    // An unknown id never reaches a provider that has no Responses API.
    expect(anthropic.requests).toHaveLength(1);
  });

  it("keeps each workspace out of another's responses, and passes a native provider's ids to it", async () => {
    const mine = await client(gw.url, 'pk-team-a-0123456789').responses.create({ model: 'claude-sonnet-4-5', input: 'Mine.' });
    const other = client(gw.url, 'pk-team-b-0123456789');
    for (const call of [() => other.responses.retrieve(mine.id), () => other.responses.inputItems.list(mine.id)]) {
      expect(((await call().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    }
    const del = await fetch(`${gw.url}/v1/responses/${mine.id}`, { method: 'DELETE', headers: headersOf('pk-team-b-0123456789') });
    expect(del.status).toBe(404);
    expect((await client(gw.url).responses.retrieve(mine.id)).id).toBe(mine.id);
    const openai: FakeOpenAI = await startFakeOpenAI();
    try {
      const res = await fetch(`${gw.url}/v1/responses/resp_fake_7`, { headers: { ...headersOf('pk-team-a-0123456789'), 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl, authorization: 'Bearer sk-test-native-0123456789' } });
      await res.body?.cancel();
      expect(openai.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/responses/resp_fake_7']);
    } finally {
      await openai.close();
    }
  });

  it('refuses bad paging parameters with the parameter named', async () => {
    const created = await client(gw.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Page me.' });
    for (const [query, param] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['order=up', 'order'], ['after=nope', 'after']]) {
      const res = await fetch(`${gw.url}/v1/responses/${created.id}/input_items?${query}`, { headers: headersOf('pk-team-a-0123456789') });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { param: string; message: string } };
      expect(body.error.param).toBe(param);
    }
    const streamed = await fetch(`${gw.url}/v1/responses/${created.id}?stream=true`, { headers: headersOf('pk-team-a-0123456789') });
    expect(streamed.status).toBe(400);
  });
});

describe('stored responses shared through Redis', () => {
  let redis: RedisServer;
  let replicaA: TestGateway;
  let replicaB: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    const env = { CACHE_STORE: 'redis', REDIS_URL: redis.url };
    [replicaA, replicaB] = await Promise.all([startTestGateway(env, { entities: ENTITIES }), startTestGateway(env, { entities: ENTITIES })]);
  });
  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await redis?.stop();
  });

  it('continues on one replica a conversation another replica answered', async () => {
    const first = await client(replicaA.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Replica test.' });
    await client(replicaB.url).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: first.id, input: 'Still there?' });
    expect(turnsOf(1)).toEqual(['user: Replica test.', `assistant: ${first.output_text}`, 'user: Still there?']);
  });
});

describe('with the store off (RESPONSES_STORE_TTL_S=0)', () => {
  let stateless: TestGateway;
  beforeAll(async () => {
    stateless = await startTestGateway({ RESPONSES_STORE_TTL_S: '0' }, { entities: ENTITIES });
  });
  afterAll(async () => stateless?.close());

  it('says store: false, refuses store: true, and finds no previous response', async () => {
    const r = await client(stateless.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Hi.' });
    expect(storeOf(r)).toBe(false);
    const refused = await client(stateless.url).responses.create({ model: 'claude-sonnet-4-5', input: 'Hi.', store: true }).catch((e: unknown) => e);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((refused as Error).message).toMatch(/RESPONSES_STORE_TTL_S=0/);
    const missing = await client(stateless.url).responses.create({ model: 'claude-sonnet-4-5', previous_response_id: r.id, input: 'Again.' }).catch((e: unknown) => e);
    expect((missing as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
  });
});
