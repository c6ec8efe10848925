import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { EntityStore, GatewayKey } from '../entities/types.js';

/**
 * Hashes of recently presented keys: a client sends the same key on every request. Only the hash is
 * remembered per key; the lookup by hash still runs each time, so a revoked key fails at once.
 */
const recentHashes = new Map<string, { hex: string; bytes: Buffer }>();
const RECENT_MAX = 1024;

function hashOf(presented: string): { hex: string; bytes: Buffer } {
  let h = recentHashes.get(presented);
  if (!h) {
    const bytes = createHash('sha256').update(presented).digest();
    h = { hex: bytes.toString('hex'), bytes };
    if (recentHashes.size >= RECENT_MAX) recentHashes.clear();
    recentHashes.set(presented, h);
  }
  return h;
}

/**
 * Checks x-portkey-api-key when keys are configured. Keys are stored as SHA-256 hashes; the lookup is
 * by hash and the final comparison is constant-time.
 */
export async function authenticate(entities: EntityStore, presented: string | undefined, scope: string): Promise<GatewayKey | undefined> {
  if (!entities.authRequired()) return undefined;
  if (!presented) {
    throw new GatewayError({ status: 401, code: 'missing_api_key', param: 'x-portkey-api-key', message: 'This gateway requires a gateway key: send it in the x-portkey-api-key header.' });
  }
  const hash = hashOf(presented);
  const key = await entities.findKeyByHash(hash.hex);
  if (!key || key.hash.length !== hash.hex.length || !timingSafeEqual(Buffer.from(key.hash, 'hex'), hash.bytes)) {
    throw new GatewayError({ status: 401, code: 'invalid_api_key', param: 'x-portkey-api-key', message: 'The gateway key in x-portkey-api-key is not valid; check it against the keys configured for this gateway.' });
  }
  if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) {
    throw new GatewayError({ status: 403, code: 'insufficient_scope', message: `Gateway key "${key.id}" lacks the "${scope}" scope; add it to the key's scopes in the entities file.` });
  }
  return key;
}
