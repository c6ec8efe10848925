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

/** Every 10-bit value as its two base32 characters: an id is 13 lookups instead of 26 appends. */
const PAIRS = Array.from({ length: 1024 }, (_, v) => ALPHABET[v >> 5] + ALPHABET[v & 31]);
let lastTime = -1;
let lastTimeText = '';

/** A new time-ordered log id for a document whose time is `now` (epoch ms). */
export function newLogId(now: number = Date.now()): string {
  const t = Math.floor(now);
  if (!(t >= 0 && t <= MAX_TIME)) throw new RangeError(`newLogId: time ${now} is outside 0..2^48-1 ms`);
  if (t !== lastTime) {
    // 48 bits → 10 characters: the top 8 bits (2 characters, the first always "0"-"7"), then 40 bits.
    lastTimeText = PAIRS[Math.floor(t / 2 ** 40)] + fortyBits(t % 2 ** 40);
    lastTime = t;
  }
  const r = randomBytes10();
  // 80 bits → 16 characters, taken from two 40-bit halves so numbers stay exact.
  return lastTimeText + fortyBits(r[0] * 2 ** 32 + r[1] * 2 ** 24 + r[2] * 2 ** 16 + r[3] * 2 ** 8 + r[4]) + fortyBits(r[5] * 2 ** 32 + r[6] * 2 ** 24 + r[7] * 2 ** 16 + r[8] * 2 ** 8 + r[9]);
}

/** A 40-bit number as 8 base32 characters, most significant first. */
function fortyBits(v: number): string {
  return PAIRS[Math.floor(v / 2 ** 30)] + PAIRS[Math.floor(v / 2 ** 20) % 1024] + PAIRS[Math.floor(v / 2 ** 10) % 1024] + PAIRS[v % 1024];
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
