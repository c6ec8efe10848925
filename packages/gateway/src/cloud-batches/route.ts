/**
 * /v1/files and /v1/batches on Bedrock and Vertex AI. Portkey chooses by provider: a request that
 * names bedrock or vertex-ai (x-portkey-provider, or a virtual key / saved provider of one) is served
 * by that cloud's own storage and batch API, translated here; a request naming no provider goes to
 * the data service's provider-agnostic files and batches; any other provider's pass through.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import { authenticate } from '../pipeline/authenticate.js';
import { parseJsonBody, readBody } from '../pipeline/body.js';
import type { GatewayDeps } from '../pipeline/deps.js';
import { parsePortkeyHeaders } from '../pipeline/headers.js';
import { baseTargetFromHeaders } from '../pipeline/resolve-config.js';
import { resolveProviderTarget } from '../pipeline/resolve-target.js';
import { sendJson, toGatewayError } from '../server/respond.js';
import { passthroughApi } from '../inbound/apis.js';
import { newRequestContext, type RequestContext } from '../pipeline/context.js';
import { handleBedrock } from './bedrock.js';
import type { CloudBatchSettings, CloudContext, CloudLog, CloudRoute } from './context.js';
import { handleVertex } from './vertex.js';
import { CLOUD_BATCH_SERVICES } from './providers.js';

export type { CloudBatchSettings } from './context.js';

const CLOUDS = new Set(Object.keys(CLOUD_BATCH_SERVICES));
const ROUTE = /^\/v1\/(files|batches)(?:\/([^/]+)(?:\/([a-z_]+))?)?$/;

/** Whether this path and these headers may be a cloud file or batch call: decided before any body is read. */
export function mayBeCloudBatchRequest(path: string, req: IncomingMessage): boolean {
  if (!path.startsWith('/v1/files') && !path.startsWith('/v1/batches')) return false;
  if (!ROUTE.test(path)) return false;
  const provider = req.headers['x-portkey-provider'];
  if (typeof provider === 'string') return CLOUDS.has(provider.trim().toLowerCase()) || provider.trim().startsWith('@');
  return req.headers['x-portkey-virtual-key'] !== undefined;
}

/**
 * Serves the request when its target is bedrock or vertex-ai and returns true; returns false, having
 * read nothing, when the target is another provider (the caller passes it through).
 */
export async function handleCloudBatchRequest(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, path: string, url: string): Promise<boolean> {
  const ctx = newRequestContext(req, res, passthroughApi, url, crypto.randomUUID());
  const log: CloudLog = {};
  let cloud: string | undefined;
  try {
    const headers = parsePortkeyHeaders(req.headers, ctx.traceId);
    ctx.headers = headers;
    ctx.traceId = headers.traceId;
    const key = deps.entities.authRequired() ? await authenticate(deps.entities, headers.gatewayKey, 'completions') : undefined;
    ctx.key = key;
    const resolved = await resolveProviderTarget(deps, baseTargetFromHeaders(headers), req.headers, key, { headers });
    if (!CLOUDS.has(resolved.provider.id)) return false;
    cloud = resolved.provider.id;
    // Logged from here on, like the OpenAI path's files and batches; a saved credential's secrets are masked.
    deps.logStage.begin(ctx);
    ctx.provider = cloud;
    res.setHeader('x-portkey-trace-id', ctx.traceId);
    (ctx.savedCredentials ??= []).push(resolved.target);
    const m = ROUTE.exec(path)!;
    const route: CloudRoute = { kind: m[1] as 'files' | 'batches', id: m[2], action: m[3], method: req.method ?? 'GET', query: new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '') };
    const settings: CloudBatchSettings = deps.cloudBatches ?? { timeoutMs: 60_000 };
    if (route.kind === 'files' && !route.id && route.method === 'POST') {
      const length = req.headers['content-length'];
      ctx.requestNote = `[batch file upload${length ? ` of ${length} bytes` : ''}, converted to ${cloud} records as it streamed to storage, not logged]`;
    }
    const c: CloudContext = {
      req, res, target: resolved.target, settings, logger: deps.logger, authorize: deps.authorize, log,
      http: { dispatcher: deps.clients.trusted, timeoutMs: settings.timeoutMs },
      customHttp: { dispatcher: deps.clients.custom, timeoutMs: settings.timeoutMs },
      maxUploadBytes: deps.maxUploadBytes, maxLineBytes: deps.maxBodyBytes,
      readJson: async () => {
        const raw = await readBody(req, deps.maxBodyBytes);
        const body = parseJsonBody(raw, req.headers['content-type'], deps.maxBodyDepth);
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError({ status: 400, code: 'invalid_json', message: 'The body must be a JSON object.' });
        ctx.rawBody = raw;
        ctx.body = log.request = body as Record<string, unknown>;
        return log.request;
      },
    };
    if (cloud === 'bedrock') await handleBedrock(c, route);
    else await handleVertex(c, route);
    ctx.status = res.statusCode;
    deps.logger.info({ provider: cloud, op: `${route.method} ${route.kind}${route.action ? `/${route.action}` : ''}`, trace_id: headers.traceId }, 'cloud batch operation');
  } catch (e) {
    const err = toGatewayError(e, ctx.traceId);
    if (err.status >= 500 && !(e instanceof GatewayError)) deps.logger.error({ err: e, trace_id: ctx.traceId }, 'unexpected error in a cloud file or batch operation');
    // An upload refused part-way: answer and close rather than read the rest.
    if (!res.headersSent) sendJson(res, err.status, err.toBody(), { ...err.headers, 'x-portkey-trace-id': ctx.traceId, ...(req.complete ? {} : { connection: 'close' }) });
    else res.destroy();
    if (!req.complete) req.resume();
    ctx.status = err.status;
    ctx.error = err;
  } finally {
    // Not one of the clouds (returned false): the pipeline that serves it writes the document.
    if (cloud !== undefined || ctx.error) finishLog(deps, ctx, log);
  }
  return true;
}

/** The operation's log document (and so its analytics row), in the shape of the OpenAI path's files and batches. */
function finishLog(deps: GatewayDeps, ctx: RequestContext, log: CloudLog): void {
  const model = log.request?.model ?? ctx.savedCredentials?.[0]?.settings.aws_bedrock_model ?? ctx.savedCredentials?.[0]?.settings.provider_model;
  ctx.model = typeof model === 'string' && model ? model : undefined;
  if (log.response !== undefined) {
    ctx.responseParsedForLog = log.response;
    ctx.responseForLog = Buffer.from(JSON.stringify(log.response));
  } else if (log.responseNote) ctx.responseNote = log.responseNote;
  deps.logStage.write(ctx);
}
