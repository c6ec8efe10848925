/**
 * Fake Google upstream on node:http, following the published REST formats:
 *  - Gemini API  /v1beta/models/M:{generateContent|streamGenerateContent|embedContent|batchEmbedContents}
 *    (key in x-goog-api-key or ?key=; missing → 403 PERMISSION_DENIED, wrong → 400 API_KEY_INVALID);
 *  - Vertex AI   /v1/projects/P/locations/R/publishers/{google|anthropic}/models/M:{generateContent|
 *    streamGenerateContent|predict|rawPredict|streamRawPredict} (Authorization: Bearer <token from /token>);
 *  - OAuth token endpoint /token: verifies the RS256 JWT assertion with the service account's public key.
 * Request bodies are validated against the Gemini JSON Schemas (Anthropic bodies against Anthropic's),
 * and rejected with 400 INVALID_ARGUMENT in the google.rpc envelope, as the real API does. Replies are
 * validated against the response schemas before they are sent. Faults are scripted with enqueue().
 * SSE framing: `data: <GenerateContentResponse>\r\n\r\n`, no event names, no [DONE]; without alt=sse
 * the stream is one JSON array written piece by piece.
 */
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { answerFailure, createFakeServer } from '../helpers/fake-server.js';
import type { AddressInfo } from 'node:net';
import { validateGemini as validateGeminiSpec } from '../providers/google/gemini-spec.js';
import { checkedIfPresent } from '../helpers/specs.js';
import { validateAnthropic as validateAnthropicSpec } from '../helpers/anthropic-schema.js';

const validateGemini = checkedIfPresent('gemini/gemini-v1beta.schema.json', validateGeminiSpec, []);
const validateAnthropic = checkedIfPresent('anthropic/anthropic-messages-2023-06-01.sdk0.137.0.schema.json', validateAnthropicSpec, []);

type Json = Record<string, unknown>;

export type GeminiFault =
  | { kind: 'error'; status: number; rpcStatus: string; message: string; retryAfter?: string }
  | { kind: 'prompt-blocked' }
  | { kind: 'candidate-safety' }
  | { kind: 'cut'; afterFrames: number }
  | { kind: 'stream-error'; afterFrames: number }
  | { kind: 'reply'; body: Json }
  | { kind: 'frames'; frames: Json[] };

import { getGlobalDispatcher } from 'undici';
import type { AuthorizeContext } from '../../src/providers/types.js';

export interface RecordedRequest { method: string; path: string; query: Record<string, string>; headers: http.IncomingHttpHeaders; body: unknown }

export interface FakeGemini {
  url: string;
  /** Base URLs for target.customHost: the Gemini API (with /v1beta) and Vertex (with /v1). */
  geminiBase: string;
  vertexBase: string;
  apiKey: string;
  /** A service account key file whose token_uri points at this fake. */
  serviceAccountJson: string;
  /** This fake's token endpoint: allow it with VERTEX_TOKEN_URIS (a gateway) or in an AuthorizeContext. */
  tokenUri: string;
  /** An AuthorizeContext that allows this fake's token endpoint, for calling authorize() directly. */
  authorizeContext: AuthorizeContext;
  /** A bearer token the Vertex paths accept without an exchange. */
  staticBearer: string;
  readonly tokenExchanges: number;
  requests: RecordedRequest[];
  enqueue(...faults: GeminiFault[]): void;
  close(): Promise<void>;
}

