import { request } from 'undici';
import { checkLiteral, EgressRefused, type Egress } from '../egress/connect.js';

/**
 * A minimal MCP client over the Streamable HTTP transport (JSON-RPC 2.0 POSTed to one endpoint; the
 * answer comes as application/json or as an SSE stream): initialize, notifications/initialized,
 * then the list methods the server advertises, following cursors. Everything is bounded: each
 * exchange 10 s, the whole session 30 s, each answer 2 MiB, 20 pages per list, 1000 capabilities.
 * Connections pass the egress policy; redirects are not followed.
 */
export const PROTOCOL_VERSION = '2025-06-18';
const EXCHANGE_MS = 10_000;
const SESSION_MS = 30_000;
const MAX_BODY = 2 * 1024 * 1024;
const MAX_PAGES = 20;
export const MAX_CAPABILITIES = 1000;

export class McpError extends Error {
  constructor(message: string, readonly statusCode?: number) {
    super(message);
  }
}

export interface ServerInfo {
  protocolVersion: string | null;
  name: string | null;
  version: string | null;
  capabilities: Record<string, unknown>;
  statusCode: number;
}

export interface RawCapability {
  type: 'tool' | 'prompt' | 'resource' | 'resource_template';
  item: Record<string, unknown>;
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > MAX_BODY) {
      body.destroy();
      throw new McpError(`the MCP server's answer is over ${MAX_BODY / 1024 / 1024} MiB`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON-RPC message answering `id` in an SSE stream's data lines. */
function fromEventStream(text: string, id: number): unknown {
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    if (!data) continue;
    try {
      const msg = JSON.parse(data) as { id?: unknown };
      if (msg && msg.id === id) return msg;
    } catch {
      // Not JSON: not ours.
    }
  }
  throw new McpError('the MCP server\'s event stream ended without answering the request');
}

export class McpSession {
  private sessionId: string | undefined;
  private nextId = 1;
  private negotiated: string | undefined;
  private readonly deadline = Date.now() + SESSION_MS;

  constructor(private readonly url: URL, private readonly headers: Record<string, string>, private readonly egress: Egress) {
    checkLiteral(url.hostname, egress.chosen);
  }

  private async post(message: Record<string, unknown>, expectAnswer: boolean): Promise<{ status: number; body?: Record<string, unknown> }> {
    const left = this.deadline - Date.now();
    if (left <= 0) throw new McpError(`the MCP server did not finish within ${SESSION_MS / 1000} s`);
    const headers: Record<string, string> = { ...this.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (this.sessionId) headers['mcp-session-id'] = this.sessionId;
    if (this.negotiated) headers['mcp-protocol-version'] = this.negotiated;
    let res;
    try {
      res = await request(this.url, {
        method: 'POST', headers, body: JSON.stringify(message), dispatcher: this.egress.dispatcher,
        signal: AbortSignal.timeout(Math.min(EXCHANGE_MS, left)), headersTimeout: EXCHANGE_MS, bodyTimeout: EXCHANGE_MS,
      });
    } catch (e) {
      throw describe(e);
    }
    let text: string;
    try {
      text = await readBounded(res.body as unknown as AsyncIterable<Buffer> & { destroy(): void });
    } catch (e) {
      throw describe(e);
    }
    if (res.statusCode >= 300) throw new McpError(`the MCP server answered HTTP ${res.statusCode}${res.statusCode === 401 || res.statusCode === 403 ? ' (check the integration\'s auth headers)' : ''}`, res.statusCode);
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid.length <= 200) this.sessionId ??= sid;
    if (!expectAnswer) return { status: res.statusCode };
    const type = String(res.headers['content-type'] ?? '');
    let msg: unknown;
    try {
      msg = type.includes('text/event-stream') ? fromEventStream(text, message.id as number) : JSON.parse(text);
    } catch (e) {
      throw e instanceof McpError ? e : new McpError('the MCP server\'s answer is not JSON-RPC');
    }
    const m = msg as { result?: Record<string, unknown>; error?: { code?: number; message?: string } };
    if (m?.error) throw new McpError(`the MCP server refused ${String(message.method)}: JSON-RPC error ${m.error.code ?? ''} ${String(m.error.message ?? '').slice(0, 200)}`.trim());
    if (!m || typeof m.result !== 'object' || m.result === null) throw new McpError(`the MCP server's answer to ${String(message.method)} has no result`);
    return { status: res.statusCode, body: m.result };
  }

  private call(method: string, params: Record<string, unknown>) {
    return this.post({ jsonrpc: '2.0', id: this.nextId++, method, params }, true);
  }

  async initialize(): Promise<ServerInfo> {
    const { status, body } = await this.call('initialize', { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'portico-control-plane', version: '0.1.0' } });
    const info = (body!.serverInfo ?? {}) as { name?: unknown; version?: unknown };
    this.negotiated = typeof body!.protocolVersion === 'string' ? body!.protocolVersion : PROTOCOL_VERSION;
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, false);
    return {
      protocolVersion: this.negotiated, name: typeof info.name === 'string' ? info.name : null, version: typeof info.version === 'string' ? info.version : null,
      capabilities: (body!.capabilities && typeof body!.capabilities === 'object' ? body!.capabilities : {}) as Record<string, unknown>, statusCode: status,
    };
  }

  /** Every tool, prompt, resource and resource template the server advertises, up to the bounds. */
  async listAll(capabilities: Record<string, unknown>): Promise<RawCapability[]> {
    const out: RawCapability[] = [];
    const lists: Array<[string, string, RawCapability['type'], boolean]> = [
      ['tools/list', 'tools', 'tool', 'tools' in capabilities],
      ['prompts/list', 'prompts', 'prompt', 'prompts' in capabilities],
      ['resources/list', 'resources', 'resource', 'resources' in capabilities],
      ['resources/templates/list', 'resourceTemplates', 'resource_template', 'resources' in capabilities],
    ];
    for (const [method, field, type, offered] of lists) {
      if (!offered) continue;
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const { body } = await this.call(method, cursor ? { cursor } : {});
        const items = Array.isArray(body![field]) ? (body![field] as unknown[]) : [];
        for (const item of items) {
          if (out.length >= MAX_CAPABILITIES) return out;
          if (item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string') out.push({ type, item: item as Record<string, unknown> });
        }
        cursor = typeof body!.nextCursor === 'string' && body!.nextCursor ? body!.nextCursor : undefined;
        if (!cursor) break;
      }
    }
    return out;
  }

  /** Ends the session (servers may not support it; a failure is ignored). */
  async close(): Promise<void> {
    if (!this.sessionId) return;
    try {
      const res = await request(this.url, { method: 'DELETE', headers: { ...this.headers, 'mcp-session-id': this.sessionId }, dispatcher: this.egress.dispatcher, signal: AbortSignal.timeout(2_000) });
      await res.body.dump();
    } catch {
      // Best effort.
    }
  }
}

