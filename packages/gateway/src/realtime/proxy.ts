/**
 * /v1/realtime: OpenAI's (and Azure OpenAI's) Realtime API over WebSocket. The upgrade is authenticated,
 * routed and limited like any request; the gateway then opens the provider's socket (a config's
 * fallbacks move on when one does not open) and relays frames both ways untouched, reading the
 * provider's response.done events for usage. One log document per session, written when it closes.
 * Any other upgrade gets a 4xx in OpenAI's error shape.
 */
import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { GatewayError } from '../errors.js';
import { passthroughApi } from '../inbound/apis.js';
import { authenticate } from '../pipeline/authenticate.js';
import { withProtocolHeaders } from '../pipeline/protocol-headers.js';
import { newRequestContext, type RequestContext } from '../pipeline/context.js';
import type { GatewayDeps } from '../pipeline/deps.js';
import { parsePortkeyHeaders } from '../pipeline/headers.js';
import { reserveLimits } from '../pipeline/limit-stage.js';
import { baseTargetFromHeaders, resolveRoutingConfig } from '../pipeline/resolve-config.js';
import { resolveProviderTarget } from '../pipeline/resolve-target.js';
import type { Usage } from '../providers/types.js';
import { usageFromResponsesApi } from '../providers/usage.js';
import { executeConfig } from '../routing/execute.js';
import { toGatewayError } from '../server/respond.js';
import { checkChosenAddress } from '../upstream/egress-policy.js';

const PATH = '/v1/realtime';
const REALTIME_PROVIDERS = new Set(['openai', 'azure-openai']);
/** Largest frame either side may send, and the most either side may leave unread before the session is cut. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 15_000;

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

/** The server's 'upgrade' handler. */
export function handleUpgrade(deps: GatewayDeps, draining: () => boolean, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  const refuse = (err: GatewayError) => rejectUpgrade(socket, err);
  if (draining()) return refuse(new GatewayError({ status: 503, type: 'api_error', message: 'The gateway is shutting down; reconnect to another replica.' }));
  if (path !== PATH) return refuse(new GatewayError({ status: 404, code: 'route_not_found', message: `No WebSocket route at ${path}; the gateway accepts WebSocket upgrades only on ${PATH} (OpenAI's Realtime API).` }));
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuse(new GatewayError({ status: 400, code: 'invalid_value', param: 'upgrade', message: `${PATH} upgrades only to websocket.` }));
  openSession(deps, req, socket, head).catch((e: unknown) => refuse(toGatewayError(e, randomUUID())));
}

async function openSession(deps: GatewayDeps, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const ctx = newRequestContext(req, new ServerResponse(req), passthroughApi, `${PATH}${url.search}`, randomUUID());
  const headers = parsePortkeyHeaders(req.headers, ctx.traceId);
  ctx.headers = headers;
  ctx.traceId = headers.traceId;
  ctx.stream = true;
  const model = url.searchParams.get('model') ?? url.searchParams.get('deployment') ?? undefined;
  ctx.model = model;
  if (deps.entities.authRequired()) ctx.key = await authenticate(deps.entities, headers.gatewayKey, 'completions');
  const resolved = resolveRoutingConfig(deps, headers, ctx.key);
  const { config, used } = resolved instanceof Promise ? await resolved : resolved;
  ctx.configUsed = used;
  deps.logStage.begin(ctx);
  deps.metrics.enter();
  let settle: (() => void) | undefined;
  let upstream: { socket: WebSocket; provider: string } | undefined;
  try {
    const reserving = reserveLimits(deps, ctx);
    if (reserving) settle = await reserving;
    const { value, report } = await executeConfig(config, baseTargetFromHeaders(headers), { metadata: headers.metadata, params: { model } }, async (t) => {
      const started = performance.now();
      try {
        const opened = await connectUpstream(deps, req, t, url.search);
        ctx.attempts.push({ target: t.path, provider: opened.provider, model, status: 101, ms: Math.round(performance.now() - started) });
        return opened;
      } catch (e) {
        const err = toGatewayError(e, ctx.traceId);
        ctx.attempts.push({ target: t.path, provider: t.provider ?? '', model, status: err.status, ms: Math.round(performance.now() - started), error: err.message });
        throw err;
      }
    }, { onRetry: (t) => deps.metrics.retry(t.provider ?? ''), onFallback: (t) => deps.metrics.fallback(t.provider ?? '') });
    upstream = value;
    ctx.retries = report.retries;
    ctx.fallbacks = report.fallbacks;
    ctx.configPath = report.target?.path;
  } catch (e) {
    const err = toGatewayError(e, ctx.traceId);
    finish(deps, ctx, err, settle);
    throw err;
  }
  ctx.provider = upstream.provider;
  ctx.status = 101;
  ctx.upstreamStartedAt = performance.now();
  wss.handleUpgrade(req, socket, head, (client) => {
    ctx.firstByteAt = performance.now();
    relay(ctx, client, upstream!.socket, () => finish(deps, ctx, undefined, settle));
  });
}

