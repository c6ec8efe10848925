import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BlobStore } from '../storage/blob-store.js';
import { StorageUnavailableError } from '../storage/blob-store.js';
import type { JobStore } from '../storage/job-store.js';
import type { LogSource } from '../logs/log-source.js';
import type { JobHost } from '../jobs/job-host.js';
import { sleep } from '../jobs/job-host.js';
import { canSee, requireScope, type Principal } from '../auth/principal.js';
import { GatewayError, invalid, notFound, refuseUnknown } from '../http/respond.js';
import { timeRange, validateFilters, type ExportFilters } from './filters.js';
import { validateRequestedData, type ExportField } from './fields.js';
import { runExport, type ExportProgress } from './runner.js';
import type { Sealer } from '../storage/secret.js';
import type { ServiceMetrics } from '../observability.js';

/** Portkey's export statuses; "stopped" is a cancelled export. */
export type ExportStatus = 'draft' | 'in_progress' | 'success' | 'failed' | 'stopped';

export interface ExportRecord {
  id: string;
  object: 'export';
  organisation_id: string;
  workspace_id: string | null;
  filters: ExportFilters;
  requested_data: ExportField[];
  status: ExportStatus;
  description: string;
  created_at: string;
  last_updated_at: string;
  created_by: string;
  /** Portico's additions: output format, progress, and why a running export waits (object store out). */
  format: 'jsonl' | 'csv';
  progress: ExportProgress;
  paused_reason: string | null;
  error: string | null;
  object_key: string | null;
}

/** Placeholder for ids Portkey's schema requires but an embedded or organisation-wide export lacks. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const CREATE_FIELDS = ['workspace_id', 'filters', 'requested_data', 'description', 'format'] as const;
/** The portkey-ai SDK sends the export id in the body of update, start and cancel as well (as export_id). */
const SDK_ECHO = ['export_id', 'exportId'];

function checkEcho(body: Record<string, unknown>, id: string): void {
  for (const k of SDK_ECHO) if (body[k] !== undefined && body[k] !== id) throw invalid(`${k} in the body ("${String(body[k])}") differs from the export id in the path.`, k);
}
const PAUSE_BACKOFF_MS = [500, 1000, 2000, 5000, 10000, 30000];

export interface ExportDeps {
  jobs: JobStore<ExportRecord>;
  out: BlobStore;
  source: LogSource;
  host: JobHost;
  sealer: Sealer;
  logger: Logger;
  metrics: ServiceMetrics;
  /** How long a presigned download URL lasts. */
  downloadTtlS: number;
  /** Exports this replica runs at once; more wait (in_progress, progress 0) for the scheduler. */
  maxActive: number;
  pauseBackoffMs?: number[];
}

export class ExportService {
  constructor(private readonly d: ExportDeps) {}

  /** The record as the API shows it: Portkey's ExportItem plus Portico's progress fields. */
  view(r: ExportRecord): Record<string, unknown> {
    const { object_key: _k, ...rest } = r;
    return { ...rest, workspace_id: r.workspace_id ?? NIL_UUID };
  }

  private async find(p: Principal, id: string): Promise<ExportRecord> {
    requireScope(p, 'logs');
    const r = await this.d.jobs.get(id);
    if (!r || !canSee(p, r.workspace_id)) throw notFound('log export', id, 'exportId');
    return r;
  }

  private workspaceFor(p: Principal, asked: unknown): string | undefined {
    if (asked !== undefined && typeof asked !== 'string') throw invalid('workspace_id must be a string.', 'workspace_id');
    if (p.workspace !== undefined) {
      if (asked !== undefined && asked !== p.workspace) {
        throw new GatewayError({ status: 403, code: 'workspace_forbidden', param: 'workspace_id', message: `This API key belongs to another workspace; it can export only its own ("${p.workspace}").` });
      }
      return p.workspace;
    }
    return asked as string | undefined;
  }

  private format(raw: unknown): 'jsonl' | 'csv' {
    if (raw === undefined) return 'jsonl';
    if (raw !== 'jsonl' && raw !== 'csv') throw invalid('format must be "jsonl" (the default) or "csv".', 'format');
    return raw;
  }

  async create(p: Principal, body: Record<string, unknown>): Promise<{ id: string; total: number; object: 'export' }> {
    requireScope(p, 'logs');
    refuseUnknown(body, [...CREATE_FIELDS]);
    if (body.filters === undefined) throw invalid('filters is required (Portkey\'s GenerationsFilterSchema; {} for the last 30 days).', 'filters');
    const filters = validateFilters(body.filters);
    const requested = validateRequestedData(body.requested_data);
    if (body.description !== undefined && typeof body.description !== 'string') throw invalid('description must be a string.', 'description');
    const workspace = this.workspaceFor(p, body.workspace_id);
    const now = new Date().toISOString();
    const total = await this.estimate(filters);
    const r: ExportRecord = {
      id: randomUUID(),
      object: 'export',
      organisation_id: p.organisation ?? NIL_UUID,
      workspace_id: workspace ?? null,
      filters,
      requested_data: requested,
      status: 'draft',
      description: (body.description as string | undefined) ?? '',
      created_at: now,
      last_updated_at: now,
      created_by: p.keyId,
      format: this.format(body.format),
      progress: { done: 0, total, written: 0 },
      paused_reason: null,
      error: null,
      object_key: null,
    };
    await this.d.jobs.put(r);
    return { id: r.id, total, object: 'export' };
  }

