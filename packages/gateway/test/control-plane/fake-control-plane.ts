/**
 * A control plane that follows the sync protocol of packages/contract/src/sync.ts exactly: snapshot,
 * long-polled changes (with `reset` when `since` predates the change log it keeps), idempotent
 * analytics ingestion, bearer client-auth compared in constant time, 403 for another organisation's
 * key. Used until the real control plane (packages/control-plane) is on this branch, and for what the
 * real one cannot be made to do in a test (compact its log, answer slowly).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  SYNC_MAX_WAIT_SECONDS, SYNC_PATHS, type AnalyticsBatch, type AnalyticsRow, type GatewayKey, type SyncChange, type SyncSnapshot,
} from '@portico/contract';

export interface FakeControlPlane {
  url: string;
  port: number;
  /** The organisation's current state. */
  state: SyncSnapshot;
  /** Analytics rows stored, by id (each once), and every row received (duplicates included). */
  rows: Map<string, AnalyticsRow>;
  received: AnalyticsRow[];
  /** Requests per path (without query). */
  hits: Map<string, number>;
  /** Calls outside /v1/sync (admin calls forwarded by a gateway), answered with an echo of what arrived. */
  adminCalls: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  /** Applies a change: bumps the version and wakes long polls. */
  change(c: SyncChange): void;
  /** Forgets the change log, so a gateway behind must fetch a snapshot again. */
  compact(): void;
  /** Answers every sync call with this status (0: normally). */
  failWith(status: number): void;
  stop(): Promise<void>;
  /** Starts again on the same port, with the same state. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function gatewayKey(id: string, secret: string, extra: Partial<GatewayKey> = {}): GatewayKey {
  return { id, hash: createHash('sha256').update(secret).digest('hex'), scopes: ['completions'], ...extra };
}

export function emptySnapshot(organisation: string): SyncSnapshot {
  return { organisation, version: 1, keys: [], virtualKeys: [], configs: [], prompts: [], partials: [], guardrails: [], userLimits: {} };
}

export async function startFakeControlPlane(opts: { organisation: string; clientAuth: string; otherOrganisations?: Record<string, string>; snapshot?: SyncSnapshot; port?: number }): Promise<FakeControlPlane> {
  const state: SyncSnapshot = opts.snapshot ?? emptySnapshot(opts.organisation);
  let log: Array<{ version: number; change: SyncChange }> = [];
  let logStart = state.version;
  const waiters = new Set<() => void>();
  const rows = new Map<string, AnalyticsRow>();
  const received: AnalyticsRow[] = [];
  const hits = new Map<string, number>();
  const adminCalls: FakeControlPlane['adminCalls'] = [];
  let failStatus = 0;
  const auths: Record<string, string> = { [opts.organisation]: opts.clientAuth, ...(opts.otherOrganisations ?? {}) };

  const authorised = (req: IncomingMessage, org: string): boolean => {
    const expected = auths[org];
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!expected) return false;
    const a = createHash('sha256').update(presented).digest();
    const b = createHash('sha256').update(expected).digest();
    return timingSafeEqual(a, b);
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  };
  const error = (res: ServerResponse, status: number, message: string) => send(res, status, { error: { message, type: 'invalid_request_error', param: null, code: null } });

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (failStatus) return error(res, failStatus, 'scripted failure');
    if (!url.pathname.startsWith('/v1/sync/')) {
      const body = Buffer.concat(chunks).toString('utf8');
      adminCalls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      return send(res, url.pathname.endsWith('/missing') ? 404 : 200, { success: true, echo: { method: req.method, url: req.url, body: body ? JSON.parse(body) : null } });
    }
    if (url.pathname === SYNC_PATHS.analytics && req.method === 'POST') {
      const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AnalyticsBatch;
      const org = batch.rows[0]?.organisation ?? opts.organisation;
      if (!authorised(req, org)) return error(res, 403, 'client auth key does not belong to this organisation');
      let accepted = 0;
      let duplicates = 0;
      for (const r of batch.rows) {
        received.push(r);
        if (rows.has(r.id)) duplicates++;
        else {
          rows.set(r.id, r);
          accepted++;
        }
      }
      return send(res, 200, { accepted, duplicates });
    }
    const org = url.searchParams.get('organisation') ?? '';
    if (!org) return error(res, 400, 'organisation is required');
    if (!authorised(req, org)) return error(res, 403, 'client auth key does not belong to this organisation');
    if (url.pathname === SYNC_PATHS.snapshot) {
      if (org !== opts.organisation) return send(res, 200, emptySnapshot(org));
      return send(res, 200, state);
    }
    if (url.pathname === SYNC_PATHS.changes) {
      const since = Number(url.searchParams.get('since'));
      const wait = Math.min(Number(url.searchParams.get('wait') ?? 0), SYNC_MAX_WAIT_SECONDS);
      if (!Number.isInteger(since) || since < 0) return error(res, 400, 'since must be a version number');
      if (since < logStart) return send(res, 200, { organisation: org, version: state.version, changes: [], reset: true });
      const answer = () => send(res, 200, { organisation: org, version: state.version, changes: log.filter((e) => e.version > since).map((e) => e.change) });
      if (state.version > since || wait <= 0) return answer();
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, wait * 1000);
        function done() {
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
        res.once('close', done);
      });
      if (!res.writableEnded && !res.destroyed) answer();
      return;
    }
    error(res, 404, `no route ${url.pathname}`);
  };

  let server: Server;
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server = createServer((req, res) => void handler(req, res).catch((e) => error(res, 500, String(e))));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  await listen(opts.port ?? 0);
  const port = (server!.address() as AddressInfo).port;

  const apply = (c: SyncChange) => {
    const list = (kind: SyncChange['kind']) => ({ key: state.keys, virtualKey: state.virtualKeys, config: state.configs, prompt: state.prompts, partial: state.partials, guardrail: state.guardrails } as unknown as Record<string, Array<Record<string, unknown>>>)[kind];
    const idOf = (kind: SyncChange['kind'], e: Record<string, unknown>) => String(kind === 'key' ? e.hash : kind === 'virtualKey' ? e.slug : e.id);
    const arr = list(c.kind);
    const id = c.op === 'delete' ? c.id : idOf(c.kind, c.entity as unknown as Record<string, unknown>);
    const i = arr.findIndex((e) => idOf(c.kind, e) === id);
    if (i !== -1) arr.splice(i, 1);
    if (c.op === 'upsert') arr.push(c.entity as unknown as Record<string, unknown>);
  };

  const stop = () => new Promise<void>((resolve) => {
    for (const w of [...waiters]) w();
    server.close(() => resolve());
    server.closeAllConnections();
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    rows,
    received,
    hits,
    adminCalls,
    change(c) {
      apply(c);
      state.version++;
      log.push({ version: state.version, change: c });
      for (const w of [...waiters]) w();
    },
    compact() {
      log = [];
      logStart = state.version;
    },
    failWith(status) {
      failStatus = status;
    },
    stop,
    restart: () => listen(port),
    close: stop,
  };
}
