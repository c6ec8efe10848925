import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors.js';
import { sendJson } from './respond.js';

/**
 * Portkey's Admin API sent to the gateway goes to the control plane unchanged, so a portkey-ai client
 * with one base URL (the gateway's) makes inference and admin calls alike, as with Portkey. The
 * first path segments after /v1 are those Portkey's OpenAPI document serves from its control plane
 * (x-server-groups: ControlPlaneServers, and the admin paths it lists with no server group).
 * The gateway's own /v1/prompts/{id}/completions and /render are matched before this.
 */
export const ADMIN_SEGMENTS = new Set([
  'admin', 'api-keys', 'integrations', 'providers', 'virtual-keys', 'configs', 'prompts', 'collections', 'guardrails',
  'feedback', 'analytics', 'audit-logs', 'labels', 'policies', 'workspaces', 'mcp-integrations', 'mcp-servers', 'scim',
  'secret-references', 'model-configs',
]);

export function isAdminPath(path: string): boolean {
  if (!path.startsWith('/v1/')) return false;
  const end = path.indexOf('/', 4);
  return ADMIN_SEGMENTS.has(end === -1 ? path.slice(4) : path.slice(4, end));
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host', 'content-length']);

export interface AdminForwarderOptions {
  /** The control plane's base URL (CONTROL_PLANE_URL). */
  baseUrl: string;
  /** The pooled keep-alive client. */
  dispatcher: Dispatcher;
  maxInFlight?: number;
  timeoutMs?: number;
  maxBodyBytes: number;
}

class BodyTooLarge extends Error {}

const tooLarge = (max: number) => new GatewayError({ status: 413, code: 'request_too_large', message: `The admin request body is larger than ${max} bytes (MAX_BODY_BYTES); send less.` }).toBody();

export class AdminForwarder {
  private inFlight = 0;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: AdminForwarderOptions) {
    const u = new URL(opts.baseUrl);
    this.origin = u.origin;
    this.basePath = u.pathname.replace(/\/+$/, '');
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Streams the request to the control plane and its answer back. Never throws. */
  async forward(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    if (this.inFlight >= this.maxInFlight) {
      req.resume();
      return sendJson(res, 503, new GatewayError({ status: 503, type: 'server_error', code: 'admin_busy', message: `The gateway is already forwarding ${this.maxInFlight} admin calls to the control plane; retry shortly.` }).toBody(), { 'retry-after': '1' });
    }
    if (Number(req.headers['content-length'] ?? 0) > this.opts.maxBodyBytes) {
      req.resume();
      res.setHeader('connection', 'close');
      return sendJson(res, 413, tooLarge(this.opts.maxBodyBytes));
    }
    this.inFlight++;
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClose);
    try {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      const remote = req.socket.remoteAddress;
      if (remote) headers['x-forwarded-for'] = typeof headers['x-forwarded-for'] === 'string' ? `${headers['x-forwarded-for']}, ${remote}` : remote;
      const method = (req.method ?? 'GET') as Dispatcher.HttpMethod;
      const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
      if (hasBody && req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
      const upstream = await this.opts.dispatcher.request({
        origin: this.origin,
        path: this.basePath + url,
        method,
        headers,
        body: hasBody ? (this.bounded(req) as unknown as Dispatcher.DispatchOptions['body']) : undefined,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: abort.signal,
      });
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      if (upstream.headers['content-length'] !== undefined) out['content-length'] = upstream.headers['content-length'] as string;
      res.writeHead(upstream.statusCode, out);
      await pipeline(upstream.body, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      if (e instanceof BodyTooLarge || (e as { cause?: unknown }).cause instanceof BodyTooLarge) {
        res.setHeader('connection', 'close');
        return sendJson(res, 413, tooLarge(this.opts.maxBodyBytes));
      }
      const code = (e as { code?: string }).code ?? (e as Error).name;
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      sendJson(res, timedOut ? 504 : 502, new GatewayError({
        status: timedOut ? 504 : 502, type: 'server_error', code: 'control_plane_unreachable',
        message: timedOut ? 'The control plane did not answer in time; retry, and check its health at CONTROL_PLANE_URL/v1/health.' : 'The control plane could not be reached to serve this admin call; check that it runs and that CONTROL_PLANE_URL points at it.',
      }).toBody());
    } finally {
      res.off('close', onClose);
      this.inFlight--;
    }
  }

  /** The request body, cut off with BodyTooLarge past the bound. */
  private async *bounded(req: IncomingMessage): AsyncGenerator<Buffer> {
    let n = 0;
    for await (const chunk of req) {
      n += (chunk as Buffer).length;
      if (n > this.opts.maxBodyBytes) throw new BodyTooLarge();
      yield chunk as Buffer;
    }
  }
}
