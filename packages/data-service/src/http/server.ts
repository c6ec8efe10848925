import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { GatewayError, sendError } from './respond.js';
import type { Authenticator } from '../auth/introspect.js';
import type { Principal } from '../auth/principal.js';
import type { ServiceMetrics } from '../observability.js';
import { StorageUnavailableError } from '../storage/blob-store.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: string;
  path: string;
  params: string[];
  /** Authenticates the caller (x-portkey-api-key) on first use. */
  principal(): Promise<Principal>;
}

export interface Route {
  method: string;
  /** Anchored pattern; capture groups become params. */
  pattern: RegExp;
  /** Label for metrics (never the raw path: ids would explode the series). */
  name: string;
  handle(ctx: RequestContext): Promise<void>;
}

export function route(method: string, pattern: string, name: string, handle: Route['handle']): Route {
  return { method, pattern: new RegExp(`^${pattern}$`), name, handle };
}

export interface ServerDeps {
  routes: Route[];
  auth: Authenticator;
  logger: Logger;
  metrics: ServiceMetrics;
  isDraining(): boolean;
}

/** node:http listener: a table of routes; every failure becomes OpenAI's error shape. */
export function createHttpServer(d: ServerDeps): Server {
  return createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    let name = 'unmatched';
    let pathMatched = false;
    let found: { r: Route; params: string[] } | undefined;
    for (const r of d.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method === method) {
        found = { r, params: m.slice(1).map(decodeURIComponent) };
        break;
      }
    }
    res.on('finish', () => {
      d.metrics.httpRequests.inc({ route: name, status: String(res.statusCode) });
      d.metrics.httpSeconds.observe({ route: name }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    if (d.isDraining()) res.setHeader('connection', 'close');
    if (!found) {
      req.resume();
      const status = pathMatched ? 405 : 404;
      return sendError(res, new GatewayError({ status, code: pathMatched ? 'method_not_allowed' : 'route_not_found', message: pathMatched ? `${method} is not allowed on ${path}.` : `No route for ${method} ${path}. The data service serves /v1/files, /v1/batches, /v1/fine_tuning/jobs, /v1/logs/exports, /v1/health and /metrics.` }));
    }
    name = found.r.name;
    let principal: Promise<Principal> | undefined;
    const ctx: RequestContext = {
      req, res, url, path, params: found.params,
      principal: () => (principal ??= d.auth.authenticate(headerOf(req, 'x-portkey-api-key'))),
    };
    found.r.handle(ctx).catch((e: unknown) => {
      if (e instanceof GatewayError) {
        if (!req.readableEnded) req.resume();
        return sendError(res, e);
      }
      if (e instanceof StorageUnavailableError) {
        d.logger.warn({ route: name, err: e.message }, 'object store unavailable');
        if (!res.headersSent) return sendError(res, new GatewayError({ status: 503, code: 'storage_unavailable', message: 'The object store holding jobs and files is unreachable; running jobs wait for it. Try again shortly.', headers: { 'retry-after': '5' } }));
        return void res.destroy();
      }
      const traceId = randomUUID();
      d.logger.error({ err: e, trace_id: traceId, route: name }, 'unhandled error in request handler');
      if (res.headersSent) return void res.destroy();
      sendError(res, new GatewayError({ status: 500, type: 'server_error', code: 'internal_error', message: `The data service hit an unexpected error. It has been logged; quote trace id ${traceId} when reporting it.` }));
    });
  });
}

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
