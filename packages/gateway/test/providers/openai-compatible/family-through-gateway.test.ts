import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { redirectingDispatcher } from '../../helpers/redirect-dispatcher.js';
import { OPENAI_COMPATIBLE_SPECS } from '../../../src/providers/openai-compatible/specs.js';

/**
 * Every OpenAI-compatible provider through the gateway: the official openai SDK calls the gateway with
 * x-portkey-provider, the gateway's upstream connections are redirected to one fake, and the fake
 * records the exact URL, auth header and body the provider documents. Each row names its own URL.
 */
interface Row {
  id: string;
  /** The chat completions URL the provider documents. */
  chatUrl: string;
  headers?: Record<string, string>;
  /** The auth header name and value the provider expects for the key `sk-test-<id>`. */
  auth?: [string, string];
  /** Headers the provider needs besides auth. */
  expectHeaders?: Record<string, string>;
  embeddingsUrl?: string;
}

const ROWS: Row[] = [
  { id: 'openai', chatUrl: 'https://api.openai.com/v1/chat/completions', embeddingsUrl: 'https://api.openai.com/v1/embeddings' },
  { id: 'groq', chatUrl: 'https://api.groq.com/openai/v1/chat/completions' },
  { id: 'together-ai', chatUrl: 'https://api.together.xyz/v1/chat/completions', embeddingsUrl: 'https://api.together.xyz/v1/embeddings' },
  { id: 'fireworks-ai', chatUrl: 'https://api.fireworks.ai/inference/v1/chat/completions', embeddingsUrl: 'https://api.fireworks.ai/inference/v1/embeddings' },
  { id: 'deepseek', chatUrl: 'https://api.deepseek.com/v1/chat/completions' },
  { id: 'openrouter', chatUrl: 'https://openrouter.ai/api/v1/chat/completions' },
  { id: 'perplexity-ai', chatUrl: 'https://api.perplexity.ai/chat/completions' },
  { id: 'x-ai', chatUrl: 'https://api.x.ai/v1/chat/completions', embeddingsUrl: 'https://api.x.ai/v1/embeddings' },
  { id: 'cerebras', chatUrl: 'https://api.cerebras.ai/v1/chat/completions' },
  { id: 'vllm', chatUrl: 'http://127.0.0.1:8000/v1/chat/completions' },
  { id: 'lm-studio', chatUrl: 'http://127.0.0.1:1234/v1/chat/completions' },
  { id: 'anyscale', chatUrl: 'https://api.endpoints.anyscale.com/v1/chat/completions' },
  { id: 'huggingface', chatUrl: 'https://router.huggingface.co/v1/chat/completions' },
  { id: 'deepinfra', chatUrl: 'https://api.deepinfra.com/v1/openai/chat/completions', embeddingsUrl: 'https://api.deepinfra.com/v1/openai/embeddings' },
  { id: 'github', chatUrl: 'https://models.github.ai/inference/chat/completions' },
  { id: 'sambanova', chatUrl: 'https://api.sambanova.ai/v1/chat/completions' },
  { id: 'nebius', chatUrl: 'https://api.studio.nebius.com/v1/chat/completions', embeddingsUrl: 'https://api.studio.nebius.com/v1/embeddings' },
  { id: 'dashscope', chatUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions', embeddingsUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1/embeddings' },
  { id: 'moonshot', chatUrl: 'https://api.moonshot.cn/v1/chat/completions' },
  { id: 'zhipu', chatUrl: 'https://open.bigmodel.cn/api/paas/v4/chat/completions', embeddingsUrl: 'https://open.bigmodel.cn/api/paas/v4/embeddings' },
  { id: 'z-ai', chatUrl: 'https://api.z.ai/api/paas/v4/chat/completions' },
  { id: 'novita-ai', chatUrl: 'https://api.novita.ai/v3/openai/chat/completions' },
  { id: 'siliconflow', chatUrl: 'https://api.siliconflow.cn/v1/chat/completions', embeddingsUrl: 'https://api.siliconflow.cn/v1/embeddings' },
  { id: 'lambda', chatUrl: 'https://api.lambda.ai/v1/chat/completions' },
  { id: 'hyperbolic', chatUrl: 'https://api.hyperbolic.xyz/v1/chat/completions' },
  { id: 'nscale', chatUrl: 'https://inference.api.nscale.com/v1/chat/completions' },
  { id: 'featherless-ai', chatUrl: 'https://api.featherless.ai/v1/chat/completions' },
  { id: 'ai21', chatUrl: 'https://api.ai21.com/studio/v1/chat/completions' },
  { id: 'nvidia-nim', chatUrl: 'https://integrate.api.nvidia.com/v1/chat/completions', embeddingsUrl: 'https://integrate.api.nvidia.com/v1/embeddings' },
  { id: 'lepton', chatUrl: 'https://api.lepton.ai/api/v1/chat/completions' },
  {
    id: 'workers-ai', chatUrl: 'https://api.cloudflare.com/client/v4/accounts/acc0123/ai/v1/chat/completions',
    headers: { 'x-portkey-workers-ai-account-id': 'acc0123' }, embeddingsUrl: 'https://api.cloudflare.com/client/v4/accounts/acc0123/ai/v1/embeddings',
  },
  { id: 'lingyi', chatUrl: 'https://api.lingyiwanwu.com/v1/chat/completions' },
  { id: 'ncompass', chatUrl: 'https://api.ncompass.tech/v1/chat/completions' },
  { id: 'monsterapi', chatUrl: 'https://llm.monsterapi.ai/v1/chat/completions' },
  { id: 'deepbricks', chatUrl: 'https://api.deepbricks.ai/v1/chat/completions' },
  { id: 'inference-net', chatUrl: 'https://api.inference.net/v1/chat/completions' },
  { id: 'lemonfox-ai', chatUrl: 'https://api.lemonfox.ai/v1/chat/completions' },
  { id: 'upstage', chatUrl: 'https://api.upstage.ai/v1/chat/completions', embeddingsUrl: 'https://api.upstage.ai/v1/embeddings' },
  {
    id: 'cortex', chatUrl: 'https://xy12345.us-east-1.snowflakecomputing.com/api/v2/cortex/v1/chat/completions',
    headers: { 'x-portkey-snowflake-account': 'xy12345.us-east-1' }, expectHeaders: { 'x-snowflake-authorization-token-type': 'KEYPAIR_JWT' },
  },
  { id: 'kluster-ai', chatUrl: 'https://api.kluster.ai/v1/chat/completions' },
  { id: 'krutrim', chatUrl: 'https://cloud.olakrutrim.com/v1/chat/completions' },
  { id: '302ai', chatUrl: 'https://api.302.ai/v1/chat/completions' },
  { id: 'cometapi', chatUrl: 'https://api.cometapi.com/v1/chat/completions' },
  {
    id: 'azure-ai', chatUrl: 'https://my-foundry.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview',
    headers: { 'x-portkey-azure-resource-name': 'my-foundry' }, auth: ['api-key', 'sk-test-azure-ai'],
    embeddingsUrl: 'https://my-foundry.services.ai.azure.com/models/embeddings?api-version=2024-05-01-preview',
  },
];

