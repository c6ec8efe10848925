import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type CompatRequest, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertPortkey, portkeySpecAvailable } from '../../helpers/portkey-schema.js';
import { FAKE_AWS_CREDENTIALS } from '../../fakes/bedrock.js';
import { verifySigV4 } from '../bedrock/sigv4-verify.js';

/**
 * POST /v1/rerank in Portkey's shape through the gateway, translated for Cohere, Voyage and Jina. The
 * fake answers in each provider's documented format and records what the gateway sent; the client's
 * response is checked against Portkey's CreateRerankResponse.
 */
const specHere = portkeySpecAvailable();

let gw: TestGateway;
let fake: FakeCompat;

/** Scores by how many query words a document shares: deterministic, and order-sensitive. */
function score(query: string, doc: string): number {
  const q = new Set(query.toLowerCase().split(/\W+/).filter(Boolean));
  const words = doc.toLowerCase().split(/\W+/).filter(Boolean);
  return Math.round((words.filter((w) => q.has(w)).length / Math.max(1, words.length)) * 1000) / 1000;
}
function ranked(query: string, docs: string[], top?: number) {
  const all = docs.map((d, index) => ({ index, relevance_score: score(query, d) })).sort((a, b) => b.relevance_score - a.relevance_score);
  return top ? all.slice(0, top) : all;
}
const bad = (message: string) => ({ status: 422, body: { detail: message } });

beforeAll(async () => {
  fake = await startFakeCompat();
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
  // Bedrock agent runtime Rerank: SigV4 (service "bedrock") checked by an independent implementation.
  fake.route('/rerank', (req: CompatRequest) => {
    if (!req.url.startsWith('https://bedrock-agent-runtime.')) return undefined;
    const path = req.url.slice(req.url.indexOf('/', 8));
    const sig = verifySigV4({ method: req.method, rawPath: path, headers: req.headers, body: Buffer.from(req.raw) }, { service: 'bedrock', region: 'us-west-2', credentials: [FAKE_AWS_CREDENTIALS] });
    if (!sig.ok) return { status: sig.status, body: { message: sig.message } };
    const b = req.body;
    const cfg = b.rerankingConfiguration?.bedrockRerankingConfiguration;
    if (b.rerankingConfiguration?.type !== 'BEDROCK_RERANKING_MODEL' || !cfg?.modelConfiguration?.modelArn || b.queries?.[0]?.type !== 'TEXT') return { status: 400, body: { message: 'ValidationException' } };
    const texts: string[] = b.sources.map((src: any) => src.inlineDocumentSource.textDocument.text);
    return { status: 200, body: { results: ranked(b.queries[0].textQuery.text, texts, cfg.numberOfResults).map((r) => ({ index: r.index, relevanceScore: r.relevance_score })) } };
  });
  fake.route('/v2/rerank', (req: CompatRequest) => {
    // Cohere v2: documents are strings; the response carries no documents.
    const b = req.body;
    if (typeof b.query !== 'string' || !Array.isArray(b.documents) || !b.documents.every((d: unknown) => typeof d === 'string')) return { status: 400, body: { message: 'invalid request: documents must be strings' } };
    return { status: 200, body: { id: 'rr-cohere-1', results: ranked(b.query, b.documents, b.top_n), meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } } };
  });
  fake.route('/v1/rerank', (req: CompatRequest) => {
    const b = req.body;
    if (req.url.startsWith('https://api.voyageai.com/')) {
      if ('top_n' in b) return bad('Unknown field top_n; Voyage takes top_k');
      if (b.query === 'fail') return bad('Request to model rerank-2 failed: query is too long.');
      const data = ranked(b.query, b.documents, b.top_k).map((r) => ({ ...r, ...(b.return_documents ? { document: b.documents[r.index] } : {}) }));
      return { status: 200, body: { object: 'list', data, model: b.model, usage: { total_tokens: 42 } } };
    }
    // Jina: documents may be strings or objects; returned as {text} when asked.
    const texts: string[] = b.documents.map((d: string | { text: string }) => (typeof d === 'string' ? d : d.text));
    const results = ranked(b.query, texts, b.top_n).map((r) => ({ ...r, ...(b.return_documents !== false ? { document: { text: texts[r.index] } } : {}) }));
    return { status: 200, body: { model: b.model, usage: { total_tokens: 17 }, results } };
  });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const DOCS = ['Berlin is the capital of Germany.', 'Paris is the capital of France.', 'Capital of France: Paris.'];

async function rerank(provider: string, body: unknown) {
  const res = await fetch(`${gw.url}/v1/rerank`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-provider': provider, authorization: `Bearer key-${provider}` }, body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const CASES = [
  { provider: 'cohere', url: 'https://api.cohere.com/v2/rerank', model: 'rerank-v3.5', sent: (top: number) => ({ model: 'rerank-v3.5', query: 'capital of France', documents: DOCS, top_n: top }) },
  { provider: 'voyage', url: 'https://api.voyageai.com/v1/rerank', model: 'rerank-2', sent: (top: number) => ({ model: 'rerank-2', query: 'capital of France', documents: DOCS, top_k: top, return_documents: true }) },
  { provider: 'jina', url: 'https://api.jina.ai/v1/rerank', model: 'jina-reranker-v2-base-multilingual', sent: (top: number) => ({ model: 'jina-reranker-v2-base-multilingual', query: 'capital of France', documents: DOCS, top_n: top, return_documents: true }) },
];

describe.each(CASES)('rerank via $provider', ({ provider, url, model, sent }) => {
  it("translates Portkey's request to the provider's and its answer back", async () => {
    const before = fake.requests.length;
    const res = await rerank(provider, { model, query: 'capital of France', documents: DOCS, top_n: 2, ...(provider === 'cohere' ? {} : { return_documents: true }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(fake.requests.length - before).toBe(1);
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe(url);
    expect(up.headers.authorization).toBe(`Bearer key-${provider}`);
    expect(up.body).toEqual(sent(2));
    if (specHere) assertPortkey('CreateRerankResponse', res.body);
    expect(res.body.provider).toBe(provider);
    expect(res.body.results.map((r: { index: number }) => r.index)).toEqual([2, 1]);
    expect(res.body.results[0].relevance_score).toBeGreaterThanOrEqual(res.body.results[1].relevance_score);
    if (provider !== 'cohere') expect(res.body.results[0].document).toEqual({ text: DOCS[2] });
  });
});

describe('rerank via bedrock', () => {
  it('signs with SigV4 and sends the Rerank body with the model as its ARN', async () => {
    const res = await fetch(`${gw.url}/v1/rerank`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'us-west-2',
        'x-portkey-aws-access-key-id': FAKE_AWS_CREDENTIALS.accessKeyId, 'x-portkey-aws-secret-access-key': FAKE_AWS_CREDENTIALS.secretAccessKey,
      },
      body: JSON.stringify({ model: 'cohere.rerank-v3-5:0', query: 'capital of France', documents: DOCS, top_n: 2, return_documents: true }),
    });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://bedrock-agent-runtime.us-west-2.amazonaws.com/rerank');
    expect(up.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEBEDROCK00001\/\d{8}\/us-west-2\/bedrock\/aws4_request/);
    expect(up.body).toEqual({
      queries: [{ type: 'TEXT', textQuery: { text: 'capital of France' } }],
      sources: DOCS.map((text) => ({ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } })),
      rerankingConfiguration: { type: 'BEDROCK_RERANKING_MODEL', bedrockRerankingConfiguration: { numberOfResults: 2, modelConfiguration: { modelArn: 'arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0' } } },
    });
    if (specHere) assertPortkey('CreateRerankResponse', body);
    expect(body.results).toEqual([{ index: 2, relevance_score: 0.75, document: { text: DOCS[2] } }, { index: 1, relevance_score: 0.5, document: { text: DOCS[1] } }]);
  });

  it('a wrong secret fails the signature check upstream, and the gateway says so', async () => {
    const res = await fetch(`${gw.url}/v1/rerank`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'us-west-2',
        'x-portkey-aws-access-key-id': FAKE_AWS_CREDENTIALS.accessKeyId, 'x-portkey-aws-secret-access-key': 'not-the-secret',
      },
      body: JSON.stringify({ model: 'cohere.rerank-v3-5:0', query: 'q', documents: ['a'] }),
    });
    expect(res.status).toBe(403);
  });
});