  private async estimate(filters: ExportFilters): Promise<number> {
    const { fromMs, toMs } = timeRange(filters);
    return this.d.source.estimate(fromMs, toMs);
  }

  async list(p: Principal, workspace: string | undefined): Promise<{ object: 'list'; total: number; data: unknown[] }> {
    requireScope(p, 'logs');
    const bound = this.workspaceFor(p, workspace);
    const all = (await this.d.jobs.list()).filter((r) => canSee(p, r.workspace_id) && (bound === undefined || r.workspace_id === bound));
    all.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    return { object: 'list', total: all.length, data: all.map((r) => this.view(r)) };
  }

  async get(p: Principal, id: string): Promise<Record<string, unknown>> {
    return this.view(await this.find(p, id));
  }

  async update(p: Principal, id: string, body: Record<string, unknown>): Promise<{ id: string; total: number; object: 'export' }> {
    refuseUnknown(body, [...CREATE_FIELDS, ...SDK_ECHO]);
    checkEcho(body, id);
    const r = await this.find(p, id);
    if (r.status === 'in_progress') throw new GatewayError({ status: 409, code: 'export_running', message: 'The export is running; cancel it before changing it.' });
    if (body.filters === undefined) throw invalid('filters is required.', 'filters');
    r.filters = validateFilters(body.filters);
    if (body.requested_data !== undefined) r.requested_data = validateRequestedData(body.requested_data);
    if (body.description !== undefined) {
      if (typeof body.description !== 'string') throw invalid('description must be a string.', 'description');
      r.description = body.description;
    }
    if (body.format !== undefined) r.format = this.format(body.format);
    if (body.workspace_id !== undefined) r.workspace_id = this.workspaceFor(p, body.workspace_id) ?? null;
    r.status = 'draft';
    r.progress = { done: 0, total: await this.estimate(r.filters), written: 0 };
    r.error = null;
    r.last_updated_at = new Date().toISOString();
    await this.d.jobs.put(r);
    return { id: r.id, total: r.progress.total, object: 'export' };
  }

  async start(p: Principal, id: string, body: Record<string, unknown>): Promise<{ message: string; object: 'export' }> {
    refuseUnknown(body, SDK_ECHO);
    checkEcho(body, id);
    const r = await this.find(p, id);
    if (r.status === 'in_progress') return { message: 'Export is already in progress', object: 'export' };
    if (r.status === 'success') throw new GatewayError({ status: 409, code: 'export_finished', message: 'The export has finished; download it, or update it to run again.' });
    r.status = 'in_progress';
    r.progress = { done: 0, total: r.progress.total, written: 0 };
    r.error = null;
    r.paused_reason = null;
    r.last_updated_at = new Date().toISOString();
    await this.d.jobs.put(r);
    await this.d.jobs.markActive(r.id);
    await this.resume(r.id);
    return { message: 'Export started', object: 'export' };
  }

  async cancel(p: Principal, id: string, body: Record<string, unknown>): Promise<{ message: string; object: 'export' }> {
    refuseUnknown(body, SDK_ECHO);
    checkEcho(body, id);
    const r = await this.find(p, id);
    if (r.status !== 'in_progress' && r.status !== 'draft') throw new GatewayError({ status: 409, code: 'export_not_running', message: `The export is ${r.status}; only a draft or running export can be cancelled.` });
    // Stopped here if this replica runs it; the record's status stops a run on another replica at its next batch.
    this.d.host.stop('export', id, 'cancel');
    await this.d.host.waitFor('export', id);
    const latest = (await this.d.jobs.get(id)) ?? r;
    latest.status = 'stopped';
    latest.paused_reason = null;
    latest.last_updated_at = new Date().toISOString();
    await this.d.jobs.put(latest);
    await this.d.jobs.clearActive(id).catch(() => undefined);
    return { message: 'Export cancelled', object: 'export' };
  }

  async download(p: Principal, id: string, publicBase: string): Promise<{ signed_url: string }> {
    const r = await this.find(p, id);
    if (r.status !== 'success' || !r.object_key) throw new GatewayError({ status: 409, code: 'export_not_ready', message: `The export is ${r.status}; it can be downloaded once its status is success.` });
    const name = `export-${r.id}.${r.format}.gz`;
    if (this.d.out.presign) return { signed_url: await this.d.out.presign(r.object_key, this.d.downloadTtlS, name) };
    const expires = Math.floor(Date.now() / 1000) + this.d.downloadTtlS;
    const sig = this.d.sealer.sign(`export:${r.id}:${expires}`);
    return { signed_url: `${publicBase}/v1/logs/exports/${r.id}/file?expires=${expires}&signature=${sig}` };
  }

