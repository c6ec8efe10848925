/**
 * A fake OpenAI embeddings endpoint (POST /v1/embeddings, OpenAI's request and response format) whose
 * vectors are deterministic and meaningful enough for a semantic cache: the text is lower-cased, split
 * into words, stripped of stop words and plural "s", and each remaining word adds 1 to three of 256
 * dimensions (three seeded FNV-1a hashes, so two different words almost never look alike: sharing one
 * dimension makes them 1/3 similar, sharing all three has odds of about 1 in 600,000). "What is a
 * fractal?" and "Please tell me what fractals are" share every content word, so their vectors are equal
 * (similarity 1); "What is a prime number?" shares none.
 * It counts calls, and can be told to fail (an HTTP status) or stall (answer nothing) for the next calls.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DIMENSIONS = 256;
const HASHES = 3;
const STOP_WORDS = new Set(['a', 'an', 'the', 'is', 'are', 'what', 'whats', 's', 'please', 'tell', 'me', 'can', 'you', 'i', 'to', 'of', 'explain', 'do', 'does', 'mean', 'by', 'about']);

export function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(DIMENSIONS).fill(0);
  for (const raw of text.toLowerCase().replace(/'/g, '').split(/[^a-z0-9]+/)) {
    const word = raw.length > 3 && raw.endsWith('s') ? raw.slice(0, -1) : raw;
    if (!word || STOP_WORDS.has(word)) continue;
    for (let seed = 0; seed < HASHES; seed++) {
      let h = (0x811c9dc5 ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0;
      for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
      v[h % DIMENSIONS] += 1;
    }
  }
  return v;
}

export interface FakeEmbeddings {
  baseUrl: string;
  /** Every call: the input it embedded and the Authorization it carried. */
  calls: Array<{ input: unknown; model: unknown; authorization?: string }>;
  /** The next calls answer with this status (OpenAI's error body), or never answer ('stall'). */
  failNext(how: number | 'stall', times?: number): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeEmbeddings(): Promise<FakeEmbeddings> {
  const calls: FakeEmbeddings['calls'] = [];
  let failures: Array<number | 'stall'> = [];
  const stalled = new Set<IncomingMessage>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: `Unknown request URL: ${req.method} ${req.url}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } }));
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    calls.push({ input: body.input, model: body.model, authorization: req.headers.authorization });
    const failure = failures.shift();
    if (failure === 'stall') {
      stalled.add(req);
      req.once('close', () => stalled.delete(req));
      return;
    }
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } }));
    }
    if (typeof body.model !== 'string' || (typeof body.input !== 'string' && !Array.isArray(body.input))) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: "'input' and 'model' are required properties.", type: 'invalid_request_error', param: null, code: null } }));
    }
    const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
    const tokens = inputs.reduce((n, t) => n + t.split(/\s+/).length, 0);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      object: 'list',
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text) })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls,
    failNext(how, times = 1) {
      for (let i = 0; i < times; i++) failures.push(how);
    },
    reset() {
      calls.length = 0;
      failures = [];
    },
    async close() {
      for (const req of stalled) req.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
