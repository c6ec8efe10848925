import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent } from 'undici';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import { sendJson } from './respond.js';

/**
 * Portkey's split between the gateway and its data service (DATASERVICE_BASEPATH):
 * - `/v1/logs/exports*` always belong to the data service (Portkey's Admin API, no provider involved);
 * - `/v1/files*`, `/v1/batches*`, `/v1/fine_tuning*` go to the data service when the request names no
 *   provider (no x-portkey-provider, no x-portkey-virtual-key): Portkey's own files, batches run by
 *   Portkey on any provider, and managed fine-tuning. A request that names a provider keeps passing
 *   through to that provider's own API. The `Authorization` header the openai SDK always sends does
 *   not name a provider; neither does x-portkey-config, which the data service uses as batch routing.
 */
const MANAGED_PREFIXES = ['/v1/files', '/v1/batches', '/v1/fine_tuning'];

export interface DataServiceRoute {
  origin: string;
  dispatcher: Agent;
}

export function createDataServiceRoute(basepath: string): DataServiceRoute | undefined {
  if (!basepath) return undefined;
  const url = new URL(basepath);
  // Uploads and downloads of large files stream through: no body timeout, a generous header wait.
  return { origin: url.origin, dispatcher: new Agent({ connections: 64, headersTimeout: 300_000, bodyTimeout: 0, keepAliveTimeout: 30_000 }) };
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

/** Whether this request is the data service's, by Portkey's split (above). */
export function isDataServiceRequest(path: string, req: IncomingMessage): boolean {
  if (under(path, '/v1/logs/exports')) return true;
  if (!MANAGED_PREFIXES.some((p) => under(path, p))) return false;
  return !req.headers['x-portkey-provider'] && !req.headers['x-portkey-virtual-key'];
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/** Streams the request to the data service and its answer back, both ways unbuffered. */
export async function proxyToDataService(route: DataServiceRoute, req: IncomingMessage, res: ServerResponse, url: string, logger: Logger): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  // Links the data service hands out (export downloads on the embedded default) point back here; a
  // caller's own x-forwarded-host is replaced, not trusted.
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  else delete headers['x-forwarded-host'];
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  let upstream;
  try {
    upstream = await route.dispatcher.request({ origin: route.origin, path: url, method, headers, body: hasBody ? req : undefined });
  } catch (e) {
    logger.warn({ err: e, path: url.split('?')[0] }, 'data service unreachable');
    req.resume();
    return sendJson(res, 502, new GatewayError({ status: 502, type: 'api_error', code: 'data_service_unavailable', message: 'The data service (DATASERVICE_BASEPATH) could not be reached; try again shortly.' }).toBody());
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v as string | string[];
  res.writeHead(upstream.statusCode, out);
  try {
    await pipeline(upstream.body, res);
  } catch {
    res.destroy();
  }
}
