import { randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import type { BlobStore } from '../storage/blob-store.js';
import type { JobStore } from '../storage/job-store.js';
import { canSee, requireScope, type Principal } from '../auth/principal.js';
import { GatewayError, invalid, notFound } from '../http/respond.js';
import { batchLineChecker, fineTuneLineChecker, type LineChecker, type LineProblem } from './jsonl-check.js';

export const FILE_PURPOSES = ['batch', 'fine-tune', 'assistants', 'vision', 'user_data', 'evals'] as const;
/** Purposes of files the service makes itself (batch results, fine-tuning results). */
export type FilePurpose = (typeof FILE_PURPOSES)[number] | 'batch_output' | 'fine-tune-results';

export interface FileRecord {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
  status_details: null;
  expires_at: number | null;
  /** Portico: the owner's workspace (null: organisation-level), and where the bytes are. */
  workspace: string | null;
  content_key: string;
  /** Lines of a JSONL file (batch and fine-tune purposes). */
  lines?: number;
}

const UPLOAD_FIELDS = ['purpose', 'file', 'expires_after[anchor]', 'expires_after[seconds]'];

export const newFileId = () => `file-${randomBytes(12).toString('hex')}`;

/** Splits the passing bytes into lines for the checkers, and passes every byte through unchanged. */
class LineTap extends Transform {
  private carry = '';
  lines = 0;
  constructor(private readonly checkers: LineChecker[]) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.checkers.length) {
      const text = this.carry + chunk.toString('utf8');
      const parts = text.split('\n');
      this.carry = parts.pop() ?? '';
      for (const p of parts) this.feed(p.endsWith('\r') ? p.slice(0, -1) : p);
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.carry) this.feed(this.carry);
    cb();
  }
  private feed(line: string): void {
    this.lines++;
    for (const c of this.checkers) c.check(line, this.lines);
  }
}

export interface FileDeps {
  jobs: JobStore<FileRecord>;
  blobs: BlobStore;
  maxBytes: number;
  maxBatchLines: number;
}

export class FileService {
  constructor(private readonly d: FileDeps) {}

  view(r: FileRecord): Record<string, unknown> {
    return { id: r.id, object: 'file', bytes: r.bytes, created_at: r.created_at, filename: r.filename, purpose: r.purpose, status: r.status, status_details: r.status_details, expires_at: r.expires_at };
  }

  async find(p: Principal, id: string): Promise<FileRecord> {
    const r = await this.d.jobs.get(id);
    if (!r || !canSee(p, r.workspace)) throw notFound('file', id, 'file_id');
    return r;
  }

