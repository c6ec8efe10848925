import type { LogDocument } from '@portico/contract';
import type {
  AnalyticsQuery, ApiKey, ConfigDetail, Dimensions, ConfigSummary, ConfigVersion, CreatedApiKey, Credential, ExportStatus, Feedback,
  GraphResponse, Guardrail, Label, ListResponse, LogFilters, LogPage, NewApiKey, PromptDetail, PromptPartial,
  PromptSummary, PromptVersion, Session, SignInOptions, Workspace, WorkspaceMember,
} from './types.js';
import { prefetch, takePrefetched } from './prefetch.js';

/**
 * All of the console's data access. Every call goes to the console's own origin: the Admin API under
 * ADMIN, the console's session, log and playground routes under CONSOLE. Changes carry the session's
 * CSRF token; the session cookie itself is HttpOnly and never seen here.
 */
export const CONSOLE = '/console/api';
export const ADMIN = '/v1';

/** An error the API answered with, in OpenAI's shape, or a network failure. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code: string | null = null, readonly param: string | null = null) {
    super(message);
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when any call answers 401: the session ended, show the sign-in form. */
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let message = `The server answered ${res.status} ${res.statusText}.`;
  let code: string | null = null;
  let param: string | null = null;
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: string; param?: string } };
    if (body.error?.message) message = body.error.message;
    code = body.error?.code ?? null;
    param = body.error?.param ?? null;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(res.status, message, code, param);
}

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  const prefetched = method === 'GET' ? await takePrefetched(path) : undefined;
  if (prefetched) return prefetched;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'The control plane could not be reached. Check that it is running, then try again.');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    // A 401 from the playground is the gateway refusing the key typed there, not the session ending.
    if (res.status === 401 && !path.startsWith(`${CONSOLE}/session`) && !path.startsWith(`${CONSOLE}/playground`)) onSignedOut();
    throw err;
  }
  return res;
}

async function json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, body, signal);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const get = <T>(path: string, query?: Query, signal?: AbortSignal) => json<T>('GET', withQuery(path, query), undefined, signal);

/** Some of Portkey's endpoints wrap one object as {"success": true, "data": {...}}; others answer it bare. */
async function one<T>(pending: Promise<unknown>): Promise<T> {
  const body = await pending;
  if (body && typeof body === 'object' && 'success' in body && 'data' in body && !Array.isArray((body as { data: unknown }).data)) {
    return (body as { data: T }).data;
  }
  return body as T;
}
const enc = encodeURIComponent;

/** Portkey's analytics parameters from the console's filters. */
function analyticsParams(q: AnalyticsQuery): Query {
  const p: Query = { time_of_generation_min: q.from, time_of_generation_max: q.to };
  if (q.workspaceId) p.workspace_id = q.workspaceId;
  else if (q.workspace) p.workspace_slug = q.workspace;
  if (q.models?.length) p.ai_org_model = q.models.join(',');
  if (q.keys?.length) p.api_key_ids = q.keys.join(',');
  if (q.status) p.status_code = q.status;
  if (q.metadata && Object.keys(q.metadata).length) p.metadata = JSON.stringify(q.metadata);
  return p;
}

export type GraphName = 'requests' | 'cost' | 'tokens' | 'latency' | 'errors/rate' | 'cache/hit-rate' | 'requests/rescued';

