import type { BlobStore } from './blob-store.js';

/**
 * Job records (exports, batches, files, fine-tuning jobs) as JSON objects in a BlobStore:
 * `<kind>/<id>.json`. The store is an S3 bucket or a local folder, so the records outlive the task.
 * Records of jobs this replica is running are also held in memory (`live`), so their status stays
 * readable while the object store is out.
 */
export class JobStore<T extends { id: string }> {
  private readonly live = new Map<string, T>();
  constructor(private readonly blobs: BlobStore, private readonly kind: string) {}

  private key(id: string): string {
    return `${this.kind}/${id}.json`;
  }

  async get(id: string): Promise<T | undefined> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) return undefined;
    const live = this.live.get(id);
    if (live) return live;
    const bytes = await this.blobs.getBytes(this.key(id));
    return bytes ? (JSON.parse(bytes.toString('utf8')) as T) : undefined;
  }

  /** The stored record, ignoring this replica's in-memory copy (to see another replica's changes). */
  async getStored(id: string): Promise<T | undefined> {
    const bytes = await this.blobs.getBytes(this.key(id));
    return bytes ? (JSON.parse(bytes.toString('utf8')) as T) : undefined;
  }

  async put(record: T): Promise<void> {
    if (this.live.has(record.id)) this.live.set(record.id, record);
    await this.blobs.putBytes(this.key(record.id), JSON.stringify(record), 'application/json');
  }

  async delete(id: string): Promise<void> {
    this.live.delete(id);
    await this.blobs.delete(this.key(id));
  }

  /** Every record, bounded by `max` (newest ids last in key order). */
  async list(max = 10_000): Promise<T[]> {
    const out: T[] = [];
    for await (const o of this.blobs.list(`${this.kind}/`)) {
      if (!o.key.endsWith('.json')) continue;
      const id = o.key.slice(this.kind.length + 1, -5);
      if (id.includes('/')) continue;
      const rec = await this.get(id);
      if (rec) out.push(rec);
      if (out.length >= max) break;
    }
    return out;
  }

  /**
   * Markers of jobs that still need a runner (`<kind>-active/<id>`): the scheduler lists these, not
   * every record ever made.
   */
  async markActive(id: string): Promise<void> {
    await this.blobs.putBytes(`${this.kind}-active/${id}`, '1', 'text/plain');
  }

  async clearActive(id: string): Promise<void> {
    await this.blobs.delete(`${this.kind}-active/${id}`);
  }

  async listActive(): Promise<string[]> {
    const out: string[] = [];
    const prefix = `${this.kind}-active/`;
    for await (const o of this.blobs.list(prefix)) out.push(o.key.slice(prefix.length));
    return out;
  }

  hold(record: T): void {
    this.live.set(record.id, record);
  }

  /** Updates the in-memory copy only (the store is unreachable); put() later persists it. */
  setLive(record: T): void {
    this.live.set(record.id, record);
  }

  drop(id: string): void {
    this.live.delete(id);
  }
}