  /** POST /v1/files: streams the multipart file part to storage, checking JSONL lines on the way. */
  async upload(p: Principal, req: IncomingMessage): Promise<Record<string, unknown>> {
    requireScope(p, 'completions');
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('multipart/form-data')) throw invalid('Upload files as multipart/form-data with the fields "file" and "purpose".', 'file');
    const id = newFileId();
    const key = `files/${id}/content`;
    let purpose: string | undefined;
    let filename = 'upload.jsonl';
    let unknownField: string | undefined;
    let tooLarge = false;
    let upload: Promise<number> | undefined;
    let tap: LineTap | undefined;
    const batchCheck = batchLineChecker(this.d.maxBatchLines);
    const tuneCheck = fineTuneLineChecker(1_000_000);
    const parser = busboy({ headers: req.headers, limits: { fileSize: this.d.maxBytes, files: 1, fields: 8, fieldSize: 4096 } });
    const parsed = new Promise<void>((resolve, reject) => {
      parser.on('field', (name, value) => {
        if (!UPLOAD_FIELDS.includes(name)) unknownField ??= name;
        else if (name === 'purpose') purpose = value;
      });
      parser.on('file', (name, stream: Readable, info) => {
        if (name !== 'file') {
          unknownField ??= name;
          stream.resume();
          return;
        }
        filename = (info.filename || filename).slice(0, 255);
        // The purpose usually comes first (the SDKs send it first); if not, both checks run.
        const checkers = purpose === 'batch' ? [batchCheck] : purpose === 'fine-tune' ? [tuneCheck] : purpose ? [] : [batchCheck, tuneCheck];
        tap = new LineTap(checkers);
        stream.on('limit', () => {
          tooLarge = true;
          tap!.destroy(new Error('file over the limit'));
        });
        stream.pipe(tap);
        upload = this.d.blobs.putStream(key, tap, 'application/octet-stream');
        upload.catch(() => undefined);
      });
      parser.on('close', () => resolve());
      parser.on('error', (e) => reject(invalid(`The multipart body could not be read: ${(e as Error).message}`, 'file')));
    });
    req.pipe(parser);
    try {
      await parsed;
      let bytes = 0;
      try {
        bytes = upload ? await upload : 0;
      } catch (e) {
        if (tooLarge) throw new GatewayError({ status: 413, code: 'file_too_large', param: 'file', message: `The file is over the ${this.d.maxBytes}-byte limit; split it.` });
        throw e;
      }
      if (unknownField) throw invalid(`Unknown form field "${unknownField}"; send "file" and "purpose".`, unknownField, 'unknown_parameter');
      if (!upload) throw invalid('The form has no "file" part.', 'file');
      if (!purpose) throw invalid(`The form needs a "purpose": one of ${FILE_PURPOSES.join(', ')}.`, 'purpose');
      if (!(FILE_PURPOSES as readonly string[]).includes(purpose)) throw invalid(`purpose must be one of ${FILE_PURPOSES.join(', ')} (got "${purpose}").`, 'purpose');
      const lines = tap?.lines ?? 0;
      const problem: LineProblem | undefined = purpose === 'batch' ? batchCheck.finish(lines) : purpose === 'fine-tune' ? tuneCheck.finish(lines) : undefined;
      if (problem) throw invalid(`Line ${problem.line} of the ${purpose} file: ${problem.message}.`, 'file', 'invalid_file_line');
      const r: FileRecord = {
        id, object: 'file', bytes, created_at: Math.floor(Date.now() / 1000), filename, purpose: purpose as FilePurpose,
        status: 'processed', status_details: null, expires_at: null, workspace: p.workspace ?? null, content_key: key,
        ...(purpose === 'batch' || purpose === 'fine-tune' ? { lines } : {}),
      };
      await this.d.jobs.put(r);
      return this.view(r);
    } catch (e) {
      req.unpipe(parser);
      req.resume();
      await this.d.blobs.delete(key).catch(() => undefined);
      throw e;
    }
  }

  /** A new file id and where its bytes go, for content the service streams itself (register() after). */
  reserve(): { id: string; key: string } {
    const id = newFileId();
    return { id, key: `files/${id}/content` };
  }

  async register(slot: { id: string; key: string }, bytes: number, workspace: string | null, filename: string, purpose: FilePurpose, lines?: number): Promise<FileRecord> {
    const r: FileRecord = { id: slot.id, object: 'file', bytes, created_at: Math.floor(Date.now() / 1000), filename, purpose, status: 'processed', status_details: null, expires_at: null, workspace, content_key: slot.key, ...(lines !== undefined ? { lines } : {}) };
    await this.d.jobs.put(r);
    return r;
  }

  async discard(slot: { key: string }): Promise<void> {
    await this.d.blobs.delete(slot.key);
  }

  /** Stores a file the service made (batch output, converted datasets). */
  async create(workspace: string | null, filename: string, purpose: FilePurpose, body: Readable | Buffer, lines?: number): Promise<FileRecord> {
    const id = newFileId();
    const key = `files/${id}/content`;
    let bytes: number;
    if (Buffer.isBuffer(body)) {
      await this.d.blobs.putBytes(key, body);
      bytes = body.length;
    } else bytes = await this.d.blobs.putStream(key, body);
    const r: FileRecord = { id, object: 'file', bytes, created_at: Math.floor(Date.now() / 1000), filename, purpose, status: 'processed', status_details: null, expires_at: null, workspace, content_key: key, ...(lines !== undefined ? { lines } : {}) };
    await this.d.jobs.put(r);
    return r;
  }

  async list(p: Principal, q: URLSearchParams, limit: number): Promise<Record<string, unknown>> {
    requireScope(p, 'completions');
    const purpose = q.get('purpose');
    const order = q.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw invalid('order must be "asc" or "desc".', 'order');
    let all = (await this.d.jobs.list()).filter((r) => canSee(p, r.workspace) && (!purpose || r.purpose === purpose));
    all.sort((a, b) => (a.created_at - b.created_at || (a.id < b.id ? -1 : 1)) * (order === 'asc' ? 1 : -1));
    const after = q.get('after');
    if (after) {
      const i = all.findIndex((r) => r.id === after);
      all = i === -1 ? [] : all.slice(i + 1);
    }
    const page = all.slice(0, limit);
    return { object: 'list', data: page.map((r) => this.view(r)), first_id: page[0]?.id ?? null, last_id: page[page.length - 1]?.id ?? null, has_more: all.length > limit };
  }

  async content(p: Principal, id: string): Promise<{ record: FileRecord; stream: Readable }> {
    requireScope(p, 'completions');
    const r = await this.find(p, id);
    const stream = await this.d.blobs.getStream(r.content_key);
    if (!stream) throw notFound('file content', id, 'file_id');
    return { record: r, stream };
  }

  async delete(p: Principal, id: string): Promise<Record<string, unknown>> {
    requireScope(p, 'completions');
    const r = await this.find(p, id);
    await this.d.blobs.delete(r.content_key);
    await this.d.jobs.delete(id);
    return { id, object: 'file', deleted: true };
  }
}
