import { randomFillSync } from 'node:crypto';

/**
 * Log document ids: 26 characters, Crockford base32, ULID layout (48-bit millisecond time, then 80
 * random bits). They sort by time, and the S3 store reads the time back out of an id to find the one
 * hour partition (and the few batches in it) that can hold the document.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DECODE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));
const ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const MAX_TIME = 2 ** 48 - 1;

// Random bytes come from a pool refilled 4 KiB at a time: one syscall per ~400 ids, not one per id.
const POOL = Buffer.alloc(4096);
let poolPos = POOL.length;

function randomBytes10(): Buffer {
  if (poolPos + 10 > POOL.length) {
    randomFillSync(POOL);
    poolPos = 0;
  }
  const out = POOL.subarray(poolPos, poolPos + 10);
  poolPos += 10;
  return out;
}

/** A new time-ordered log id for a document whose time is `now` (epoch ms). */
export function newLogId(now: number = Date.now()): string {
  let t = Math.floor(now);
  if (!(t >= 0 && t <= MAX_TIME)) throw new RangeError(`newLogId: time ${now} is outside 0..2^48-1 ms`);
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const r = randomBytes10();
  let rand = '';
  // 80 bits → 16 characters of 5 bits, taken from two 40-bit halves so numbers stay exact.
  for (let half = 0; half < 2; half++) {
    let v = 0;
    for (let i = 0; i < 5; i++) v = v * 256 + r[half * 5 + i];
    let s = '';
    for (let i = 0; i < 8; i++) {
      s = ALPHABET[v % 32] + s;
      v = Math.floor(v / 32);
    }
    rand += s;
  }
  return time + rand;
}

export function isLogId(id: string): boolean {
  return ID_RE.test(id);
}

/** The epoch-ms time in a log id, or undefined when the string is not a Portico log id. */
export function logIdTimeMs(id: string): number | undefined {
  if (!isLogId(id)) return undefined;
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + DECODE.get(id[i])!;
  return t <= MAX_TIME ? t : undefined;
}
