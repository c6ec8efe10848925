import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { JobStore } from '../storage/job-store.js';
import type { Sealer } from '../storage/secret.js';
import type { JobHost } from '../jobs/job-host.js';
import type { FileService } from '../files/service.js';
import { BATCH_ENDPOINTS } from '../files/jsonl-check.js';
import { canSee, requireScope, type Principal } from '../auth/principal.js';
import { GatewayError, invalid, notFound, refuseUnknown } from '../http/respond.js';
import type { BatchRunner } from './runner.js';
import { ACTIVE_STATUSES, batchView, nowS, type BatchRecord } from './record.js';

const CREATE_FIELDS = ['input_file_id', 'endpoint', 'completion_window', 'metadata', 'portkey_options'];
const ROUTING_HEADERS = ['x-portkey-config', 'x-portkey-provider', 'x-portkey-virtual-key'];
/** Request headers a batch carries to every line: Portkey's, except the key (sealed separately). */
const FORWARDED_PREFIX = 'x-portkey-';

export interface BatchDeps {
  jobs: JobStore<BatchRecord>;
  files: FileService;
  runner: BatchRunner;
  host: JobHost;
  sealer: Sealer;
  maxActive: number;
}

export class BatchService {
  constructor(private readonly d: BatchDeps) {}

  private async find(p: Principal, id: string): Promise<BatchRecord> {
    requireScope(p, 'completions');
    const r = await this.d.jobs.get(id);
    if (!r || !canSee(p, r.workspace)) throw notFound('batch', id, 'batch_id');
    return r;
  }

