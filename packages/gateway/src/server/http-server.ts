import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';
import {
  anthropicMessagesApi, openAIChatApi, openAICompletionsApi, openAIEmbeddingsApi, passthroughApi, responsesApi,
} from '../inbound/apis.js';
import type { InboundApi } from '../inbound/types.js';
import { rerankApi } from '../inbound/rerank.js';
import { imagesApi } from '../inbound/images.js';
import type { GatewayDeps } from '../pipeline/deps.js';
import { handleInference } from '../pipeline/handle-inference.js';
import { handleHealth, handleMetrics } from './operational-routes.js';
import { handleLogsRoute } from './logs-routes.js';
import { handlePromptRoute, matchPromptRoute } from './prompt-routes.js';
import { isAdminPath } from './admin-forward.js';
import { sendJson, toGatewayError } from './respond.js';
import { authenticate } from '../pipeline/authenticate.js';
import { applyCors, type CorsPolicy } from './cors.js';
import { watchConnections, type WatchdogOptions } from './connection-watchdog.js';
import { handleUpgrade } from '../realtime/proxy.js';
import { handleCloudBatchRequest, mayBeCloudBatchRequest } from '../cloud-batches/route.js';
import { createDataServiceRoute, isDataServiceRequest, proxyToDataService, type DataServiceRoute } from './data-service-routes.js';

const INFERENCE_ROUTES: Record<string, InboundApi> = {
  '/v1/chat/completions': openAIChatApi,
  '/v1/completions': openAICompletionsApi,
  '/v1/embeddings': openAIEmbeddingsApi,
  '/v1/messages': anthropicMessagesApi,
  '/v1/responses': responsesApi,
  '/v1/rerank': rerankApi,
  '/v1/images/generations': imagesApi,
};

export interface ServerState {
  draining: boolean;
  startedAt: number;
}

/** How slowly a client may send or read (settings REQUEST_HEADERS_TIMEOUT_MS and the watchdog's). */
export interface ClientBounds extends WatchdogOptions {
  headersTimeoutMs: number;
}

export const DEFAULT_CLIENT_BOUNDS: ClientBounds = { headersTimeoutMs: 10_000, writeIdleMs: 30_000, bodyMinBytesPerS: 1024, bodyGraceMs: 10_000 };

/** The HTTP listener: a small routing table in front of thin handlers. */
export function createGatewayServer(
  deps: GatewayDeps, state: ServerState, opts: { cors?: CorsPolicy; clients?: ClientBounds; dataServiceBasepath?: string } = {},
): Server {
  const cors = opts.cors;
  const bounds = opts.clients ?? DEFAULT_CLIENT_BOUNDS;
  const dataService = createDataServiceRoute(opts.dataServiceBasepath ?? '');
  // Node checks headersTimeout every connectionsCheckingInterval (30 s by default): once a second here,
  // so a client dripping its headers is cut soon after the bound. Bodies: see connection-watchdog.ts.
  const server = createServer({
    keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: bounds.headersTimeoutMs, connectionsCheckingInterval: 1000,
  }, (req, res) => {
    if (cors && applyCors(cors, req, res)) return;
    route(deps, state, req, res, dataService).catch((e: unknown) => {
      const traceId = randomUUID();
      deps.logger.error({ err: e, trace_id: traceId }, 'unhandled error in request handler');
      const err = toGatewayError(e, traceId);
      if (!res.headersSent) sendJson(res, err.status, err.toBody(), { 'x-portkey-trace-id': traceId });
      else res.destroy();
    });
  });
  // WebSocket upgrades: /v1/realtime is proxied to the provider's Realtime API, any other gets a 4xx.
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => handleUpgrade(deps, () => state.draining, req, socket, head));
  // A malformed request line or header never reaches a handler: answer 400 in OpenAI's shape.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      deps.metrics.clientCut('headers');
      const slow = JSON.stringify(new GatewayError({ status: 408, type: 'timeout_error', code: 'request_headers_too_slow', message: `The request headers did not arrive within ${bounds.headersTimeoutMs} ms (REQUEST_HEADERS_TIMEOUT_MS); the connection is closed.` }).toBody());
      return void socket.end(`HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(slow)}\r\nconnection: close\r\n\r\n${slow}`, () => socket.destroy());
    }
    const body = JSON.stringify(new GatewayError({ status: 400, code: 'bad_http_request', message: `Malformed HTTP request (${err.code ?? 'parse error'}); check the request line and headers.` }).toBody());
    // end() alone half-closes: a client that never closes its side would hold the socket open.
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, () => socket.destroy());
  });
  watchConnections(server, { ...bounds, onCut: (reason) => deps.metrics.clientCut(reason) });
  return server;
}

async function route(deps: GatewayDeps, state: ServerState, req: IncomingMessage, res: ServerResponse, dataService?: DataServiceRoute): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';
  if (state.draining) res.setHeader('connection', 'close');

  const api = INFERENCE_ROUTES[path];
  if (api) {
    if (method !== 'POST') return methodNotAllowed(res, path, 'POST');
    return handleInference(deps, req, res, api, path);
  }
  const prompt = path.startsWith('/v1/prompts/') ? matchPromptRoute(path) : undefined;
  if (prompt) return handlePromptRoute(deps, req, res, path, prompt);
  if (deps.admin && isAdminPath(path)) return deps.admin.forward(req, res, url);
  if (path === '/health' || path === '/v1/health') return handleHealth(deps, state, res);
  if (path === '/metrics' && method === 'GET') return handleMetrics(deps, res);
  if (dataService && isDataServiceRequest(path, req)) return proxyToDataService(dataService, req, res, url, deps.logger);
  if (path === '/v1/logs' || path.startsWith('/v1/logs/')) return handleLogsRoute(deps, req, res, path, url);
  if (path === '/v1/models' && method === 'GET' && !hasRoutingHeaders(req)) return handleModelCatalog(deps, req, res);
  // Files and batches named for bedrock or vertex-ai use those clouds' own APIs, translated; others pass through.
  if (mayBeCloudBatchRequest(path, req) && (await handleCloudBatchRequest(deps, req, res, path, url))) return;
  if (path.startsWith('/v1/')) return handleInference(deps, req, res, passthroughApi, url);
  req.resume();
  sendJson(res, 404, new GatewayError({ status: 404, code: 'route_not_found', message: `No route for ${method} ${path}. The gateway serves /v1/* (OpenAI and Anthropic APIs), /health and /metrics.` }).toBody());
}

function hasRoutingHeaders(req: IncomingMessage): boolean {
  return !!(req.headers['x-portkey-provider'] || req.headers['x-portkey-config'] || req.headers['x-portkey-virtual-key']);
}

function methodNotAllowed(res: ServerResponse, path: string, allowed: string): void {
  sendJson(res, 405, new GatewayError({ status: 405, code: 'method_not_allowed', message: `${path} accepts ${allowed} only.` }).toBody(), { allow: allowed });
}

/** GET /v1/models without a provider: the providers the gateway can route to, in OpenAI's list shape. */
async function handleModelCatalog(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const presented = req.headers['x-portkey-api-key'];
    await authenticate(deps.entities, typeof presented === 'string' ? presented : undefined, 'completions');
  } catch (e) {
    const err = toGatewayError(e, 'models');
    return sendJson(res, err.status, err.toBody());
  }
  const data = deps.registry.all().map((p) => ({ id: p.id, object: 'model', created: 0, owned_by: p.id, name: p.name }));
  sendJson(res, 200, { object: 'list', data });
}
