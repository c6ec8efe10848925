import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';

// Limits on a virtual key hold however the key is named: in the header, or in a routing config.
let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  process.env.PORTICO_TEST_LIMITED_VK = 'sk-limited-vk';
  gw = await startTestGateway({}, { entities: `virtual_keys:
  - slug: limited-vk
    provider: openai
    api_key: \${PORTICO_TEST_LIMITED_VK}
    settings: { custom_host: "${fake.baseUrl}" }
    limits:
      - { kind: requests, limit: 2, window: hour }
  - slug: spare-vk
    provider: openai
    api_key: \${PORTICO_TEST_LIMITED_VK}
    settings: { custom_host: "${fake.baseUrl}" }
` });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const ask = (config: object) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-portkey-config': JSON.stringify(config) },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }),
  });

describe('virtual-key limits named by a config', () => {
  it('hold for a virtual key at the root of the config', async () => {
    await awayFromWindowEnd('hour');
    const config = { virtual_key: 'limited-vk', custom_host: fake.baseUrl };
    expect((await ask(config)).status).toBe(200);
    expect((await ask(config)).status).toBe(200);
    const third = await ask(config);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await third.json()).error.message).toMatch(/requests per hour limit of 2 for virtual key limited-vk exceeded/);
  });

  it('send a fallback config on to its next target once the first key is over its limit', async () => {
    const before = fake.requests.length;
    const res = await ask({
      strategy: { mode: 'fallback' },
      targets: [{ virtual_key: 'limited-vk', custom_host: fake.baseUrl }, { virtual_key: 'spare-vk', custom_host: fake.baseUrl }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[1]');
    expect(fake.requests.length - before).toBe(1);
  });
});