export interface FakeGeminiOptions { tokenExpiresIn?: number }

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export async function startFakeGemini(opts: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = 'portico-test@fake-project.iam.gserviceaccount.com';
  const faults: GeminiFault[] = [];
  const requests: RecordedRequest[] = [];
  const issued = new Set<string>();
  let exchanges = 0;
  let url = '';

  const server = createFakeServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        if (res.headersSent) return answerFailure(res, e);
        sendRpc(res, 500, 'INTERNAL', `fake-gemini crashed: ${(e as Error).stack ?? String(e)}`);
      }
    });
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const u = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(u.searchParams);
    if (req.method === 'POST' && u.pathname === '/token') return token(res, raw);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      requests.push({ method: req.method ?? '', path: u.pathname, query, headers: req.headers, body: raw });
      return sendRpc(res, 400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unexpected token.\n${raw.slice(0, 40)}`);
    }
    requests.push({ method: req.method ?? '', path: u.pathname, query, headers: req.headers, body });
    if (req.method !== 'POST') return sendRpc(res, 404, 'NOT_FOUND', `The requested URL ${u.pathname} was not found on this server.`);

    const gem = /^\/v1beta\/models\/([^/:]+):([A-Za-z]+)$/.exec(u.pathname);
    const vtx = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):([A-Za-z]+)$/.exec(decodeURIComponent(u.pathname));
    if (gem) {
      const key = req.headers['x-goog-api-key'] ?? query.key;
      if (!key) return sendRpc(res, 403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
      if (key !== fake.apiKey) return sendRpc(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]);
      return route(res, decodeURIComponent(gem[1]), gem[2], query, body, 'gemini');
    }
    if (vtx) {
      const auth = req.headers.authorization ?? '';
      const tok = /^Bearer (.+)$/.exec(auth)?.[1];
      if (!tok || !(issued.has(tok) || tok === fake.staticBearer)) {
        return sendRpc(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.');
      }
      return route(res, vtx[4], vtx[5], query, body, vtx[3] === 'anthropic' ? 'vertex-anthropic' : 'vertex');
    }
    return sendRpc(res, 404, 'NOT_FOUND', `The requested URL ${u.pathname} was not found on this server.`);
  }

  function route(res: http.ServerResponse, model: string, method: string, query: Record<string, string>, body: unknown, api: 'gemini' | 'vertex' | 'vertex-anthropic'): void {
    if (api === 'vertex-anthropic') {
      if (method !== 'rawPredict' && method !== 'streamRawPredict') return sendRpc(res, 404, 'NOT_FOUND', `Method ${method} is not supported for Anthropic models.`);
      return anthropic(res, model, body, method === 'streamRawPredict');
    }
    if (method === 'generateContent' || method === 'streamGenerateContent') {
      const problem = checkGenerate(body);
      if (problem) return sendRpc(res, 400, 'INVALID_ARGUMENT', problem);
      const fault = faults.shift();
      if (fault?.kind === 'error') return sendRpc(res, fault.status, fault.rpcStatus, fault.message, undefined, fault.retryAfter);
      const frames = reply(body as Json, model, fault);
      for (const f of frames) {
        const errs = validateGemini('GenerateContentResponse', f, 'response');
        if (errs.length) return sendRpc(res, 500, 'INTERNAL', `fake-gemini: scripted reply breaks the schema: ${errs.join('; ')}`);
      }
      if (method === 'generateContent') return sendJson(res, 200, frames.length === 1 ? frames[0] : merge(frames));
      return stream(res, frames, query.alt === 'sse', fault);
    }
    if (api === 'gemini' && (method === 'embedContent' || method === 'batchEmbedContents')) {
      const schema = method === 'embedContent' ? 'EmbedContentRequest' : 'BatchEmbedContentsRequest';
      const errs = validateGemini(schema, body, 'request');
      if (errs.length) return sendRpc(res, 400, 'INVALID_ARGUMENT', invalidMessage(schema, errs));
      const fault = faults.shift();
      if (fault?.kind === 'error') return sendRpc(res, fault.status, fault.rpcStatus, fault.message, undefined, fault.retryAfter);
      if (method === 'embedContent') return sendJson(res, 200, { embedding: { values: vector(textOf((body as Json).content), (body as Json).outputDimensionality) } });
      const reqs = (body as { requests: Json[] }).requests;
      const bad = reqs.findIndex((r) => r.model !== `models/${model}`);
      if (bad >= 0) return sendRpc(res, 400, 'INVALID_ARGUMENT', `* BatchEmbedContentsRequest.requests[${bad}].model: the model in each request must match the model of the batch (models/${model}).`);
      return sendJson(res, 200, { embeddings: reqs.map((r) => ({ values: vector(textOf(r.content), r.outputDimensionality) })) });
    }
    if (api === 'vertex' && method === 'predict') {
      const b = body as { instances?: Array<{ content?: unknown }>; parameters?: { outputDimensionality?: unknown } };
      if (!Array.isArray(b?.instances) || !b.instances.every((i) => typeof i.content === 'string')) {
        return sendRpc(res, 400, 'INVALID_ARGUMENT', 'Invalid request: instances must be a list of {"content": string}.');
      }
      return sendJson(res, 200, {
        predictions: b.instances.map((i) => ({ embeddings: { values: vector(i.content, b.parameters?.outputDimensionality), statistics: { token_count: words(String(i.content)), truncated: false } } })),
        metadata: { billableCharacterCount: b.instances.reduce((n, i) => n + String(i.content).length, 0) },
      });
    }
    return sendRpc(res, 404, 'NOT_FOUND', `models/${model} is not found for API version v1beta, or is not supported for ${method}.`);
  }

  /** Schema validation, then the semantic checks the API makes beyond the schema. */
  function checkGenerate(body: unknown): string | undefined {
    const errs = validateGemini('GenerateContentRequest', body, 'request');
    if (errs.length) return invalidMessage('GenerateContentRequest', errs);
    const b = body as { contents?: Array<{ role?: string; parts?: unknown[] }>; tools?: Array<{ functionDeclarations?: Json[] }>; generationConfig?: { responseSchema?: Json } };
    if (!b.contents?.length) return '* GenerateContentRequest.contents: contents is not specified';
    for (const [i, c] of b.contents.entries()) {
      if (c.role !== undefined && c.role !== 'user' && c.role !== 'model') return `Please use a valid role: user, model. (contents[${i}].role "${c.role}")`;
      if (!c.parts?.length) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    }
    for (const [t, tool] of (b.tools ?? []).entries()) {
      for (const [d, decl] of (tool.functionDeclarations ?? []).entries()) {
        if (decl.parameters) {
          const p = schemaProblem(decl.parameters as Json, `GenerateContentRequest.tools[${t}].function_declarations[${d}].parameters`);
          if (p) return p;
        }
      }
    }
    if (b.generationConfig?.responseSchema) return schemaProblem(b.generationConfig.responseSchema, 'GenerateContentRequest.generation_config.response_schema');
    return undefined;
  }

  function token(res: http.ServerResponse, raw: string): void {
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    const problem = verifyAssertion(form.get('assertion') ?? '', publicKey, clientEmail, `${url}/token`);
    if (problem) return sendJson(res, 400, { error: 'invalid_grant', error_description: problem });
    exchanges++;
    const access = `ya29.fake-${exchanges}-${Math.random().toString(36).slice(2)}`;
    issued.add(access);
    sendJson(res, 200, { access_token: access, expires_in: opts.tokenExpiresIn ?? 3599, token_type: 'Bearer' });
  }

  function anthropic(res: http.ServerResponse, model: string, body: unknown, streaming: boolean): void {
    const b = (body ?? {}) as Json;
    const bad = (message: string) => sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message } });
    if (b.anthropic_version !== 'vertex-2023-10-16') return bad('anthropic_version: must be "vertex-2023-10-16" on Vertex AI');
    if ('model' in b) return bad('model: Extra inputs are not permitted (the model is named in the URL on Vertex AI)');
    const { anthropic_version: _v, ...rest } = b;
    const errs = validateAnthropic(streaming ? 'MessageCreateParamsStreaming' : 'MessageCreateParamsNonStreaming', { ...rest, model });
    if (errs.length) return bad(errs.slice(0, 3).join('; '));
    if (streaming !== (b.stream === true)) return bad(`stream: must be ${streaming} for ${streaming ? 'streamRawPredict' : 'rawPredict'}`);
    const fault = faults.shift();
    if (fault?.kind === 'error') return sendRpc(res, fault.status, fault.rpcStatus, fault.message, undefined, fault.retryAfter);
    const text = 'Hello from Claude on fake Vertex.';
    const input = words(JSON.stringify(b.messages));
    if (!streaming) {
      return sendJson(res, 200, { id: 'msg_vrtx_01', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: input, output_tokens: 7 } });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const ev = (type: string, data: Json) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    ev('message_start', { message: { id: 'msg_vrtx_02', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: input, output_tokens: 1 } } });
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    ev('ping', {});
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello from Claude' } });
    if (fault?.kind === 'cut') return void res.write('', () => setTimeout(() => res.destroy(), 20));
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' on fake Vertex.' } });
    ev('content_block_stop', { index: 0 });
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } });
    ev('message_stop', {});
    res.end();
  }

  // Idle keep-alive sockets stay open like Google's front ends, so clients do not race a server-side close.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeGemini = {
    url,
    geminiBase: `${url}/v1beta`,
    vertexBase: `${url}/v1`,
    apiKey: 'AIza-fake-test-key',
    staticBearer: 'ya29.static-test-token',
    serviceAccountJson: JSON.stringify({
      type: 'service_account', project_id: 'fake-project', private_key_id: 'fake-key-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: clientEmail, client_id: '1',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: `${url}/token`,
    }),
    tokenUri: `${url}/token`,
    authorizeContext: { dispatcher: getGlobalDispatcher(), checkEgress: async () => undefined, tokenUris: [`${url}/token`] },
    get tokenExchanges() { return exchanges; },
    requests,
    enqueue: (...f) => void faults.push(...f),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  return fake;
}

// ---------- replies ----------

/** The frames of one reply: the scripted ones, or a deterministic answer built from the request. */
function reply(body: Json, model: string, fault: GeminiFault | undefined): Json[] {
  if (fault?.kind === 'reply') return [fault.body];
  if (fault?.kind === 'frames') return fault.frames;
  const prompt = words(JSON.stringify(body.contents));
  if (fault?.kind === 'prompt-blocked') {
    return [{ promptFeedback: { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH' }] }, usageMetadata: { promptTokenCount: prompt, totalTokenCount: prompt }, modelVersion: model }];
  }
  const usage = (out: number, thoughts = 0) => ({ promptTokenCount: prompt, candidatesTokenCount: out, totalTokenCount: prompt + out + thoughts, ...(thoughts ? { thoughtsTokenCount: thoughts } : {}) });
  if (fault?.kind === 'candidate-safety') {
    return [{ candidates: [{ content: { role: 'model', parts: [{ text: 'I will not' }] }, index: 0 }], usageMetadata: usage(3), modelVersion: model },
      { candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }] }], usageMetadata: usage(3), modelVersion: model }];
  }
  const contents = body.contents as Array<{ parts: Json[] }>;
  const lastParts = contents[contents.length - 1].parts;
  const decls = ((body.tools as Array<{ functionDeclarations?: Json[] }> | undefined) ?? []).flatMap((t) => t.functionDeclarations ?? []);
  const fcc = (body.toolConfig as { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } } | undefined)?.functionCallingConfig;
  const gen = (body.generationConfig ?? {}) as { thinkingConfig?: { includeThoughts?: boolean }; candidateCount?: number };
  const thought = gen.thinkingConfig?.includeThoughts ? [{ text: 'Thinking about it.', thought: true }] : [];
  if (decls.length && fcc?.mode !== 'NONE' && !lastParts.some((p) => p.functionResponse)) {
    const decl = decls.find((d) => !fcc?.allowedFunctionNames || fcc.allowedFunctionNames.includes(d.name as string)) ?? decls[0];
    const args = sample(decl.parameters as Json | undefined) as Json;
    return [{ candidates: [{ content: { role: 'model', parts: [...thought, { functionCall: { name: decl.name, args } }] }, finishReason: 'STOP', index: 0 }], usageMetadata: usage(5, thought.length ? 4 : 0), modelVersion: model, responseId: 'fake-resp-1' }];
  }
  const text = ['Hello', ' from fake', ' Gemini.'];
  const n = gen.candidateCount ?? 1;
  const frames: Json[] = text.map((t, i) => ({
    candidates: Array.from({ length: n }, (_, c) => ({ content: { role: 'model', parts: [...(i === 0 ? thought : []), { text: t }] }, index: c, ...(i === text.length - 1 ? { finishReason: 'STOP' } : {}) })),
    usageMetadata: i === text.length - 1 ? usage(4 * n, thought.length ? 4 : 0) : { promptTokenCount: prompt, totalTokenCount: prompt },
    modelVersion: model,
    responseId: 'fake-resp-2',
  }));
  return frames;
}

/** Joins stream frames into the one response generateContent returns. */
function merge(frames: Json[]): Json {
  const byIndex = new Map<number, { content: { role: string; parts: Json[] }; index: number; finishReason?: unknown }>();
  for (const f of frames) {
    for (const c of (f.candidates as Json[] | undefined) ?? []) {
      const i = (c.index as number) ?? 0;
      const cur = byIndex.get(i) ?? { content: { role: 'model', parts: [] }, index: i };
      for (const p of ((c.content as { parts?: Json[] } | undefined)?.parts ?? [])) {
        const last = cur.content.parts[cur.content.parts.length - 1];
        if (typeof p.text === 'string' && last && typeof last.text === 'string' && !!last.thought === !!p.thought) last.text += p.text;
        else cur.content.parts.push({ ...p });
      }
      if (c.finishReason) cur.finishReason = c.finishReason;
      byIndex.set(i, cur);
    }
  }
  const last = frames[frames.length - 1];
  return { candidates: [...byIndex.values()], usageMetadata: last.usageMetadata, modelVersion: last.modelVersion, responseId: last.responseId };
}

function stream(res: http.ServerResponse, frames: Json[], sse: boolean, fault: GeminiFault | undefined): void {
  res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json; charset=UTF-8' });
  const cutAt = fault?.kind === 'cut' || fault?.kind === 'stream-error' ? fault.afterFrames : Infinity;
  if (!sse) res.write('[');
  frames.forEach((f, i) => {
    if (i >= cutAt) return;
    res.write(sse ? `data: ${JSON.stringify(f)}\r\n\r\n` : `${i ? '\r\n,\r\n' : ''}${JSON.stringify(f)}`);
  });
  // Cut after the frames are on the wire, as a dropped connection would.
  if (fault?.kind === 'cut') return void res.write('', () => setTimeout(() => res.destroy(), 20));
  if (fault?.kind === 'stream-error') {
    const err = { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } };
    res.write(sse ? `data: ${JSON.stringify(err)}\r\n\r\n` : `\r\n,\r\n${JSON.stringify(err)}`);
  }
  if (!sse) res.write(']');
  res.end();
}

// ---------- helpers ----------

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...extra });
  res.end(JSON.stringify(body));
}

function sendRpc(res: http.ServerResponse, code: number, status: string, message: string, details?: Json[], retryAfter?: string): void {
  const body = { error: { code, message, status, ...(details ? { details } : {}) } };
  const errs = validateGemini('ErrorEnvelope', body, 'response');
  if (errs.length) throw new Error(`fake-gemini: error envelope breaks the schema: ${errs.join('; ')}`);
  sendJson(res, code, body, retryAfter ? { 'retry-after': retryAfter } : {});
}

/** Google reports unknown fields as `Unknown name "x" at 'path': Cannot find field.` */
function invalidMessage(schema: string, errs: string[]): string {
  return errs.slice(0, 5).map((e) => {
    const m = /^(\S+) must NOT have additional properties "(.+)"$/.exec(e);
    return m ? `Invalid JSON payload received. Unknown name "${m[2]}" at '${m[1].slice(1).replace(/\//g, '.')}': Cannot find field.` : `* ${schema}${e.startsWith('/') ? e.replace(/\//g, '.') : ` ${e}`}`;
  }).join('\n');
}

