import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { GatewayError, isGatewayError } from '@portico/contract';
import { apiKeyResolver, hashKey, presentedKey } from '../auth/api-key.js';
import { hasScope, roleIn, ROLE_RANK, type Principal, type PrincipalResolver } from '../auth/principal.js';
import type { Services } from '../services.js';
import { readJsonBody } from './body.js';
import { forbidden, unauthorized } from './errors.js';
import { Reply, Router, type Ctx, type Route, type WorkspaceScope } from './router.js';
import { resolveWorkspace } from '../store/workspaces.js';
import type { StaticSite } from './static.js';
import { isScimPath, SCIM_CONTENT_TYPE, scimErrorBody } from '../scim/errors.js';
import { bearerOf, principalForScimToken } from '../scim/token.js';

const DEFAULT_BODY_LIMIT = 1024 * 1024;
const NO_PRINCIPAL = undefined as unknown as Principal;

export interface HttpApp {
  server: Server;
  router: Router;
  /** Adds a way to find a request's principal (tried after API keys), such as a cookie session. */
  addResolver(resolver: PrincipalResolver): void;
  /** Stops taking new work: health answers 503 and new requests are refused while in-flight ones finish. */
  drain(): void;
  draining(): boolean;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function createHttpApp(services: Services, site: StaticSite | undefined): HttpApp {
  const router = new Router();
  const resolvers: PrincipalResolver[] = [];
  const byKey = apiKeyResolver(services.db);
  let isDraining = false;

  async function authenticate(req: IncomingMessage): Promise<Principal> {
    const checked = await byKey(req);
    if (checked && 'refused' in checked) throw unauthorized(checked.refused);
    if (checked) return checked.principal;
    for (const resolve of resolvers) {
      const p = await resolve(req);
      if (p) return p;
    }
    throw unauthorized('Send an API key in the x-portkey-api-key header (or Authorization: Bearer); this one is missing or unknown');
  }

  /** A gateway call must carry some organisation's client-auth key; which organisation's is checked by the handler. */
  async function checkAnyClientAuth(req: IncomingMessage): Promise<void> {
    const key = presentedKey(req);
    if (!key) throw new GatewayError({ status: 401, code: 'missing_client_auth', message: 'Send the client-auth key (PORTKEY_CLIENT_AUTH) as Authorization: Bearer', headers: { 'www-authenticate': 'Bearer' } });
    if (!(await services.db.get(`SELECT 1 AS ok FROM client_auth_keys WHERE key_hash = ?`, [hashKey(key)]))) {
      throw new GatewayError({ status: 403, code: 'invalid_client_auth', message: 'This client-auth key is not known here; check PORTKEY_CLIENT_AUTH' });
    }
  }

  /** An identity provider's SCIM token (only Authorization: Bearer; admin keys are not looked up here). */
  async function authenticateScim(req: IncomingMessage): Promise<Principal> {
    const p = await principalForScimToken(services.db, bearerOf(req));
    if (!p) throw new GatewayError({ status: 401, message: 'Send a SCIM token (POST /v1/admin/scim-tokens) as Authorization: Bearer; this one is missing, unknown or revoked', code: null, headers: { 'www-authenticate': 'Bearer realm="scim"' } });
    return p;
  }

  async function authorise(route: Route, ctx: Ctx): Promise<void> {
    const access = route.access;
    if (access.kind !== 'admin') return;
    const p = ctx.principal;
    if (!hasScope(p, access.scope)) throw forbidden(`This API key lacks the "${access.scope}" scope; add it to the key's scopes`, 'insufficient_scope');
    if (access.level === 'org') {
      if (access.role === 'org_admin' && (p.orgRole !== 'org_admin' || p.boundWorkspaceId)) throw forbidden(`${route.method} ${route.path} needs an organisation admin (an organisation API key)`, 'insufficient_role');
      return;
    }
    const requested = ctx.params.workspaceId ?? ctx.query.get('workspace_id') ?? ctx.query.get('workspace_slug') ?? (ctx.body && typeof ctx.body === 'object' && !Array.isArray(ctx.body) ? ((ctx.body as Record<string, unknown>).workspace_id as string | undefined) : undefined);
    const ws: WorkspaceScope = await resolveWorkspace(services.db, p, typeof requested === 'string' ? requested : undefined);
    const role = roleIn(p, ws.id);
    if (!role) throw forbidden(`This key cannot act in workspace ${ws.id}`, 'wrong_workspace');
    if (ROLE_RANK[role] < ROLE_RANK[access.role]) throw forbidden(`${route.method} ${route.path} needs the ${access.role} role in the workspace; this key has ${role}`, 'insufficient_role');
    ctx.ws = ws;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const scimRequest = isScimPath(url.pathname);
    let routeLabel = 'unmatched';
    let status = 500;
    try {
      // HEAD is answered as GET without the body (Node drops a HEAD response's body).
      const { route, params, allowed } = router.match(method === 'HEAD' ? 'GET' : method, url.pathname);
      if (!route) {
        if (allowed.length > 0) throw new GatewayError({ status: 405, code: 'method_not_allowed', message: `${method} is not allowed on ${url.pathname}; use ${allowed.join(', ')}`, headers: { allow: allowed.join(', ') } });
        if ((method === 'GET' || method === 'HEAD') && site && !url.pathname.startsWith('/v1/') && !scimRequest) {
          routeLabel = 'console';
          status = await site.serve(url.pathname, req, res);
          return;
        }
        throw new GatewayError({ status: 404, code: 'not_found', message: `No endpoint ${method} ${url.pathname}; see docs/control-plane.md for the API` });
      }
      routeLabel = route.path;
      if (isDraining && route.access.kind !== 'public') throw new GatewayError({ status: 503, code: 'draining', message: 'The control plane is shutting down; retry against another instance', headers: { 'retry-after': '1' } });
      // Callers are known before their body is read: nobody unauthenticated makes the server buffer and parse one.
      const principal = route.access.kind === 'admin' ? await authenticate(req) : route.access.kind === 'scim' ? await authenticateScim(req) : NO_PRINCIPAL;
      if (route.access.kind === 'client') await checkAnyClientAuth(req);
      const read = method === 'GET' || method === 'HEAD' ? undefined : await readJsonBody(req, route.bodyLimit ?? DEFAULT_BODY_LIMIT);
      const ctx: Ctx = {
        req, res, method, path: url.pathname, params, query: url.searchParams, body: read?.value, rawBody: read?.text, requestId, services,
        principal, ws: undefined as unknown as WorkspaceScope, log: services.log,
      };
      await authorise(route, ctx);
      const out = await route.handler(ctx);
      if (res.headersSent || res.writableEnded) {
        status = res.statusCode;
        return;
      }
      if (out instanceof Reply) {
        status = out.status;
        send(res, out.status, out.body, out.headers);
      } else {
        status = 200;
        send(res, 200, out);
      }
    } catch (e) {
      const err = isGatewayError(e) ? e : undefined;
      if (!err) services.log.error({ err: e, requestId, route: routeLabel }, 'request failed');
      status = err?.status ?? 500;
      const internal = `Internal error (request ${requestId}); the control plane's log has the details`;
      if (scimRequest) {
        // Identity providers parse SCIM's error shape (RFC 7644 §3.12), not the Admin API's.
        send(res, status, scimErrorBody(err ?? new GatewayError({ status: 500, message: internal })), { ...err?.headers, 'content-type': SCIM_CONTENT_TYPE });
        return;
      }
      const body = err ? err.toBody() : { error: { message: internal, type: 'api_error', param: null, code: 'internal_error' } };
      send(res, status, body, err?.headers);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      services.metrics.requests.observe({ method, route: routeLabel, status: String(status) }, seconds);
      if (routeLabel !== '/v1/health' && routeLabel !== '/metrics') {
        services.log.info({ requestId, method, route: routeLabel, status, ms: Math.round(seconds * 1000) }, 'request');
      }
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;

  return {
    server,
    router,
    addResolver: (r) => resolvers.push(r),
    drain: () => {
      isDraining = true;
    },
    draining: () => isDraining,
  };
}
