import { createHash } from 'node:crypto';

/**
 * Cache-aware sticky routing (strategy.sticky, Portico's own): requests that share a conversation
 * prefix go to the same loadbalance target, so the provider's prompt cache holds their prefix.
 * The pick is weighted rendezvous hashing: stateless, identical on every replica, and when a target
 * becomes unavailable only its own keys move.
 */

export const DEFAULT_PREFIX_MESSAGES = 1;

/**
 * The key of a request: the explicit x-portkey-sticky-key, else a hash of the system prompt (chat
 * `system` message, Anthropic `system`, Responses `instructions`) and the first `prefixMessages`
 * other messages. Undefined when the body has none of these.
 */
export function stickyKeyOf(body: Record<string, unknown> | undefined, explicit: string | undefined, prefixMessages: number): string | undefined {
  if (explicit) return `k:${explicit}`;
  if (!body) return undefined;
  const h = createHash('sha256');
  let any = false;
  for (const field of ['system', 'instructions'] as const) {
    if (body[field] !== undefined) {
      h.update(field).update(JSON.stringify(body[field]));
      any = true;
    }
  }
  const messages = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : [];
  let taken = 0;
  for (const m of messages as Array<{ role?: string }>) {
    const system = m?.role === 'system' || m?.role === 'developer';
    if (!system && taken >= prefixMessages) continue;
    h.update(JSON.stringify(m));
    any = true;
    if (!system) taken++;
  }
  return any ? `p:${h.digest('hex')}` : undefined;
}

/** Weighted rendezvous hashing: the index with the highest score -weight / ln(u), u from hash(key, i). */
export function rendezvousPick(key: string, ids: readonly string[], weights: readonly number[]): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < ids.length; i++) {
    if (!(weights[i] > 0)) continue;
    const d = createHash('sha256').update(key).update('\0').update(ids[i]).digest();
    // 48 bits of the hash as a uniform number in (0, 1).
    const u = (d.readUIntBE(0, 6) + 1) / (2 ** 48 + 2);
    const score = -weights[i] / Math.log(u);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
