import type { Database } from '../db/types.js';
import type { Envelope } from './envelope.js';

/**
 * Key rotation: every secret whose data key is wrapped with an old master key (one listed in
 * ENCRYPTION_KEY_PREVIOUS) is rewrapped with the current ENCRYPTION_KEY. Runs at every start, in
 * batches, each row in its own small update; a crash part-way leaves every row readable.
 */
export async function rewrapSecrets(db: Database, envelope: Envelope): Promise<number> {
  const rows = await db.all<{ id: string; secret: string }>(`SELECT id, secret FROM resources WHERE secret IS NOT NULL`);
  let n = 0;
  for (const row of rows) {
    if (!envelope.isStale(row.secret)) continue;
    const next = envelope.rewrap(row.secret);
    await db.run(`UPDATE resources SET secret = ? WHERE id = ? AND secret = ?`, [next, row.id, row.secret]);
    n++;
  }
  return n;
}
