/** The in-process layer of RedisEntityCache: a small LRU whose entries expire after a TTL. */

interface Entry {
  value: unknown;
  expiresAt: number;
  touchedAt: number;
}

/** A hot entry moves to the most-recent end at most this often: the LRU order needs no more precision. */
const TOUCH_EVERY_MS = 1000;

export class LocalEntityLayer {
  private readonly map = new Map<string, Entry>();

  constructor(private readonly ttlMs: number, private readonly maxEntries: number) {}

  /** { value } on a hit (value may be undefined: a cached "not found"), undefined on a miss. */
  get<T>(key: string): { value: T | undefined } | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    const now = Date.now();
    if (e.expiresAt <= now) {
      this.map.delete(key);
      return undefined;
    }
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    if (now - e.touchedAt >= TOUCH_EVERY_MS) {
      e.touchedAt = now;
      this.map.delete(key);
      this.map.set(key, e);
    }
    return { value: e.value as T | undefined };
  }

  set(key: string, value: unknown): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.map.delete(key);
    const now = Date.now();
    this.map.set(key, { value, expiresAt: now + this.ttlMs, touchedAt: now });
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