/** Gemini's checks on a Schema that JSON Schema validation does not make. */
function schemaProblem(s: Json, where: string): string | undefined {
  if (s.type === 'OBJECT' && s.properties !== undefined && Object.keys(s.properties as Json).length === 0) return `* ${where}.properties: should be non-empty for OBJECT type`;
  if (s.type === 'ARRAY' && !s.items) return `* ${where}.items: missing field.`;
  if (s.enum && s.type !== 'STRING') return `* ${where}.enum: only allowed for STRING type`;
  const req = (s.required as string[] | undefined) ?? [];
  for (const r of req) if (!s.properties || !(r in (s.properties as Json))) return `* ${where}.required[${req.indexOf(r)}]: property is not defined`;
  for (const [k, sub] of Object.entries((s.properties as Record<string, Json> | undefined) ?? {})) {
    const p = schemaProblem(sub, `${where}.properties[${k}]`);
    if (p) return p;
  }
  if (s.items) return schemaProblem(s.items as Json, `${where}.items`);
  for (const [i, b] of ((s.anyOf as Json[] | undefined) ?? []).entries()) {
    const p = schemaProblem(b, `${where}.any_of[${i}]`);
    if (p) return p;
  }
  return undefined;
}

/** A value that satisfies a Gemini schema, for scripted function calls. */
function sample(s: Json | undefined): unknown {
  if (!s) return {};
  if (Array.isArray(s.anyOf) && s.anyOf.length) return sample(s.anyOf[0] as Json);
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  switch (s.type) {
    case 'OBJECT': return Object.fromEntries(((s.required as string[] | undefined) ?? []).map((k) => [k, sample((s.properties as Record<string, Json>)[k])]));
    case 'ARRAY': return [sample(s.items as Json)];
    case 'INTEGER': return 1;
    case 'NUMBER': return 1.5;
    case 'BOOLEAN': return true;
    default: return 'Paris';
  }
}