let gw: TestGateway;
let fake: FakeCompat;
let redirect: ReturnType<typeof redirectingDispatcher>;

beforeAll(async () => {
  fake = await startFakeCompat();
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
  // Local-server defaults (vllm, lm-studio) go out like a custom_host, through the guarded client.
  redirect = redirectingDispatcher(fake.origin);
  gw.gateway.deps.clients.custom = redirect.dispatcher;
  // Voyage documents {object, data:[{object, embedding, index}], model, usage:{total_tokens}} and no OpenAI `dimensions`.
  fake.route('/embeddings', (req) => {
    if (!req.url.startsWith('https://api.voyageai.com/')) return undefined;
    if ('dimensions' in req.body || 'user' in req.body) return { status: 400, body: { detail: 'unexpected field' } };
    return { status: 200, body: { object: 'list', data: req.body.input.map((_: string, index: number) => ({ object: 'embedding', embedding: [index, 0.5], index })), model: req.body.model, usage: { total_tokens: 9 } } };
  });
  fake.route('/images/generations', (req) => ({ status: 200, body: { created: 1_700_000_000, data: [{ url: `https://img.example/${req.body.prompt.length}.png` }] } }));
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await redirect?.close();
  await fake?.close();
});

const client = (id: string, headers: Record<string, string> = {}) =>
  new OpenAI({ apiKey: `sk-test-${id}`, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': id, ...headers } });

async function lastRequestOf(call: () => Promise<unknown>) {
  const before = fake.requests.length;
  await call();
  expect(fake.requests.length - before, 'exactly one upstream request').toBe(1);
  return fake.requests.at(-1)!;
}

function expectAuth(row: Row, headers: Record<string, unknown>) {
  const [name, value] = row.auth ?? ['authorization', `Bearer sk-test-${row.id}`];
  expect(headers[name]).toBe(value);
  if (name !== 'authorization') expect(headers.authorization, 'the key goes in one header only').toBeUndefined();
  for (const [k, v] of Object.entries(row.expectHeaders ?? {})) expect(headers[k]).toBe(v);
}

describe.each(ROWS)('$id', (row) => {
  it('chat: the documented URL, auth and body', async () => {
    const messages = [{ role: 'user' as const, content: `hello ${row.id}` }];
    let res: OpenAI.ChatCompletion | undefined;
    const req = await lastRequestOf(async () => (res = await client(row.id, row.headers).chat.completions.create({ model: `model-of-${row.id}`, messages, temperature: 0.5 })));
    expect(req.method).toBe('POST');
    expect(req.url).toBe(row.chatUrl);
    expectAuth(row, req.headers);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({ model: `model-of-${row.id}`, messages, temperature: 0.5 });
    assertOpenAI('CreateChatCompletionResponse', res);
    expect(res!.choices[0].message.content).toBe(`echo: hello ${row.id}`);
  });

  it('chat stream: usage and [DONE] relayed', async () => {
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    const req = await lastRequestOf(async () => {
      const stream = await client(row.id, row.headers).chat.completions.create({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'streamed' }] });
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
    });
    expect(req.url).toBe(row.chatUrl);
    expect(req.body.stream).toBe(true);
    expect(text).toBe('echo: streamed');
    expect(usage?.total_tokens).toBe(10);
  });

  it.runIf(!!row.embeddingsUrl)('embeddings: the documented URL', async () => {
    const req = await lastRequestOf(() => client(row.id, row.headers).embeddings.create({ model: 'embed-model', input: ['a', 'b'] }));
    expect(req.url).toBe(row.embeddingsUrl);
    expectAuth(row, req.headers);
    expect(req.body).toEqual({ model: 'embed-model', input: ['a', 'b'], encoding_format: 'base64' });
  });
});

