/** Time ranges the screens offer, kept in the URL as ?range=24h. */
export const RANGES = [
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;

export type RangeId = (typeof RANGES)[number]['id'];

export function rangeOf(id: string | null): (typeof RANGES)[number] {
  return RANGES.find((r) => r.id === id) ?? RANGES[1];
}

/** The [from, to) window of a range ending now; "to" is rounded up to the next minute so repeated loads agree. */
export function windowOf(id: string | null, now = Date.now()): { from: string; to: string } {
  const r = rangeOf(id);
  const to = Math.ceil((now + 1) / 60_000) * 60_000;
  return { from: new Date(to - r.ms).toISOString(), to: new Date(to).toISOString() };
}