/** Opens the provider's realtime socket for one target; resolves once it is open. */
async function connectUpstream(deps: GatewayDeps, req: IncomingMessage, t: Parameters<typeof resolveProviderTarget>[1], search: string): Promise<{ socket: WebSocket; provider: string }> {
  const resolving = resolveProviderTarget(deps, t, req.headers);
  const { provider, target } = resolving instanceof Promise ? await resolving : resolving;
  if (!REALTIME_PROVIDERS.has(provider.id) || !provider.passthrough) {
    throw new GatewayError({ status: 400, code: 'unsupported_operation', param: 'x-portkey-provider', message: `Provider ${provider.id} has no Realtime API; route ${PATH} to openai or azure-openai.` });
  }
  const { url, headers } = provider.passthrough(`${PATH}${search}`, target);
  const wsUrl = url.replace(/^http/, 'ws');
  let upstreamHeaders = withProtocolHeaders(provider, req.headers, { ...headers, ...target.forwardHeaders });
  delete upstreamHeaders['content-type'];
  // Token-based auth (Azure Entra identities) as for HTTP calls: the handshake carries the bearer.
  if (provider.authorize) upstreamHeaders = (await provider.authorize({ method: 'GET', url, headers: upstreamHeaders }, target, deps.authorize)).headers;
  const socket = new WebSocket(wsUrl, {
    headers: upstreamHeaders,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    handshakeTimeout: CONNECT_TIMEOUT_MS,
    // A custom_host is re-checked against the egress policy at connect time, as HTTP calls are.
    ...(target.customHost ? { lookup: guardedLookup(deps) } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      // Nothing is read until the client's side is upgraded too: session.created must not be lost.
      socket.pause();
      resolve({ socket, provider: provider.id });
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.length + body.length < 65_536 ? c.toString('utf8') : ''));
      res.on('end', () => reject(provider.mapError(res.statusCode ?? 502, body, res.headers as Record<string, string>)));
      res.on('error', () => reject(new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_connection_lost', provider: provider.id, message: `${provider.id} closed the realtime handshake.` })));
    });
    socket.once('error', (e) => reject(new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_unreachable', provider: provider.id, message: `Could not open ${provider.id}'s realtime socket (${e.message}).` })));
  });
}

function guardedLookup(deps: GatewayDeps) {
  return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      const bad = list.map((a) => checkChosenAddress(a.address, deps.egress)).find(Boolean);
      if (bad) return callback(Object.assign(new Error(`custom_host is not allowed: ${bad}`), { code: 'EEGRESS' }), '');
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Relays frames both ways until either side closes; sums the usage of every response.done. */
function relay(ctx: RequestContext, client: WebSocket, upstream: WebSocket, done: () => void): void {
  let closed = false;
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  let sawUsage = false;
  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    for (const s of [client, upstream]) {
      if (s.readyState === WebSocket.OPEN || s.readyState === WebSocket.CONNECTING) s.close(validCloseCode(code), reason.slice(0, 120));
      setTimeout(() => s.terminate(), 2000).unref();
    }
    if (sawUsage) ctx.usage = usage;
    ctx.streamOutcome = code === 1000 || code === 1005 ? 'complete' : 'upstream_error';
    done();
  };
  const forward = (to: WebSocket) => (data: RawData, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    // A side that stops reading cannot make the gateway buffer without bound.
    if (to.bufferedAmount > MAX_BUFFERED_BYTES) return close(1008, 'the other side is not reading');
    to.send(data, { binary: isBinary });
  };
  client.on('message', forward(upstream));
  upstream.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      const u = responseDoneUsage(data);
      if (u) {
        sawUsage = true;
        usage.prompt_tokens += u.prompt_tokens;
        usage.completion_tokens += u.completion_tokens;
        usage.total_tokens += u.total_tokens;
        const cached = u.prompt_tokens_details?.cached_tokens;
        if (cached) usage.prompt_tokens_details = { cached_tokens: (usage.prompt_tokens_details?.cached_tokens ?? 0) + cached };
      }
    }
    forward(client)(data, isBinary);
  });
  upstream.resume();
  client.on('close', (code, reason) => close(code, reason.toString()));
  upstream.on('close', (code, reason) => close(code, reason.toString()));
  client.on('error', () => close(1011, 'client error'));
  upstream.on('error', () => close(1011, 'upstream error'));
}

/** The usage of a response.done event (Realtime usage has the Responses API's shape); undefined for other events. */
function responseDoneUsage(data: RawData): Usage | undefined {
  const text = data.toString();
  if (!text.includes('"response.done"')) return undefined;
  try {
    const event = JSON.parse(text) as { type?: string; response?: { usage?: unknown } };
    return event.type === 'response.done' ? usageFromResponsesApi(event.response?.usage) : undefined;
  } catch {
    return undefined;
  }
}

function finish(deps: GatewayDeps, ctx: RequestContext, err: GatewayError | undefined, settle: (() => void) | undefined): void {
  if (err) {
    ctx.error = err;
    ctx.status = err.status;
    ctx.errorStage = 'before_first_byte';
  }
  deps.metrics.leave();
  settle?.();
  deps.metrics.requestDone('realtime', ctx.provider, ctx.model, ctx.status, (performance.now() - ctx.startedAt) / 1000);
  deps.logStage.write(ctx);
}

/** Close codes a peer may send on: reserved ones (1005, 1006, 1015) become 1000 or 1011. */
function validCloseCode(code: number): number {
  if (code === 1005) return 1000;
  if (code === 1006 || code === 1015 || code < 1000 || code >= 5000) return 1011;
  return code;
}

/** Answers an upgrade the gateway will not make with an HTTP error in OpenAI's shape. */
function rejectUpgrade(socket: Duplex, err: GatewayError): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify(err.toBody());
  const reason = err.status === 404 ? 'Not Found' : err.status === 401 ? 'Unauthorized' : err.status === 403 ? 'Forbidden' : err.status === 429 ? 'Too Many Requests' : err.status >= 500 ? 'Error' : 'Bad Request';
  const extra = Object.entries(err.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${err.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`);
}