describe('the table covers the family', () => {
  it('every OpenAI-compatible provider with chat has a row', () => {
    const withChat = OPENAI_COMPATIBLE_SPECS.filter((s) => s.chat !== false).map((s) => s.id).concat('openai').sort();
    expect(ROWS.map((r) => r.id).sort()).toEqual(withChat);
  });
});

describe('URL templates and base-URL settings', () => {
  it('workers-ai without its account id is a 400 naming the header', async () => {
    const err = await client('workers-ai').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.message).toContain('x-portkey-workers-ai-account-id');
  });

  it.each(['acc/../../evil', 'evil.com/x', 'a@b', 'a:80', '..'])('an account id %j that is not an identifier is refused', async (bad) => {
    const before = fake.requests.length;
    const err = await client('workers-ai', { 'x-portkey-workers-ai-account-id': bad }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('x-portkey-workers-ai-account-id');
    expect(fake.requests.length).toBe(before);
  });

  it('huggingface: a dedicated endpoint URL from x-portkey-huggingface-base-url', async () => {
    const req = await lastRequestOf(() => client('huggingface', { 'x-portkey-huggingface-base-url': 'https://abc123.us-east-1.aws.endpoints.huggingface.cloud' })
      .chat.completions.create({ model: 'tgi', messages: [{ role: 'user', content: 'x' }] }));
    expect(req.url).toBe('https://abc123.us-east-1.aws.endpoints.huggingface.cloud/v1/chat/completions');
  });

  it.each(['https://evil.example.com', 'http://abc.endpoints.huggingface.cloud', 'https://user:pw@abc.endpoints.huggingface.cloud', 'https://endpoints.huggingface.cloud.evil.com'])(
    'huggingface: base URL %s is refused (custom_host is the way to other hosts)', async (bad) => {
      const err = await client('huggingface', { 'x-portkey-huggingface-base-url': bad }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
      expect(err.status).toBe(400);
      expect(err.error.message).toContain('x-portkey-custom-host');
    },
  );

  it('azure-ai: the URL from x-portkey-azure-foundry-url and the api version from x-portkey-azure-api-version', async () => {
    const req = await lastRequestOf(() => client('azure-ai', { 'x-portkey-azure-foundry-url': 'https://proj.services.ai.azure.com/models', 'x-portkey-azure-api-version': '2024-08-01-preview' })
      .chat.completions.create({ model: 'Phi-4', messages: [{ role: 'user', content: 'x' }] }));
    expect(req.url).toBe('https://proj.services.ai.azure.com/models/chat/completions?api-version=2024-08-01-preview');
    expect(req.headers['api-key']).toBe('sk-test-azure-ai');
  });

  it('recraft-ai has no chat: a 400 saying so, and nothing sent', async () => {
    const before = fake.requests.length;
    const err = await client('recraft-ai').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.message).toMatch(/recraft-ai does not support/);
    expect(fake.requests.length).toBe(before);
  });

  it('recraft-ai images pass through to its documented URL', async () => {
    const req = await lastRequestOf(() => client('recraft-ai').images.generate({ model: 'recraftv3', prompt: 'a red fox' }));
    expect(req.url).toBe('https://external.api.recraft.ai/v1/images/generations');
    expect(req.headers.authorization).toBe('Bearer sk-test-recraft-ai');
    expect(req.body).toEqual({ model: 'recraftv3', prompt: 'a red fox' });
  });
});