  /** The local stand-in for a presigned URL: checks the signature and expiry, then streams the object. */
  async openSigned(id: string, expires: string | null, signature: string | null) {
    const exp = Number(expires);
    if (!signature || !Number.isInteger(exp) || !this.d.sealer.verify(`export:${id}:${exp}`, signature)) {
      throw new GatewayError({ status: 403, code: 'invalid_signature', message: 'The download link is not valid; ask for a new one with /download.' });
    }
    if (exp * 1000 < Date.now()) throw new GatewayError({ status: 403, code: 'link_expired', message: 'The download link has expired; ask for a new one with /download.' });
    const r = await this.d.jobs.get(id);
    if (!r?.object_key) throw notFound('log export', id);
    const stream = await this.d.out.getStream(r.object_key);
    if (!stream) throw notFound('log export file', id);
    return { stream, filename: `export-${r.id}.${r.format}.gz` };
  }

  /** Exports that were running when their replica stopped: the scheduler resumes them. */
  async scan(): Promise<void> {
    for (const id of await this.d.jobs.listActive()) {
      if (this.d.host.isRunning('export', id)) continue;
      const r = await this.d.jobs.get(id);
      if (r?.status === 'in_progress') await this.resume(id);
      else await this.d.jobs.clearActive(id);
    }
  }

  /** Runs the export here if no replica holds it (start, or the scheduler after a restart). */
  async resume(id: string): Promise<boolean> {
    if (this.d.host.count('export') >= this.d.maxActive) return false;
    return this.d.host.tryStart('export', id, (signal) => this.execute(id, signal));
  }

  private async execute(id: string, signal: AbortSignal): Promise<void> {
    const r = await this.d.jobs.get(id);
    if (!r || r.status !== 'in_progress') return;
    this.d.jobs.hold(r);
    this.d.metrics.jobsActive.inc({ kind: 'export' });
    const backoff = this.d.pauseBackoffMs ?? PAUSE_BACKOFF_MS;
    let attempt = 0;
    try {
      r.object_key = `exports/${r.id}.${r.format}.gz`;
      // total was counted at create/update; documents logged since raise it as the export reads them.
      while (!signal.aborted) {
        r.progress.done = 0;
        r.progress.written = 0;
        let lastSave = Date.now();
        try {
          await runExport(
            { filters: r.filters, fields: r.requested_data, format: r.format, workspace: r.workspace_id ?? undefined, objectKey: r.object_key },
            this.d.source, this.d.out, r.progress, signal,
            () => {
              if (Date.now() - lastSave < 1000) return;
              lastSave = Date.now();
              r.last_updated_at = new Date().toISOString();
              void this.save(r);
            },
          );
          r.status = 'success';
          r.paused_reason = null;
          r.progress.total = Math.max(r.progress.total, r.progress.done);
          this.d.metrics.exportDocs.inc({ outcome: 'written' }, r.progress.written);
          this.d.metrics.exportDocs.inc({ outcome: 'filtered' }, r.progress.done - r.progress.written);
          break;
        } catch (e) {
          if (signal.aborted) break;
          if (e instanceof StorageUnavailableError || isTransient(e)) {
            // The object store is out: the export waits, visibly, and starts over when it is back.
            this.d.metrics.storageErrors.inc({ store: 'exports' });
            r.paused_reason = `object store unavailable, retrying: ${(e as Error).message}`;
            r.last_updated_at = new Date().toISOString();
            this.d.jobs.setLive(r);
            this.d.logger.warn({ export_id: r.id, err: (e as Error).message }, 'export paused: object store unavailable');
            await sleep(backoff[Math.min(attempt++, backoff.length - 1)], signal);
            continue;
          }
          this.d.logger.error({ export_id: r.id, err: e }, 'export failed');
          r.status = 'failed';
          r.error = (e as Error).message;
          break;
        }
      }
      if (signal.aborted) {
        if (signal.reason === 'cancel') r.status = 'stopped';
        else return; // shutdown or lease lost: stays in_progress; another run picks it up
      }
      r.last_updated_at = new Date().toISOString();
      await this.saveUntilDone(r, signal);
      await this.d.jobs.clearActive(r.id).catch(() => undefined);
    } finally {
      this.d.jobs.drop(r.id);
      this.d.metrics.jobsActive.dec({ kind: 'export' });
    }
  }

  private async save(r: ExportRecord): Promise<void> {
    // A cancel from another replica is seen here: its status wins over a running copy.
    const stored = await this.d.jobs.getStored(r.id).catch(() => undefined);
    if (stored && stored.status === 'stopped') {
      this.d.host.stop('export', r.id, 'cancel');
      return;
    }
    await this.d.jobs.put(r).catch(() => undefined);
  }

  private async saveUntilDone(r: ExportRecord, signal: AbortSignal): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await this.d.jobs.put(r);
        return;
      } catch (e) {
        if (signal.aborted && signal.reason !== 'cancel') return;
        r.paused_reason = 'object store unavailable; the export\'s final status is saved when it is back';
        await sleep(PAUSE_BACKOFF_MS[Math.min(i, PAUSE_BACKOFF_MS.length - 1)]);
      }
    }
  }
}

function isTransient(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE';
}
