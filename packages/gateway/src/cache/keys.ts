import { createHash, type Hash } from 'node:crypto';

/**
 * Most values (object keys, array items, scalars) canonicalJson visits before it gives up. Sorting the
 * keys of a body with hundreds of thousands of them would hold the event loop for a second.
 */
export const CANONICAL_MAX_NODES = 100_000;

/**
 * JSON with object keys sorted at every level, so equal requests hash equally; undefined once the value
 * holds more than `maxNodes` values. Iterative: no nesting depth can overflow the stack. `omit` names
 * top-level keys left out.
 */
export function canonicalJson(value: unknown, maxNodes = CANONICAL_MAX_NODES, omit?: ReadonlySet<string>): string | undefined {
  let out = '';
  let budget = maxNodes;
  // Work items: a value to write, or a literal to append (closing brackets, commas, "key":).
  const stack: unknown[] = [value];
  const LITERAL = literalMarker;
  while (stack.length) {
    const item = stack.pop();
    if (item instanceof LITERAL) {
      out += item.text;
      continue;
    }
    if (--budget < 0) return undefined;
    if (item === null || typeof item !== 'object') {
      out += JSON.stringify(item) ?? 'null';
      continue;
    }
    if (Array.isArray(item)) {
      if (item.length > budget) return undefined;
      out += '[';
      stack.push(CLOSE_ARRAY);
      for (let i = item.length - 1; i >= 0; i--) {
        stack.push(item[i] === undefined || typeof item[i] === 'function' ? null : item[i]);
        if (i > 0) stack.push(COMMA);
      }
      continue;
    }
    const record = item as Record<string, unknown>;
    // Counted before Object.keys, which would copy every key of an object far past the budget.
    let count = 0;
    for (const _k in record) if (++count > budget) return undefined;
    const keys = Object.keys(record);
    keys.sort();
    out += '{';
    stack.push(CLOSE_OBJECT);
    let first = true;
    // Pushed in reverse so they pop in order; a leading comma goes on every entry but the first written.
    const entries: unknown[] = [];
    for (const k of keys) {
      const v = record[k];
      if (v === undefined || typeof v === 'function' || (omit && item === value && omit.has(k))) continue;
      entries.push(new literalMarker(`${first ? '' : ','}${JSON.stringify(k)}:`), v);
      first = false;
    }
    for (let i = entries.length - 1; i >= 0; i--) stack.push(entries[i]);
  }
  return out;
}

class literalMarker {
  constructor(readonly text: string) {}
}
const COMMA = new literalMarker(',');
const CLOSE_ARRAY = new literalMarker(']');
const CLOSE_OBJECT = new literalMarker('}');

export interface CacheKeyParts {
  /** Whose entry this is (tenantOf): entries are never shared across tenants. */
  tenant: string;
  op: string;
  /** What else changes the answer: routing, provider settings, forwarded headers. Each is hashed apart. */
  route: readonly string[];
  /** The provider credential the request carries: hashed into the key, never kept. */
  credential?: string;
  body: Record<string, unknown>;
  /** The body as received: hashed as is when it is too large to canonicalise. */
  rawBody?: Buffer;
}

/**
 * The simple-cache key: the tenant, the endpoint, the routing identity, the credential, and the request
 * body minus fields that do not change the answer's content. A body too large to canonicalise is hashed
 * as sent, which only costs hits between bodies that differ in key order.
 */
export function simpleCacheKey(parts: CacheKeyParts): string {
  const hash = createHash('sha256').update(parts.tenant).update('\0').update(parts.op).update('\0');
  for (const r of parts.route) hash.update(r).update('\0');
  hash.update(parts.credential ?? '').update('\0');
  return hashBody(hash, parts).digest('hex');
}

/** Whether the answer streams changes its framing, not its content: one entry serves both. */
const NOT_CONTENT = new Set(['stream', 'stream_options']);

function hashBody(hash: Hash, parts: CacheKeyParts): Hash {
  const canonical = canonicalJson(parts.body, CANONICAL_MAX_NODES, NOT_CONTENT);
  if (canonical !== undefined) return hash.update('c').update(canonical);
  return hash.update('r').update(parts.rawBody ?? JSON.stringify(parts.body));
}
