/**
 * ISO-8601 timestamps, exactly as Date.prototype.toISOString writes them, for epoch milliseconds on
 * the log path: V8 formats each through printf, which cost more than the rest of a document's
 * timings. The date is formatted once per day; the time of day is arithmetic.
 */
const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let cachedDay = Number.NaN;
let cachedDate = '';

export function isoTime(epochMs: number): string {
  const ms = Math.trunc(epochMs); // as Date does
  // Outside Date's range toISOString throws a RangeError; let it.
  if (!(Math.abs(ms) <= 8.64e15)) return new Date(epochMs).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    cachedDate = iso.slice(0, iso.indexOf('T') + 1);
    cachedDay = day;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${cachedDate}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}
