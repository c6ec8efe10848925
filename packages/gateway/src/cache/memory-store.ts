import type { CacheStore } from './types.js';

interface Entry {
  value: Buffer;
  expiresAt: number;
}

/**
 * In-process response cache, bounded by bytes with LRU eviction (a Map keeps insertion order; a hit
 * re-inserts the entry at the end). Entries past their TTL are dropped when touched.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number, private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<Buffer | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.remove(key, e);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    const size = value.length + key.length;
    if (size > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    this.bytes += size;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(k, e);
    }
  }

  async delete(key: string): Promise<void> {
    const e = this.entries.get(key);
    if (e) this.remove(key, e);
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  health() {
    return { status: 'ok' as const };
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }

  private remove(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.value.length + key.length;
  }
}
