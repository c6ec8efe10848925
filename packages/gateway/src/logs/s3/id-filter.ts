/**
 * A Bloom filter of the document ids in a batch, stored as the batch object's user metadata
 * (x-amz-meta-portico-ids, within S3's 2 KB metadata limit). get(id) HEADs the candidate batches and
 * downloads only those whose filter may hold the id: no extra objects, no extra PUTs.
 */
export const ID_FILTER_META = 'portico-ids';
const MAX_BITS = 1_400 * 8; // 1,400 bytes → 1,868 base64 characters, under the 2 KB limit
const BITS_PER_ID = 24;

function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function positions(id: string, k: number, m: number): number[] {
  const h1 = fnv1a(id, 0x811c9dc5);
  const h2 = fnv1a(id, 0x01000193) | 1;
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(((h1 + Math.imul(i, h2)) >>> 0) % m);
  return out;
}

/** `k.base64bits` for the given ids. */
export function buildIdFilter(ids: readonly string[]): string {
  const m = Math.min(MAX_BITS, Math.max(64, Math.ceil((ids.length * BITS_PER_ID) / 8) * 8));
  const k = Math.max(1, Math.min(16, Math.round((m / Math.max(1, ids.length)) * Math.LN2)));
  const bits = Buffer.alloc(m / 8);
  for (const id of ids) for (const p of positions(id, k, m)) bits[p >> 3] |= 1 << (p & 7);
  return `${k}.${bits.toString('base64')}`;
}

/** False only when the id is certainly not in the batch; true for a malformed filter. */
export function idFilterMayHave(filter: string, id: string): boolean {
  const dot = filter.indexOf('.');
  const k = Number(filter.slice(0, dot));
  const bits = Buffer.from(filter.slice(dot + 1), 'base64');
  if (dot < 1 || !(k >= 1 && k <= 16) || bits.length === 0) return true;
  const m = bits.length * 8;
  return positions(id, k, m).every((p) => (bits[p >> 3] & (1 << (p & 7))) !== 0);
}
