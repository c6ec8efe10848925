/**
 * Identical analytics reads in flight at the same moment share one database query. The console's
 * dashboard asks for seven graphs at once over the same rows; six of them need the same aggregate,
 * so without this the database scans the same range six times. Nothing is kept once the query
 * settles: a later request always reads afresh, so no answer is ever stale.
 */
const inFlight = new WeakMap<object, Map<string, Promise<unknown>>>();
/** Bounded: past this many distinct reads in flight, new ones simply run on their own. */
const MAX_IN_FLIGHT = 1_000;

/** db: the database read (reads of two databases never share); key: what identifies the read. */
export function sharedRead<T>(db: object, key: string, read: () => Promise<T>): Promise<T> {
  let reads = inFlight.get(db);
  if (!reads) inFlight.set(db, (reads = new Map()));
  const pending = reads.get(key);
  if (pending) return pending as Promise<T>;
  if (reads.size >= MAX_IN_FLIGHT) return read();
  const mine = reads;
  const p = read().finally(() => mine.delete(key));
  reads.set(key, p);
  return p;
}

/** The key of a read: its SQL and every bound value (the organisation is always among them). */
export const readKey = (sql: string, params: readonly unknown[]) => JSON.stringify([sql, params]);
