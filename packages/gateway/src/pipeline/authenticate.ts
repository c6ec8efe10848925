import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { EntityStore, GatewayKey } from '../entities/types.js';

export function hashGatewayKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
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
  const hash = hashGatewayKey(presented);
  const key = await entities.findKeyByHash(hash);
  if (!key || !timingSafeEqual(Buffer.from(key.hash, 'hex'), Buffer.from(hash, 'hex'))) {
    throw new GatewayError({ status: 401, code: 'invalid_api_key', param: 'x-portkey-api-key', message: 'The gateway key in x-portkey-api-key is not valid; check it against the keys configured for this gateway.' });
  }
  if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) {
    throw new GatewayError({ status: 403, code: 'insufficient_scope', message: `Gateway key "${key.id}" lacks the "${scope}" scope; add it to the key's scopes in the entities file.` });
  }
  return key;
}