export const api = {
  // Session (the console's own routes, served by the control plane).
  session: () => get<Session>(`${CONSOLE}/session`),
  prefetchSession: () => prefetch(`${CONSOLE}/session`),
  signInOptions: () => get<SignInOptions>(`${CONSOLE}/sign-in-options`),
  signIn: (secret: string) => json<Session>('POST', `${CONSOLE}/session`, { api_key: secret }),
  signOut: () => json<void>('DELETE', `${CONSOLE}/session`),
  setPassword: (password: string) => json<{ ok: true }>('POST', `${CONSOLE}/password`, { password }),
  oidcStartUrl: () => `${CONSOLE}/oidc/start`,

  // Workspaces and members.
  workspaces: () => get<ListResponse<Workspace>>(`${ADMIN}/admin/workspaces`),
  createWorkspace: (w: { name: string; description?: string }) => json<Workspace>('POST', `${ADMIN}/admin/workspaces`, w),
  members: (workspaceId: string) => get<ListResponse<WorkspaceMember>>(`${ADMIN}/admin/workspaces/${enc(workspaceId)}/users`),
  addMember: (workspaceId: string, email: string, role: string) =>
    json<unknown>('POST', `${ADMIN}/admin/users/invites`, { email, role: 'member', workspaces: [{ id: workspaceId, role }] }),
  removeMember: (workspaceId: string, userId: string) => json<void>('DELETE', `${ADMIN}/admin/workspaces/${enc(workspaceId)}/users/${enc(userId)}`),

  // API keys.
  apiKeys: (workspace?: string) => get<ListResponse<ApiKey>>(`${ADMIN}/api-keys`, { workspace_id: workspace, page_size: 100 }),
  createApiKey: (k: NewApiKey) => {
    const { type, ...body } = k;
    return json<CreatedApiKey>('POST', `${ADMIN}/api-keys/${type}/service`, body);
  },
  revokeApiKey: (id: string) => json<void>('DELETE', `${ADMIN}/api-keys/${enc(id)}`),

  // Provider credentials (virtual keys). Secrets are write-only: sent, never read back.
  credentials: (workspace?: string) => get<ListResponse<Credential>>(`${ADMIN}/virtual-keys`, { workspace_id: workspace }),
  createCredential: (c: { name: string; provider: string; key: string; workspace_id?: string; note?: string }) =>
    json<{ slug: string }>('POST', `${ADMIN}/virtual-keys`, c),
  rotateCredential: (slug: string, key: string) => json<unknown>('PUT', `${ADMIN}/virtual-keys/${enc(slug)}`, { key }),
  deleteCredential: (slug: string) => json<void>('DELETE', `${ADMIN}/virtual-keys/${enc(slug)}`),

  // Configs.
  configs: (workspace?: string) => get<ListResponse<ConfigSummary>>(`${ADMIN}/configs`, { workspace_id: workspace }),
  config: (slug: string) => one<ConfigDetail>(get(`${ADMIN}/configs/${enc(slug)}`)),
  createConfig: (c: { name: string; config: unknown; workspace_id?: string }) => one<{ id: string; slug?: string }>(json('POST', `${ADMIN}/configs`, c)),
  updateConfig: (slug: string, c: { name?: string; config: unknown }) => json<unknown>('PUT', `${ADMIN}/configs/${enc(slug)}`, c),
  configVersions: (slug: string) => get<ListResponse<ConfigVersion>>(`${ADMIN}/configs/${enc(slug)}/versions`),

  // Prompts, versions, labels, partials.
  prompts: (workspace?: string) => get<ListResponse<PromptSummary>>(`${ADMIN}/prompts`, { workspace_id: workspace }),
  prompt: (id: string) => one<PromptDetail>(get(`${ADMIN}/prompts/${enc(id)}`)),
  createPrompt: (p: { name: string; string: string; parameters: Record<string, unknown>; model?: string; virtual_key?: string; workspace_id?: string; collection_id?: string }) =>
    one<{ id: string; slug?: string }>(json('POST', `${ADMIN}/prompts`, p)),
  updatePrompt: (id: string, p: { string: string; parameters: Record<string, unknown>; model?: string; virtual_key?: string }) =>
    json<unknown>('PUT', `${ADMIN}/prompts/${enc(id)}`, p),
  promptVersions: (id: string) => get<ListResponse<PromptVersion>>(`${ADMIN}/prompts/${enc(id)}/versions`),
  makeDefaultVersion: (id: string, version: number) => json<unknown>('PUT', `${ADMIN}/prompts/${enc(id)}/makeDefault`, { version }),
  labels: (workspace?: string) => get<ListResponse<Label>>(`${ADMIN}/labels`, { workspace_id: workspace }),
  setVersionLabel: (id: string, versionId: string, labelId: string) =>
    json<unknown>('PUT', `${ADMIN}/prompts/${enc(id)}/versions/${enc(versionId)}`, { label_id: labelId }),
  partials: (workspace?: string) => get<ListResponse<PromptPartial> | PromptPartial[]>(`${ADMIN}/prompts/partials`, { workspace_id: workspace }),
  createPartial: (p: { name: string; string: string; workspace_id?: string }) => one<{ id: string; slug?: string }>(json('POST', `${ADMIN}/prompts/partials`, p)),
  renderPrompt: (id: string, variables: Record<string, string>) =>
    json<{ data: Record<string, unknown> }>('POST', `${ADMIN}/prompts/${enc(id)}/render`, { variables }),

  /**
   * Runs a chat request through the gateway, streaming: the control plane forwards it to the gateway's
   * /v1/chat/completions with the gateway key the user gave, and passes the server-sent events back.
   */
  playgroundPrompt: (gatewayKey: string, promptId: string, variables: Record<string, string>, signal: AbortSignal) =>
    send('POST', `${CONSOLE}/playground/prompts/${enc(promptId)}/completions`, { gateway_key: gatewayKey, variables }, signal),
  playgroundStream: (gatewayKey: string, provider: string | undefined, body: Record<string, unknown>, signal: AbortSignal) =>
    send('POST', `${CONSOLE}/playground/chat/completions`, { gateway_key: gatewayKey, provider, body: { ...body, stream: true } }, signal),

  // Guardrails.
  guardrails: (workspace?: string) => get<ListResponse<Guardrail>>(`${ADMIN}/guardrails`, { workspace_id: workspace }),
  createGuardrail: (g: { name: string; checks: Guardrail['checks']; actions?: Record<string, unknown>; workspace_id?: string }) =>
    json<{ id: string }>('POST', `${ADMIN}/guardrails`, g),
  deleteGuardrail: (id: string) => json<void>('DELETE', `${ADMIN}/guardrails/${enc(id)}`),

  // Analytics.
  graph: async <P>(name: GraphName, q: AnalyticsQuery, signal?: AbortSignal): Promise<GraphResponse<P>> => {
    // A filter that matched no provider or model: nothing to ask for.
    if (q.models && q.models.length === 0) return { summary: {}, data_points: [] };
    return get<GraphResponse<P>>(`${ADMIN}/analytics/graphs/${name}`, analyticsParams(q), signal);
  },
  /** Starts a graph's request now; the api.graph call with the same query takes its answer. */
  prefetchGraph: (name: GraphName, q: AnalyticsQuery) => {
    if (!q.models || q.models.length > 0) prefetch(withQuery(`${ADMIN}/analytics/graphs/${name}`, analyticsParams(q)));
  },
  workspaceGroups: (q: AnalyticsQuery, signal?: AbortSignal) =>
    get<ListResponse<{ workspace_id: string; requests: string | number }>>(`${ADMIN}/analytics/groups/workspaces`, { ...analyticsParams(q), page_size: 20 }, signal),
  metadataGroups: (key: string, q: AnalyticsQuery, signal?: AbortSignal) =>
    get<ListResponse<{ metadata_value: string; requests: string | number }>>(`${ADMIN}/analytics/groups/metadata/${enc(key)}`, { ...analyticsParams(q), page_size: 20 }, signal),
  dimensions: (from: string, to: string, workspace: string | undefined, signal?: AbortSignal) =>
    get<Dimensions>(`${CONSOLE}/analytics/dimensions`, { from, to, workspace }, signal),

  // Logs: the list and each document come from the gateway's /v1/logs through the control plane.
  logs: (f: LogFilters, signal?: AbortSignal) => get<LogPage>(`${CONSOLE}/logs`, { ...f }, signal),
  log: (id: string, signal?: AbortSignal) => get<LogDocument>(`${CONSOLE}/logs/${enc(id)}`, undefined, signal),
  trace: (traceId: string, from: string, to: string, signal?: AbortSignal) =>
    get<LogPage>(`${CONSOLE}/logs`, { trace_id: traceId, from, to }, signal),

  // Feedback.
  feedback: (traceId: string) => get<ListResponse<Feedback>>(`${CONSOLE}/feedback`, { trace_id: traceId }),
  sendFeedback: (f: Feedback) => json<unknown>('POST', `${ADMIN}/feedback`, f),

  // Exports, through the data service when it is deployed (the control plane asks the gateway, which forwards).
  startExport: async (f: LogFilters): Promise<ExportStatus> => {
    try {
      const filters: Record<string, string> = { time_of_generation_min: f.from, time_of_generation_max: f.to };
      // The data service takes exact status codes ("200,429"); a class such as "5xx" is left to the list.
      if (f.status && /^\d{3}(,\s*\d{3})*$/.test(f.status)) filters.status_code = f.status;
      if (f.trace_id) filters.trace_id = f.trace_id;
      if (f.model) filters.ai_model = f.model;
      if (f.workspace) filters.workspace_slug = f.workspace;
      const created = await json<{ id: string }>('POST', `${CONSOLE}/exports`, {
        filters,
        requested_data: ['id', 'trace_id', 'created_at', 'request', 'response', 'response_status_code', 'ai_org', 'ai_model', 'total_units', 'cost', 'response_time', 'metadata'],
        description: 'Exported from the console',
      });
      await json<unknown>('POST', `${CONSOLE}/exports/${enc(created.id)}/start`);
      return { available: true, id: created.id, status: 'in_progress', progress: 0 };
    } catch (e) {
      return exportUnavailable(e);
    }
  },
  exportStatus: async (id: string): Promise<ExportStatus> => {
    try {
      const s = await get<{ id: string; status: string; progress?: { done: number; total: number } }>(`${CONSOLE}/exports/${enc(id)}`);
      const status = s.status === 'success' || s.status === 'failed' || s.status === 'draft' ? s.status : s.status === 'stopped' ? 'failed' : 'in_progress';
      const progress = s.progress && s.progress.total > 0 ? Math.min(100, Math.round((s.progress.done / s.progress.total) * 100)) : undefined;
      if (status !== 'success') return { available: true, id, status, progress };
      const dl = await get<{ signed_url: string }>(`${CONSOLE}/exports/${enc(id)}/download`);
      return { available: true, id, status: 'success', progress: 100, download_url: dl.signed_url };
    } catch (e) {
      return exportUnavailable(e);
    }
  },
};

function exportUnavailable(e: unknown): ExportStatus {
  if (e instanceof ApiError && [404, 405, 501, 502, 503].includes(e.status)) {
    return { available: false, reason: 'Log exports need the data service, which is not deployed here yet (or the gateway has no DATASERVICE_BASEPATH). Once /v1/logs/exports answers through the gateway, this screen starts exports and offers the download.' };
  }
  throw e;
}

/** Lists come as {data: [...]} in Portkey's API, and sometimes as a bare array; the screens want the array. */
export function rows<T>(list: ListResponse<T> | T[] | undefined): T[] {
  if (!list) return [];
  return Array.isArray(list) ? list : list.data ?? [];
}
