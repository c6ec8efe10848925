/**
 * Object layout of the S3 log store (see README.md in this folder):
 *   <prefix>dt=YYYY-MM-DD/hh=HH/<minMs>-<maxMs>-<count>-<batchId>.ndjson.gz
 * minMs/maxMs are the smallest and largest document times in the batch (13 digits, so keys sort by
 * minMs), every document of a batch lies in the batch's UTC hour, and lines are sorted by time.
 */
const HOUR_MS = 3_600_000;
const NAME_RE = /^(\d{13})-(\d{13})-(\d+)-([0-9a-z]+)\.ndjson\.gz$/;

export interface BatchName {
  minMs: number;
  maxMs: number;
  count: number;
  batchId: string;
}

export const pad13 = (n: number): string => String(Math.floor(n)).padStart(13, '0');
export const hourStart = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
export { HOUR_MS };

/** `dt=YYYY-MM-DD/hh=HH/` for the UTC hour holding `ms`. */
export function hourPartition(ms: number): string {
  const iso = new Date(hourStart(ms)).toISOString();
  return `dt=${iso.slice(0, 10)}/hh=${iso.slice(11, 13)}/`;
}

export function batchFileName(b: BatchName): string {
  return `${pad13(b.minMs)}-${pad13(b.maxMs)}-${b.count}-${b.batchId}.ndjson.gz`;
}

export function parseBatchFileName(name: string): BatchName | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const b = { minMs: Number(m[1]), maxMs: Number(m[2]), count: Number(m[3]), batchId: m[4] };
  // A name whose times do not lie in one hour was not written by this layout.
  return b.minMs <= b.maxMs && hourStart(b.minMs) === hourStart(b.maxMs) ? b : undefined;
}

export function batchKey(prefix: string, b: BatchName): string {
  return prefix + hourPartition(b.minMs) + batchFileName(b);
}

/** Every hour partition prefix that overlaps [fromMs, toMs], oldest first. */
export function hourPrefixes(prefix: string, fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  for (let h = hourStart(fromMs); h <= toMs; h += HOUR_MS) out.push(prefix + hourPartition(h));
  return out;
}