function verifyAssertion(jwt: string, key: KeyObject, email: string, aud: string): string | undefined {
  const [h, c, sig] = jwt.split('.');
  if (!h || !c || !sig) return 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.';
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Json;
  if (header.alg !== 'RS256') return 'Invalid JWT: alg must be RS256.';
  const ok = createVerify('RSA-SHA256').update(`${h}.${c}`).verify(key, Buffer.from(sig, 'base64url'));
  if (!ok) return 'Invalid JWT Signature.';
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Json;
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== email) return 'Invalid JWT: iss is not the service account.';
  if (claims.aud !== aud) return `Invalid JWT: aud must be ${aud}.`;
  if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(SCOPE)) return 'Invalid JWT: scope must include cloud-platform.';
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > 3600 || claims.exp < now || claims.iat > now + 300) {
    return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
  }
  return undefined;
}

function textOf(content: unknown): string {
  return (((content as { parts?: Array<{ text?: string }> } | undefined)?.parts) ?? []).map((p) => p.text ?? '').join('');
}

function words(s: string): number {
  return s.split(/\s+/).filter(Boolean).length || 1;
}

/** Deterministic unit-ish vector from the text, `dims` long (default 8). */
function vector(text: unknown, dims: unknown): number[] {
  const n = typeof dims === 'number' && dims > 0 ? dims : 8;
  const s = String(text);
  return Array.from({ length: n }, (_, i) => Math.round(Math.sin(s.length * 31 + i * 7 + (s.charCodeAt(i % Math.max(s.length, 1)) || 0)) * 1e6) / 1e6);
}
