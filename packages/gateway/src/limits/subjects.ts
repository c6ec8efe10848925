/** Who a request's limits apply to, and a cheap token estimate to reserve before the call. */
import type { GatewayKey, VirtualKey } from '../entities/types.js';
import type { LimitRule, LimitSubject } from './types.js';

export interface LimitSubjectsInput {
  key?: GatewayKey;
  virtualKey?: VirtualKey;
  /** metadata._user of the request. */
  user?: string;
  /** EntityStore.userLimits(user): the user's own rules, or the '*' rules. */
  userRules?: LimitRule[];
  /** The requesting tenant, which a user's counters belong to. */
  tenant?: string;
}

/** Subjects with at least one rule, in a stable order: gateway key, virtual key, user. */
export function limitSubjectsFor(input: LimitSubjectsInput): LimitSubject[] {
  const out: LimitSubject[] = [];
  if (input.key?.limits?.length) out.push({ scope: 'key', id: input.key.id, rules: input.key.limits });
  if (input.virtualKey?.limits?.length) out.push({ scope: 'vk', id: input.virtualKey.slug, rules: input.virtualKey.limits });
  if (input.user && input.userRules?.length) out.push({ scope: 'user', id: input.user, rules: input.userRules, tenant: input.tenant });
  return out;
}

/** Output tokens reserved when the request sets no max_tokens; settle() corrects it afterwards. */
export const DEFAULT_OUTPUT_TOKENS = 256;

const MAX_TOKENS_FIELDS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens', 'maxTokens', 'max_tokens_to_sample'] as const;
const QUOTED_FIELDS = MAX_TOKENS_FIELDS.map((f) => Buffer.from(`"${f}"`));

/** The integer after "field": in raw JSON, found with Buffer.indexOf (no decode, no parse). */
function scanMaxTokens(buf: Buffer): number | undefined {
  for (const name of QUOTED_FIELDS) {
    let i = buf.indexOf(name);
    if (i < 0) continue;
    i += name.length;
    while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09 || buf[i] === 0x3a)) i++;
    let n = 0;
    let digits = 0;
    while (i < buf.length && buf[i] >= 0x30 && buf[i] <= 0x39 && digits < 12) n = n * 10 + (buf[i++] - 0x30), digits++;
    if (digits) return n;
  }
  return undefined;
}

/**
 * Tokens to reserve: about one per four bytes of input plus the requested output ceiling. Raw
 * bodies are scanned for the max-tokens field without decoding or parsing them.
 */
export function estimateTokens(body: Buffer | string | Record<string, unknown> | null | undefined, defaultOutputTokens = DEFAULT_OUTPUT_TOKENS): number {
  if (body == null) return defaultOutputTokens;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    return Math.ceil(buf.length / 4) + (scanMaxTokens(buf) ?? defaultOutputTokens);
  }
  let output = defaultOutputTokens;
  for (const f of MAX_TOKENS_FIELDS) {
    const v = body[f];
    if (typeof v === 'number' && v >= 0) {
      output = v;
      break;
    }
  }
  return Math.ceil(JSON.stringify(body).length / 4) + output;
}
