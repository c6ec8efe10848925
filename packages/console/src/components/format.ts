/** Number and time formats shared by the screens. */

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatUsd(v: number | undefined): string {
  if (v === undefined || v === null) return '—';
  if (v === 0) return '$0';
  return v < 0.01 ? `$${v.toPrecision(2)}` : `$${v.toFixed(2)}`;
}

export function formatMs(v: number | undefined): string {
  if (v === undefined || v === null) return '—';
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

export function formatCount(v: number | undefined): string {
  if (v === undefined || v === null) return '—';
  return new Intl.NumberFormat().format(v);
}

/** Portkey's analytics give rates as percentages (0–100). */
export function formatPercent(v: number | undefined): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  return `${v.toFixed(1)}%`;
}
