/** The checks that read the request's context: type, metadata, model rules, emptiness; and default.log. */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCheck, CheckParameterError, type CheckInput } from '../../src/guardrails/checks.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const run = (id: string, parameters: unknown, input: Partial<CheckInput>) => compileCheck(id, parameters)({ text: '', ...input });

describe('default.allowedRequestTypes', () => {
  it('allows and blocks by request type, from parameters or the metadata', async () => {
    expect((await run('default.allowedRequestTypes', { allowedTypes: ['chatComplete'] }, { requestType: 'chatComplete' })).verdict).toBe(true);
    expect((await run('default.allowedRequestTypes', { allowedTypes: 'chatComplete, complete' }, { requestType: 'embed' })).verdict).toBe(false);
    expect((await run('default.allowedRequestTypes', { blockedTypes: ['embed'] }, { requestType: 'embed' })).verdict).toBe(false);
    expect((await run('default.allowedRequestTypes', {}, { requestType: 'embed', metadata: { blocked_endpoints: 'embed' } })).verdict).toBe(false);
    expect((await run('default.allowedRequestTypes', {}, { requestType: 'embed' })).verdict).toBe(true);
    expect(() => compileCheck('default.allowedRequestTypes', { allowedTypes: ['embed'], blockedTypes: ['embed'] })).toThrow(CheckParameterError);
  });
});

describe('default.requiredMetadataKeys', () => {
  it('passes by operator all, any or none', async () => {
    const metadata = { team: 'a', env: 'prod' };
    expect((await run('default.requiredMetadataKeys', { metadataKeys: ['team', 'env'], operator: 'all' }, { metadata })).verdict).toBe(true);
    const missing = await run('default.requiredMetadataKeys', { metadataKeys: ['team', 'owner'], operator: 'all' }, { metadata });
    expect(missing).toEqual({ verdict: false, data: { operator: 'all', found_metadata_keys: ['team'], missing_metadata_keys: ['owner'] } });
    expect((await run('default.requiredMetadataKeys', { metadataKeys: ['owner', 'env'], operator: 'any' }, { metadata })).verdict).toBe(true);
    expect((await run('default.requiredMetadataKeys', { metadataKeys: ['env'], operator: 'none' }, { metadata })).verdict).toBe(false);
    expect(() => compileCheck('default.requiredMetadataKeys', { metadataKeys: [] })).toThrow(expect.objectContaining({ where: 'metadataKeys' }));
  });
});

describe('default.modelRules', () => {
  const rules = { defaults: ['gpt-4o-mini'], metadata: { team: { research: ['gpt-4o', 'o3'] } } };
  it('allows the models the metadata names, else the defaults; not inverts', async () => {
    expect((await run('default.modelRules', { rules }, { model: 'o3', metadata: { team: 'research' } })).verdict).toBe(true);
    expect((await run('default.modelRules', { rules }, { model: 'o3', metadata: { team: 'sales' } })).verdict).toBe(false);
    expect((await run('default.modelRules', { rules }, { model: 'gpt-4o-mini' })).verdict).toBe(true);
    expect((await run('default.modelRules', { rules, not: true }, { model: 'gpt-4o-mini' })).verdict).toBe(false);
    expect(() => compileCheck('default.modelRules', {})).toThrow(expect.objectContaining({ where: 'rules' }));
  });
});

describe('default.notNull', () => {
  it('fails on empty text', async () => {
    expect((await run('default.notNull', {}, { text: '  ' })).verdict).toBe(false);
    expect((await run('default.notNull', {}, { text: 'x' })).verdict).toBe(true);
  });
});

describe('through the gateway', () => {
  let fake: FakeOpenAI;
  let gw: TestGateway;
  let logged: unknown[] = [];
  const logServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      logged.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    await new Promise<void>((r) => logServer.listen(0, '127.0.0.1', r));
    gw = await startTestGateway({ CUSTOM_HOST_ALLOW_LOOPBACK: 'true' });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    logServer.closeAllConnections();
    logServer.close();
  });
  const send = (config: object, path = '/v1/chat/completions', body: object = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, metadata?: object) =>
    fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-config': JSON.stringify({ provider: 'openai', api_key: 'sk-x', custom_host: fake.baseUrl, ...config }), ...(metadata ? { 'x-portkey-metadata': JSON.stringify(metadata) } : {}) },
      body: JSON.stringify(body),
    });

  it('refuses a request type the hook blocks, and a request without the metadata it requires', async () => {
    expect((await send({ input_guardrails: [{ 'default.allowedRequestTypes': { allowedTypes: ['chatComplete'] }, deny: true }] })).status).toBe(200);
    const blocked = await send({ input_guardrails: [{ 'default.allowedRequestTypes': { blockedTypes: ['chatComplete'] }, deny: true }] });
    expect(blocked.status).toBe(446);
    expect((await blocked.json()).hook_results.before_request_hooks[0].checks[0].data).toMatchObject({ currentRequestType: 'chatComplete', blockedTypes: ['chatComplete'] });
    const keys = { input_guardrails: [{ 'default.requiredMetadataKeys': { metadataKeys: ['team'], operator: 'all' }, deny: true }] };
    expect((await send(keys)).status).toBe(446);
    expect((await send(keys, undefined, undefined, { team: 'a' })).status).toBe(200);
  });

  it('default.log sends what it saw to logURL and never blocks', async () => {
    logged = [];
    const url = `http://127.0.0.1:${(logServer.address() as { port: number }).port}/log`;
    const res = await send({ input_guardrails: [{ 'default.log': { logURL: url }, deny: true }] });
    expect(res.status).toBe(200);
    expect(logged).toEqual([expect.objectContaining({ eventType: 'beforeRequestHook', request: expect.objectContaining({ text: 'hi' }) })]);
    const down = await send({ input_guardrails: [{ 'default.log': { logURL: 'http://127.0.0.1:9/log' }, deny: true }] });
    expect(down.status).toBe(200);
  });
});