describe('embeddings-only providers', () => {
  it('voyage: OpenAI embeddings translated (dimensions → output_dimension, usage filled)', async () => {
    let res: OpenAI.CreateEmbeddingResponse | undefined;
    const req = await lastRequestOf(async () => (res = await client('voyage').embeddings.create({ model: 'voyage-3', input: ['a', 'b'], dimensions: 256, encoding_format: 'float', user: 'u1' })));
    expect(req.url).toBe('https://api.voyageai.com/v1/embeddings');
    expect(req.headers.authorization).toBe('Bearer sk-test-voyage');
    expect(req.body).toEqual({ model: 'voyage-3', input: ['a', 'b'], output_dimension: 256 });
    assertOpenAI('CreateEmbeddingResponse', res);
    expect(res!.usage).toEqual({ prompt_tokens: 9, total_tokens: 9 });
    expect(res!.data[1].embedding).toEqual([1, 0.5]);
  });

  it('jina: OpenAI-shaped embeddings at its documented URL', async () => {
    const req = await lastRequestOf(() => client('jina').embeddings.create({ model: 'jina-embeddings-v3', input: 'hello' }));
    expect(req.url).toBe('https://api.jina.ai/v1/embeddings');
    expect(req.headers.authorization).toBe('Bearer sk-test-jina');
    expect(req.body).toEqual({ model: 'jina-embeddings-v3', input: 'hello', encoding_format: 'base64' });
  });

  it.each(['voyage', 'jina'])('%s has no chat: a 400, nothing sent', async (id) => {
    const before = fake.requests.length;
    const err = await client(id).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(fake.requests.length).toBe(before);
  });
});
