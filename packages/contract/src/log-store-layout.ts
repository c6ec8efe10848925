/**
 * Where the gateway's log stores put log documents, so the data service can read them without the
 * gateway's code. Both stores hold NDJSON: one `LogDocument` per line, UTF-8, '\n' after every line.
 *
 * File store (LOG_STORE=file, the embedded default):
 *   <dir>/YYYY-MM-DD/HH.ndjson                 one uncompressed file per UTC hour of `created_at`,
 *                                              appended to; a torn last line after a crash is skipped
 * S3 store (LOG_STORE=s3 | s3_assume | s3_custom, bucket LOG_STORE_GENERATIONS_BUCKET):
 *   logs/dt=YYYY-MM-DD/hh=HH/<minMs>-<maxMs>-<count>-<batchId>.ndjson.gz
 *                                              one gzip object per batch, lines sorted by document time;
 *                                              minMs/maxMs (13 digits) bound the batch's document times,
 *                                              all within the batch's UTC hour; count = lines
 */
export const LOG_HOUR_MS = 3_600_000;
/** Key prefix of every object the S3 log store writes. */
export const S3_LOG_PREFIX = 'logs/';
const BATCH_NAME_RE = /^(\d{13})-(\d{13})-(\d+)-([0-9a-z]+)\.ndjson\.gz$/;

export interface LogBatchName {
  minMs: number;
  maxMs: number;
  count: number;
  batchId: string;
}

export const pad13 = (n: number): string => String(Math.floor(n)).padStart(13, '0');
export const logHourStart = (ms: number): number => Math.floor(ms / LOG_HOUR_MS) * LOG_HOUR_MS;

/** File store: the file, relative to the store's directory, for the UTC hour holding `ms`. */
export function fileLogRelativePath(ms: number): string {
  const iso = new Date(logHourStart(ms)).toISOString();
  return `${iso.slice(0, 10)}/${iso.slice(11, 13)}.ndjson`;
}

/** File store: the same from an ISO-8601 UTC time ("2026-12-07T13:05:00.000Z"), without a Date. */
export function fileLogRelativePathOfIso(isoUtc: string): string {
  return `${isoUtc.slice(0, 10)}/${isoUtc.slice(11, 13)}.ndjson`;
}

/** S3 store: `dt=YYYY-MM-DD/hh=HH/` for the UTC hour holding `ms`. */
export function s3LogHourPartition(ms: number): string {
  const iso = new Date(logHourStart(ms)).toISOString();
  return `dt=${iso.slice(0, 10)}/hh=${iso.slice(11, 13)}/`;
}

export function s3LogBatchFileName(b: LogBatchName): string {
  return `${pad13(b.minMs)}-${pad13(b.maxMs)}-${b.count}-${b.batchId}.ndjson.gz`;
}

/** The batch a file name describes, or undefined for names this layout did not write. */
export function parseS3LogBatchFileName(name: string): LogBatchName | undefined {
  const m = BATCH_NAME_RE.exec(name);
  if (!m) return undefined;
  const b = { minMs: Number(m[1]), maxMs: Number(m[2]), count: Number(m[3]), batchId: m[4] };
  return b.minMs <= b.maxMs && logHourStart(b.minMs) === logHourStart(b.maxMs) ? b : undefined;
}

export function s3LogBatchKey(prefix: string, b: LogBatchName): string {
  return prefix + s3LogHourPartition(b.minMs) + s3LogBatchFileName(b);
}

/** Every hour (start ms) that overlaps [fromMs, toMs], oldest first. */
export function logHoursBetween(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let h = logHourStart(fromMs); h <= toMs; h += LOG_HOUR_MS) out.push(h);
  return out;
}

/** S3 store: every hour partition prefix that overlaps [fromMs, toMs], oldest first. */
export function s3LogHourPrefixes(prefix: string, fromMs: number, toMs: number): string[] {
  return logHoursBetween(fromMs, toMs).map((h) => prefix + s3LogHourPartition(h));
}