function describe(e: unknown): McpError {
  if (e instanceof McpError) return e;
  for (let cur = e as { cause?: unknown } | undefined, depth = 0; cur && depth < 5; cur = cur.cause as { cause?: unknown }, depth++) {
    if (cur instanceof EgressRefused) return new McpError(cur.message);
  }
  const err = e as { name?: string; code?: string; message?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT') return new McpError(`the MCP server did not answer within ${EXCHANGE_MS / 1000} s`);
  if (err?.code === 'ECONNREFUSED') return new McpError('the MCP server refused the connection');
  if (err?.code === 'ENOTFOUND') return new McpError('the MCP server\'s host name does not resolve');
  return new McpError(`the MCP server could not be reached (${err?.code ?? err?.name ?? 'error'})`);
}

/** Connects, initializes, optionally lists capabilities, and ends the session. */
export async function probeMcpServer(url: string, headers: Record<string, string>, egress: Egress, list: boolean, count: (ok: boolean) => void = () => undefined): Promise<{ info: ServerInfo; capabilities: RawCapability[]; ms: number }> {
  const started = Date.now();
  let session: McpSession;
  try {
    session = new McpSession(new URL(url), headers, egress);
  } catch (e) {
    count(false);
    throw describe(e);
  }
  try {
    const info = await session.initialize();
    const capabilities = list ? await session.listAll(info.capabilities) : [];
    count(true);
    return { info, capabilities, ms: Date.now() - started };
  } catch (e) {
    count(false);
    throw e;
  } finally {
    await session.close();
  }
}
