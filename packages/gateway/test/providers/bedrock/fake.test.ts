/**
 * The fake Bedrock must be able to fail: it rejects bad signatures and malformed bodies the way AWS
 * does, and what it answers matches the Smithy model. Requests here are signed directly with
 * @smithy/signature-v4 so that each variant can be broken on purpose.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsEventStreamFramer } from '../../../src/streaming/framers/aws-eventstream.js';
import { FAKE_AWS_CREDENTIALS, startFakeBedrock, type FakeBedrock } from '../../fakes/bedrock.js';
import { validateAnthropic } from '../../helpers/anthropic-schema.js';
import { assertBedrock, validateConverseStreamEvent } from './bedrock-schema.js';
import { requireSpec } from '../../helpers/specs.js';

let fake: FakeBedrock;
beforeAll(async () => {
  fake = await startFakeBedrock();
});
afterAll(async () => {
  await fake.close();
});

interface SignOpts { secret?: string; keyId?: string; uriEscapePath?: boolean; signingDate?: Date; region?: string; tamper?: (b: string) => string }

async function post(rawPath: string, body: unknown, o: SignOpts = {}) {
  const url = new URL(fake.url + rawPath);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const signer = new SignatureV4({
    service: 'bedrock',
    region: o.region ?? 'us-east-1',
    sha256: Sha256,
    uriEscapePath: o.uriEscapePath ?? true,
    credentials: { accessKeyId: o.keyId ?? FAKE_AWS_CREDENTIALS.accessKeyId, secretAccessKey: o.secret ?? FAKE_AWS_CREDENTIALS.secretAccessKey },
  });
  const signed = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host, 'content-type': 'application/json' }, body: text },
    { signingDate: o.signingDate },
  );
  const { host: _h, ...headers } = signed.headers;
  const res = await request(url, { method: 'POST', headers, body: o.tamper ? o.tamper(text) : text });
  const buf = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, errorType: String(res.headers['x-amzn-errortype'] ?? '').split(':')[0], headers: res.headers, buf, json: () => JSON.parse(buf.toString('utf8')) as Record<string, unknown> };
}

const GOOD = { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] };
const PROFILE_PATH = '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0';

describe('fake Bedrock: SigV4 verified independently (aws4)', () => {
  it('accepts a correctly signed request', async () => {
    const r = await post(`${PROFILE_PATH}/converse`, GOOD);
    expect(r.status).toBe(200);
    assertBedrock('ConverseResponse', r.json());
  });

  it.each<[string, string, SignOpts | 'unsigned', number, string]>([
    ['no Authorization header', '/converse', 'unsigned', 403, 'MissingAuthenticationTokenException'],
    ['a wrong secret', '/converse', { secret: 'wrong' }, 403, 'InvalidSignatureException'],
    ['an unknown access key', '/converse', { keyId: 'AKIAUNKNOWN000000000' }, 403, 'UnrecognizedClientException'],
    ['a body changed after signing', '/converse', { tamper: (b) => b.replace('Hi', 'Ho') }, 403, 'InvalidSignatureException'],
    ['a path signed without the second URI encoding AWS expects', '/converse', { uriEscapePath: false }, 403, 'InvalidSignatureException'],
    ['a signature 10 minutes old', '/converse', { signingDate: new Date(Date.now() - 10 * 60 * 1000) }, 403, 'InvalidSignatureException'],
    ['another region in the credential scope', '/converse', { region: 'eu-west-1' }, 403, 'InvalidSignatureException'],
  ])('rejects %s', async (_what, op, opts, status, type) => {
    let r;
    if (opts === 'unsigned') {
      const res = await request(`${fake.url}${PROFILE_PATH}${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(GOOD) });
      r = { status: res.statusCode, errorType: String(res.headers['x-amzn-errortype']).split(':')[0], json: async () => res.body.json() };
    } else {
      r = await post(`${PROFILE_PATH}${op}`, GOOD, opts);
    }
    expect([r.status, r.errorType]).toEqual([status, type]);
    expect(fake.requests.at(-1)!.signature).not.toBe('valid');
  });
});

describe('fake Bedrock: rejects malformed requests as AWS does (400 ValidationException)', () => {
  it.each<[string, string, unknown, RegExp]>([
    ['a missing required member (content)', '/converse', { messages: [{ role: 'user' }] }, /content/],
    ['a content block with two members', '/converse', { messages: [{ role: 'user', content: [{ text: 'a', image: { format: 'png', source: { bytes: 'AA==' } } }] }] }, /validation error/],
    ['an unknown stop reason enum (role)', '/converse', { messages: [{ role: 'robot', content: [{ text: 'a' }] }] }, /validation error/],
    ['roles that do not alternate', '/converse', { messages: [{ role: 'user', content: [{ text: 'a' }] }, { role: 'user', content: [{ text: 'b' }] }] }, /alternate/],
    ['a blank text block', '/converse-stream', { messages: [{ role: 'user', content: [{ text: '  ' }] }] }, /blank/],
    ['tool blocks without toolConfig', '/converse', { messages: [{ role: 'user', content: [{ text: 'a' }] }, { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] }, { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'r' }] } }] }] }, /toolConfig/],
    ['a body member Converse does not have', '/converse', { ...GOOD, model: 'x' }, /unknown member 'model'/],
    ['an Anthropic invoke body with "model"', '/invoke', { anthropic_version: 'bedrock-2023-05-31', max_tokens: 5, model: 'claude', messages: [{ role: 'user', content: 'a' }] }, /extraneous key \[model\]/],
    ['an Anthropic invoke body without anthropic_version', '/invoke', { max_tokens: 5, messages: [{ role: 'user', content: 'a' }] }, /anthropic_version/],
    ['an Anthropic invoke body without max_tokens', '/invoke-with-response-stream', { anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: 'a' }] }, /max_tokens/],
    ['not JSON', '/converse', '{"messages":', /Malformed input request/],
  ])('%s', async (_what, op, body, message) => {
    // What the fake checks comes from the Smithy model and Anthropic's schema.
    requireSpec('bedrock/bedrock-runtime.schema.json');
    requireSpec('anthropic/anthropic-messages-2023-06-01.sdk0.137.0.schema.json');
    const r = await post(`${PROFILE_PATH}${op}`, body);
    expect([r.status, r.errorType]).toEqual([400, 'ValidationException']);
    expect(String(r.json().message)).toMatch(message);
    expect(fake.requests.at(-1)!.signature).toBe('valid');
  });

  it('embedding bodies: extraneous keys and missing input_type', async () => {
    const titan = await post('/model/amazon.titan-embed-text-v1/invoke', { inputText: 'a', dimensions: 256 });
    expect([titan.status, String(titan.json().message)]).toEqual([400, expect.stringMatching(/extraneous key \[dimensions\]/)]);
    const cohere = await post('/model/cohere.embed-english-v3/invoke', { texts: ['a'] });
    expect([cohere.status, String(cohere.json().message)]).toEqual([400, expect.stringMatching(/input_type/)]);
  });

  it('a model id that breaks the path (unencoded "/") finds no operation; an over-long id fails the Smithy length', async () => {
    const r = await post('/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x/converse', GOOD);
    expect([r.status, r.errorType]).toEqual([404, 'UnknownOperationException']);
    const bad = await post(`/model/${'a'.repeat(2049)}/converse`, GOOD);
    expect([bad.status, bad.errorType]).toEqual([400, 'ValidationException']);
  });
});

describe('fake Bedrock: its answers follow the published shapes', () => {
  it('ConverseStream events match the Smithy event union members', async () => {
    fake.reply({ reasoning: 'r', text: 'hello world', toolUse: { name: 'f', input: { a: 1 } }, usage: { inputTokens: 1, outputTokens: 2, cacheWriteInputTokens: 3 } });
    const r = await post(`${PROFILE_PATH}/converse-stream`, { ...GOOD, toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] } });
    expect(r.status).toBe(200);
    const events = createAwsEventStreamFramer().push(r.buf);
    expect(events.map((e) => e.headers?.[':event-type'])).toContain('metadata');
    for (const e of events) {
      expect(e.headers).toMatchObject({ ':message-type': 'event', ':content-type': 'application/json' });
      expect(validateConverseStreamEvent(e.headers![':event-type']!, JSON.parse(e.data)), e.data).toEqual([]);
    }
    fake.reply({});
  });

  it('InvokeModel answers an Anthropic Message', async () => {
    const r = await post(`${PROFILE_PATH}/invoke`, { anthropic_version: 'bedrock-2023-05-31', max_tokens: 5, messages: [{ role: 'user', content: 'a' }] });
    expect(r.status).toBe(200);
    expect(validateAnthropic('Message', r.json())).toEqual([]);
  });
});
