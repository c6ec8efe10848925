import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { GatewayError, type LogDocument } from '@portico/contract';
import type { Database } from '../db/types.js';
import type { Principal } from '../auth/principal.js';
import { invalid } from '../http/errors.js';
import { mayReadWorkspace } from './principals.js';
import { matcher, rowOf, type LogFilter, type LogRow } from './log-rows.js';
import type { ConsoleSettings } from './settings.js';

/** Documents read from the gateway for one list query, at most; the list says when it stopped there. */
export const SCAN_MAX = 5000;
export const PAGE_SIZE = 50;
const MAX_SCAN_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 15_000;
/** The longest a playground stream may run: a model answering slowly still ends. */
const PLAYGROUND_MAX_MS = 5 * 60_000;

/**
 * Reads log documents from the gateway's /v1/logs on demand and keeps none: the bodies stay in the
 * customer's log store. Workspace rules are applied here, since the gateway's logs key sees them all.
 */
export class GatewayLogs {
  constructor(private readonly settings: ConsoleSettings, private readonly db: Database) {}

  /** CONSOLE_GATEWAY_KEY when set, else the signed-in key itself (the gateway checks its logs scope). */
  private headers(sessionKey: string | undefined): Record<string, string> {
    const key = this.settings.gatewayLogsKey || sessionKey;
    return key ? { 'x-portkey-api-key': key } : {};
  }

  private async fetchGateway(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${this.settings.gatewayUrl}${path}`, { ...init, signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new GatewayError({ status: 502, code: 'gateway_unreachable', message: `The gateway at ${this.settings.gatewayUrl} could not be reached (${(e as Error).message}); check GATEWAY_URL and that the gateway is running` });
    }
  }

  private async workspaceIndex(organisationId: string): Promise<Map<string, { id: string; slug: string }>> {
    const rows = await this.db.all<{ id: string; slug: string }>(`SELECT id, slug FROM workspaces WHERE organisation_id = ?`, [organisationId]);
    const map = new Map<string, { id: string; slug: string }>();
    for (const r of rows) {
      map.set(r.id, r);
      map.set(r.slug, r);
    }
    return map;
  }

  /** A page of rows, newest first, from the documents in [from, to) that the principal may read and the filter matches. */
  async list(p: Principal, q: URLSearchParams, sessionKey?: string): Promise<{ data: LogRow[]; has_more: boolean; scanned: number; truncated: boolean }> {
    const known = new Set(['from', 'to', 'status', 'model', 'provider', 'key', 'trace_id', 'metadata', 'workspace', 'page']);
    for (const k of q.keys()) if (!known.has(k)) throw invalid(`Unknown query parameter "${k}"; the logs list takes ${[...known].join(', ')}`, k, 'unknown_parameter');
    const from = q.get('from');
    if (!from) throw invalid('Query parameter from is required (ISO-8601)', 'from', 'missing_parameter');
    const page = Math.max(0, Math.min(1000, Number(q.get('page') ?? '0') || 0));
    const filter: LogFilter = Object.fromEntries(['status', 'model', 'provider', 'key', 'trace_id', 'metadata'].map((k) => [k, q.get(k) ?? undefined]));
    const matches = matcher(filter);
    const workspaces = await this.workspaceIndex(p.organisationId);
    const wanted = q.get('workspace') ? workspaces.get(q.get('workspace')!) ?? { id: '\u0000', slug: '\u0000' } : undefined;

    const params = new URLSearchParams({ from, limit: String(SCAN_MAX) });
    if (q.get('to')) params.set('to', q.get('to')!);
    const res = await this.fetchGateway(`/v1/logs?${params}`, { headers: this.headers(sessionKey) });
    if (!res.ok || !res.body) throw await gatewayFailure(res);

    const found: LogRow[] = [];
    let scanned = 0;
    let bytes = 0;
    let buffer = '';
    const decoder = new TextDecoder();
    const take = (line: string) => {
      if (!line.trim()) return;
      scanned++;
      let doc: LogDocument;
      try {
        doc = JSON.parse(line) as LogDocument;
      } catch {
        return;
      }
      const ws = doc.principal?.workspace ? workspaces.get(doc.principal.workspace) ?? null : null;
      if (!mayReadWorkspace(p, ws)) return;
      if (wanted && ws?.id !== wanted.id) return;
      const row = rowOf(doc);
      if (matches(row)) found.push(row);
    };
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (bytes > MAX_SCAN_BYTES) break;
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        take(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    }
    take(buffer);
    found.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
    const start = page * PAGE_SIZE;
    return { data: found.slice(start, start + PAGE_SIZE), has_more: found.length > start + PAGE_SIZE, scanned, truncated: scanned >= SCAN_MAX || bytes > MAX_SCAN_BYTES };
  }

  /** One document, if the principal may read its workspace; otherwise it is "not found", as for a wrong id. */
  async get(p: Principal, id: string, sessionKey?: string): Promise<LogDocument> {
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id)) throw invalid('A log id is 1-128 letters, digits, ".", "_", ":" or "-"', 'id', 'invalid_log_id');
    const res = await this.fetchGateway(`/v1/logs/${encodeURIComponent(id)}`, { headers: this.headers(sessionKey) });
    if (!res.ok) throw await gatewayFailure(res);
    const doc = (await res.json()) as LogDocument;
    const workspaces = await this.workspaceIndex(p.organisationId);
    const ws = doc.principal?.workspace ? workspaces.get(doc.principal.workspace) ?? null : null;
    if (!mayReadWorkspace(p, ws)) throw new GatewayError({ status: 404, code: 'log_not_found', param: 'id', message: `No log document has id ${id} in your workspaces` });
    return doc;
  }

  /**
   * Log exports: the gateway sends /v1/logs/exports to the data service (DATASERVICE_BASEPATH), so the
   * console reaches it the same way, as the signed-in key (or CONSOLE_GATEWAY_KEY). Answers pass back as
   * they are, errors included: a gateway without a data service answers 404 or 405, which the console
   * shows as "not deployed yet".
   */
  async exports(method: 'GET' | 'POST', path: string, body: unknown, sessionKey?: string): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { ...this.headers(sessionKey), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchGateway(`/v1/logs/exports${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { error: { message: `The gateway answered ${res.status} without JSON`, type: 'api_error', param: null, code: 'gateway_error' } };
    }
    return { status: res.status, body: parsed };
  }