describe('rerank request checks', () => {
  it('cohere: documents come back from the request when return_documents is true', async () => {
    const res = await rerank('cohere', { model: 'rerank-v3.5', query: 'capital of France', documents: [{ text: DOCS[0] }, DOCS[1]], return_documents: true });
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)!.body.documents).toEqual([DOCS[0], DOCS[1]]);
    expect(res.body.results[0]).toMatchObject({ index: 1, document: { text: DOCS[1] } });
    if (specHere) assertPortkey('CreateRerankResponse', res.body);
  });

  it.each([
    [{ query: 'q', documents: ['a'] }, 'model'],
    [{ model: 'm', documents: ['a'] }, 'query'],
    [{ model: 'm', query: 'q', documents: [] }, 'documents'],
    [{ model: 'm', query: 'q', documents: ['a'], top_n: 0 }, 'top_n'],
    [{ model: 'm', query: 'q', documents: ['a'], topN: 2 }, 'topN'],
    [{ model: 'm', query: 'q', documents: [7] }, 'documents'],
  ])('%j is a 400 naming %s, and nothing is sent', async (body, param) => {
    const before = fake.requests.length;
    const res = await rerank('cohere', body);
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe(param);
    expect(fake.requests.length).toBe(before);
  });

  it('an object document without text is refused for a provider that ranks strings', async () => {
    const res = await rerank('voyage', { model: 'rerank-2', query: 'q', documents: [{ title: 'no text' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('documents[0]');
  });

  it('a provider without rerank is a 400 naming it', async () => {
    const res = await rerank('groq', { model: 'm', query: 'q', documents: ['a'] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('groq does not support rerank');
  });

  it("a provider's error keeps its status and message", async () => {
    const res = await rerank('voyage', { model: 'rerank-2', query: 'fail', documents: ['a'] });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('query is too long');
  });
});
