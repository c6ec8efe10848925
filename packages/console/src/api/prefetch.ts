/**
 * GETs started before the screen that needs them has rendered (the dashboard's graphs, asked for
 * while the session is still being checked), handed once to the first identical request. Bounded and
 * short-lived; one that failed or answered an error is not used, so the screen asks again and its
 * error takes the usual path (a 401 shows the sign-in form, a 4xx its message).
 */
const MAX_PENDING = 16;
const TTL_MS = 10_000;

interface Pending {
  at: number;
  response: Promise<Response | undefined>;
}
const pending = new Map<string, Pending>();

export function prefetch(path: string, now = Date.now()): void {
  for (const [p, entry] of pending) if (now - entry.at > TTL_MS) pending.delete(p);
  if (pending.has(path) || pending.size >= MAX_PENDING) return;
  const response = fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then((r) => (r.ok ? r : undefined), () => undefined);
  pending.set(path, { at: now, response });
}

/** The prefetched answer to this exact path, once; undefined when there is none (or it is stale or failed). */
export async function takePrefetched(path: string, now = Date.now()): Promise<Response | undefined> {
  const entry = pending.get(path);
  if (!entry) return undefined;
  pending.delete(path);
  return now - entry.at > TTL_MS ? undefined : entry.response;
}
