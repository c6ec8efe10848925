/**
 * The semantic cache's in-process index: unit vectors kept per partition (tenant, route or namespace,
 * embedding model and the rest of the request), searched by brute-force cosine similarity. A partition
 * holds its vectors in one contiguous Float32Array, so a search is a tight dot-product loop: at the
 * sizes a partition is bounded to, that beats an approximate index (HNSW) that must be built and kept
 * per partition, and it is exact. Bounded twice: bytes in all (LRU across partitions; an entry costs
 * its vector plus ENTRY_OVERHEAD_BYTES) and entries per partition (its least recently used goes first).
 */

export interface IndexedEntry {
  /** The exact-match cache key of the request whose answer this is. */
  key: string;
  expiresAt: number;
}

export interface IndexMatch extends IndexedEntry {
  similarity: number;
}

interface Slot extends IndexedEntry {
  partition: Partition;
  /** Row of this entry in its partition's vectors. */
  row: number;
  usedAt: number;
}

class Partition {
  rows: Slot[] = [];
  data: Float32Array;
  constructor(readonly id: string, readonly dims: number, initialRows: number) {
    this.data = new Float32Array(dims * initialRows);
  }
}

/** What an entry costs besides its vector: its slot, key string and LRU map entry, roughly. */
export const ENTRY_OVERHEAD_BYTES = 256;

export interface VectorIndexOptions {
  /** Bytes of entries kept in all (vectors at 4 bytes a dimension, plus ENTRY_OVERHEAD_BYTES each). */
  maxBytes: number;
  maxPerPartition: number;
  now?: () => number;
}

/** Scales a vector to unit length (cosine similarity becomes a dot product); undefined for a zero or non-finite vector. */
export function normalise(v: ArrayLike<number>): Float32Array | undefined {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  if (!Number.isFinite(sum) || sum === 0) return undefined;
  const inv = 1 / Math.sqrt(sum);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

export class VectorIndex {
  private readonly partitions = new Map<string, Partition>();
  /** Every slot by partition and key; Map order is least recently used first. */
  private readonly lru = new Map<string, Slot>();
  private readonly now: () => number;
  private usedBytes = 0;

  constructor(private readonly options: VectorIndexOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.usedBytes;
  }

  get partitionCount(): number {
    return this.partitions.size;
  }

  /**
   * The most similar live entry at or above `threshold`, marked as used; undefined when none is.
   * `vector` must be a unit vector (normalise).
   */
  search(partitionId: string, vector: Float32Array, threshold: number): IndexMatch | undefined {
    const p = this.partitions.get(partitionId);
    if (!p || p.dims !== vector.length) return undefined;
    const now = this.now();
    const dims = p.dims;
    const data = p.data;
    let best: Slot | undefined;
    let bestScore = threshold;
    const expired: Slot[] = [];
    for (let r = 0; r < p.rows.length; r++) {
      const slot = p.rows[r];
      if (slot.expiresAt <= now) {
        expired.push(slot);
        continue;
      }
      const dot = dotAt(data, r * dims, vector);
      if (dot >= bestScore) {
        bestScore = dot;
        best = slot;
      }
    }
    for (const slot of expired) this.remove(slot);
    if (!best) return undefined;
    this.touch(best, now);
    // Rounding can take the dot product of equal unit vectors just past 1.
    return { key: best.key, expiresAt: best.expiresAt, similarity: Math.min(1, bestScore) };
  }

  /** Adds (or replaces) the entry for `key` in a partition. `vector` must be a unit vector. */
  add(partitionId: string, vector: Float32Array, entry: IndexedEntry): void {
    const now = this.now();
    const cost = vector.length * 4 + ENTRY_OVERHEAD_BYTES;
    if (entry.expiresAt <= now || cost > this.options.maxBytes || this.options.maxPerPartition <= 0) return;
    let p = this.partitions.get(partitionId);
    if (p && p.dims !== vector.length) {
      // Another embedding model's vectors under the same partition cannot be compared: start over.
      this.dropPartition(p);
      p = undefined;
    }
    if (!p) {
      p = new Partition(partitionId, vector.length, 4);
      this.partitions.set(partitionId, p);
    }
    const existing = this.lru.get(lruKey(partitionId, entry.key));
    if (existing) this.remove(existing);
    if (p.rows.length >= this.options.maxPerPartition) this.remove(leastRecentlyUsed(p.rows));
    if (!this.partitions.has(partitionId)) this.partitions.set(partitionId, p);
    if ((p.rows.length + 1) * p.dims > p.data.length) {
      const grown = new Float32Array(Math.min(this.options.maxPerPartition, p.rows.length * 2 + 1) * p.dims);
      grown.set(p.data.subarray(0, p.rows.length * p.dims));
      p.data = grown;
    }
    const slot: Slot = { key: entry.key, expiresAt: entry.expiresAt, partition: p, row: p.rows.length, usedAt: now };
    p.data.set(vector, slot.row * p.dims);
    p.rows.push(slot);
    this.lru.set(lruKey(partitionId, entry.key), slot);
    this.usedBytes += cost;
    while (this.usedBytes > this.options.maxBytes) this.remove(this.lru.values().next().value!);
  }

  /** Forgets an entry (its answer is gone from the response cache). */
  delete(partitionId: string, key: string): void {
    const slot = this.lru.get(lruKey(partitionId, key));
    if (slot) this.remove(slot);
  }

  clear(): void {
    this.partitions.clear();
    this.lru.clear();
    this.usedBytes = 0;
  }

  private touch(slot: Slot, now: number): void {
    slot.usedAt = now;
    const k = lruKey(slot.partition.id, slot.key);
    this.lru.delete(k);
    this.lru.set(k, slot);
  }

  /** Swap-remove: the partition's last row moves into the freed one. */
  private remove(slot: Slot): void {
    const p = slot.partition;
    if (this.lru.get(lruKey(p.id, slot.key)) !== slot) return;
    this.lru.delete(lruKey(p.id, slot.key));
    this.usedBytes -= p.dims * 4 + ENTRY_OVERHEAD_BYTES;
    const last = p.rows.pop()!;
    if (last !== slot) {
      p.data.copyWithin(slot.row * p.dims, last.row * p.dims, (last.row + 1) * p.dims);
      last.row = slot.row;
      p.rows[slot.row] = last;
    }
    if (p.rows.length === 0) this.partitions.delete(p.id);
    else if (p.data.length > 64 * p.dims && p.rows.length * 4 < p.data.length / p.dims) {
      // Mostly empty after evictions: give the memory back.
      p.data = p.data.slice(0, p.rows.length * 2 * p.dims);
    }
  }

  private dropPartition(p: Partition): void {
    for (const slot of [...p.rows]) this.remove(slot);
    this.partitions.delete(p.id);
  }
}

const lruKey = (partition: string, key: string) => `${partition}\n${key}`;

function leastRecentlyUsed(rows: Slot[]): Slot {
  let oldest = rows[0];
  for (const s of rows) if (s.usedAt < oldest.usedAt) oldest = s;
  return oldest;
}

/** Dot product of row data[base..] with v; four accumulators let the CPU overlap the multiply-adds. */
function dotAt(data: Float32Array, base: number, v: Float32Array): number {
  const n = v.length;
  const end = n - (n % 4);
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i < end; i += 4) {
    a += data[base + i] * v[i];
    b += data[base + i + 1] * v[i + 1];
    c += data[base + i + 2] * v[i + 2];
    d += data[base + i + 3] * v[i + 3];
  }
  for (; i < n; i++) a += data[base + i] * v[i];
  return a + b + c + d;
}