  /** The headers every line is sent with: the caller's key, its Portkey headers, then portkey_options. */
  private routingHeaders(p: Principal, req: IncomingMessage, options: unknown): Record<string, string> {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.startsWith(FORWARDED_PREFIX) && k !== 'x-portkey-api-key' && typeof v === 'string') h[k] = v;
    }
    if (options !== undefined) {
      if (!options || typeof options !== 'object' || Array.isArray(options)) throw invalid('portkey_options must be an object of header names to values, e.g. {"x-portkey-config": "..."}.', 'portkey_options');
      for (const [k, v] of Object.entries(options)) {
        const name = k.toLowerCase();
        if (!/^[a-z0-9-]{1,100}$/.test(name)) throw invalid(`portkey_options: "${k}" is not a header name.`, `portkey_options.${k}`);
        if (name === 'x-portkey-api-key') throw invalid('portkey_options cannot carry x-portkey-api-key; the batch runs with the key that created it.', `portkey_options.${k}`);
        if (typeof v === 'string') h[name] = v;
        else if (v && typeof v === 'object') h[name] = JSON.stringify(v);
        else throw invalid(`portkey_options.${k} must be a string (or a JSON object, for x-portkey-config).`, `portkey_options.${k}`);
      }
    }
    if (!ROUTING_HEADERS.some((k) => h[k]) && !p.defaultConfig) {
      throw invalid('The batch names no provider: put its routing in portkey_options, e.g. {"x-portkey-config": "<config JSON or id>"} or {"x-portkey-provider": "...", "authorization": "Bearer ..."}.', 'portkey_options', 'missing_routing');
    }
    if (p.apiKey) h['x-portkey-api-key'] = p.apiKey;
    return h;
  }

  async create(p: Principal, body: Record<string, unknown>, req: IncomingMessage): Promise<Record<string, unknown>> {
    requireScope(p, 'completions');
    refuseUnknown(body, CREATE_FIELDS);
    if (typeof body.input_file_id !== 'string') throw invalid('input_file_id is required: the id of a file uploaded with purpose "batch".', 'input_file_id');
    if (typeof body.endpoint !== 'string' || !(BATCH_ENDPOINTS as readonly string[]).includes(body.endpoint)) throw invalid(`endpoint must be one of ${BATCH_ENDPOINTS.join(', ')}.`, 'endpoint');
    const window = body.completion_window ?? '24h';
    if (window !== '24h' && window !== 'immediate') throw invalid('completion_window must be "24h" or "immediate".', 'completion_window');
    let metadata: Record<string, string> | null = null;
    if (body.metadata !== undefined && body.metadata !== null) {
      if (typeof body.metadata !== 'object' || Array.isArray(body.metadata)) throw invalid('metadata must be an object of up to 16 string values.', 'metadata');
      const entries = Object.entries(body.metadata);
      if (entries.length > 16) throw invalid('metadata holds at most 16 keys.', 'metadata');
      for (const [k, v] of entries) if (typeof v !== 'string' || k.length > 64 || v.length > 512) throw invalid(`metadata.${k} must be a string of at most 512 characters (keys at most 64).`, `metadata.${k}`);
      metadata = body.metadata as Record<string, string>;
    }
    const file = await this.d.files.find(p, body.input_file_id);
    if (file.purpose !== 'batch') throw invalid(`File ${file.id} has purpose "${file.purpose}"; a batch needs a file uploaded with purpose "batch".`, 'input_file_id');
    const headers = this.routingHeaders(p, req, body.portkey_options);
    const created = nowS();
    const r: BatchRecord = {
      id: `batch_${randomBytes(12).toString('hex')}`,
      object: 'batch',
      endpoint: body.endpoint,
      errors: null,
      input_file_id: file.id,
      completion_window: window,
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: created,
      in_progress_at: null,
      expires_at: window === '24h' ? created + 86_400 : null,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: file.lines ?? 0, completed: 0, failed: 0 },
      metadata,
      paused_reason: null,
      workspace: p.workspace ?? null,
      sealed_headers: this.d.sealer.seal(headers),
    };
    await this.d.jobs.put(r);
    await this.d.jobs.markActive(r.id);
    if (this.d.host.count('batch') < this.d.maxActive) await this.start(r.id);
    return batchView(r);
  }

  async retrieve(p: Principal, id: string): Promise<Record<string, unknown>> {
    return batchView(await this.find(p, id));
  }

  async list(p: Principal, after: string | null, limit: number): Promise<Record<string, unknown>> {
    requireScope(p, 'completions');
    let all = (await this.d.jobs.list()).filter((r) => canSee(p, r.workspace));
    all.sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
    if (after) {
      const i = all.findIndex((r) => r.id === after);
      all = i === -1 ? [] : all.slice(i + 1);
    }
    const page = all.slice(0, limit);
    return { object: 'list', data: page.map(batchView), first_id: page[0]?.id ?? null, last_id: page[page.length - 1]?.id ?? null, has_more: all.length > limit };
  }

  async cancel(p: Principal, id: string): Promise<Record<string, unknown>> {
    const r = await this.find(p, id);
    if (r.status !== 'validating' && r.status !== 'in_progress') {
      if (r.status === 'cancelling' || r.status === 'cancelled') return batchView(r);
      throw new GatewayError({ status: 409, code: 'batch_not_cancellable', message: `The batch is ${r.status}; only a validating or running batch can be cancelled.` });
    }
    const stored = (await this.d.jobs.getStored(id)) ?? r;
    stored.status = 'cancelling';
    stored.cancelling_at = nowS();
    await this.d.jobs.put(stored);
    // Here: stop at once. On another replica: its runner sees "cancelling" at its next sync.
    if (!this.d.host.stop('batch', id, 'cancel')) await this.start(id);
    return batchView(stored);
  }

  async start(id: string): Promise<boolean> {
    return this.d.host.tryStart('batch', id, (signal) => this.d.runner.execute(id, signal));
  }

  /** Batches with no runner (created while busy, or their replica died): started here, within the bound. */
  async scan(): Promise<void> {
    for (const id of await this.d.jobs.listActive()) {
      if (this.d.host.count('batch') >= this.d.maxActive) return;
      if (this.d.host.isRunning('batch', id)) continue;
      const r = await this.d.jobs.get(id);
      if (!r || !ACTIVE_STATUSES.includes(r.status)) {
        await this.d.jobs.clearActive(id);
        continue;
      }
      await this.start(id);
    }
  }
}