  /**
   * The playground: a request sent to the gateway with the gateway key the user gave (used for this call
   * only), the answer (a server-sent event stream) passed back as it comes. Either a saved prompt run by
   * the gateway itself (POST /v1/prompts/{id}/completions, with its variables), or a chat request.
   */
  async playground(res: ServerResponse, body: unknown, promptId?: string): Promise<void> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Send a JSON object body', null, 'invalid_body');
    const b = body as Record<string, unknown>;
    const fields = promptId ? ['gateway_key', 'variables'] : ['gateway_key', 'provider', 'body'];
    for (const k of Object.keys(b)) if (!fields.includes(k)) throw invalid(`Unknown field "${k}"; send ${fields.join(', ')}`, k, 'unknown_field');
    if (typeof b.gateway_key !== 'string' || !b.gateway_key || b.gateway_key.length > 500) throw invalid('gateway_key must be a gateway API key with the completions scope', 'gateway_key');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-portkey-api-key': b.gateway_key };
    let path: string;
    let payload: unknown;
    if (promptId) {
      if (!/^[\w.-]{1,128}$/.test(promptId)) throw invalid('A prompt id is letters, digits, ".", "_" and "-"', 'id');
      const vars = b.variables ?? {};
      if (typeof vars !== 'object' || vars === null || Array.isArray(vars) || Object.values(vars).some((v) => typeof v !== 'string')) throw invalid('variables must be an object of strings', 'variables');
      path = `/v1/prompts/${encodeURIComponent(promptId)}/completions`;
      payload = { variables: vars, stream: true };
    } else {
      if (b.provider !== undefined && (typeof b.provider !== 'string' || !/^[\w.-]{1,128}$/.test(b.provider))) throw invalid('provider must be a credential slug', 'provider');
      if (typeof b.body !== 'object' || b.body === null || Array.isArray(b.body)) throw invalid('body must be a chat completions request object', 'body');
      if (b.provider) headers['x-portkey-provider'] = `@${b.provider}`;
      path = '/v1/chat/completions';
      payload = b.body;
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(PLAYGROUND_MAX_MS)]);
    const upstream = await this.fetchGateway(path, { method: 'POST', headers, body: JSON.stringify(payload), signal });
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    if (!upstream.body) return void res.end();
    Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).on('error', () => res.destroy()).pipe(res);
  }
}

async function gatewayFailure(res: Response): Promise<GatewayError> {
  let message = `The gateway answered ${res.status}`;
  let code = 'gateway_error';
  let param: string | null = null;
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: string; param?: string } };
    if (body.error?.message) message = `The gateway answered: ${body.error.message}`;
    if (body.error?.code) code = body.error.code;
    param = body.error?.param ?? null;
  } catch {
    // Not JSON: keep the status.
  }
  if (res.status === 401 || res.status === 403) message += ' (sign in with a key that has the logs.view scope, or set CONSOLE_GATEWAY_KEY to one)';
  return new GatewayError({ status: res.status === 404 || res.status === 400 ? res.status : 502, code, param, message });
}
