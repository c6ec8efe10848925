import type { IncomingHttpHeaders } from 'node:http';
import { badRequest } from '../errors.js';
import type { ChatChunk, ChatCompletion } from '../providers/types.js';

/**
 * Portkey's strict_open_ai_compliance (config root) and x-portkey-strict-open-ai-compliance (header,
 * which wins): when true, a chat completion translated from another provider carries only the fields
 * of OpenAI's schema; the provider's extras (reasoning_content, thinking_blocks, ...) are left out.
 */
const HEADER = 'x-portkey-strict-open-ai-compliance';

export function strictCompliance(headers: IncomingHttpHeaders, config: Record<string, unknown>): boolean {
  const raw = headers[HEADER];
  const v = (Array.isArray(raw) ? raw[0] : raw)?.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v !== undefined && v !== '') throw badRequest(`${HEADER} must be true or false`, HEADER, 'invalid_value');
  return config.strict_open_ai_compliance === true;
}

const COMPLETION_KEYS = new Set(['id', 'object', 'created', 'model', 'choices', 'usage', 'system_fingerprint', 'service_tier']);
const CHOICE_KEYS = new Set(['index', 'message', 'delta', 'finish_reason', 'logprobs']);
const MESSAGE_KEYS = new Set(['role', 'content', 'refusal', 'tool_calls', 'function_call', 'audio', 'annotations']);

function pick<T extends object>(obj: T, keys: Set<string>): T {
  let out: T | undefined;
  for (const k of Object.keys(obj)) {
    if (keys.has(k)) continue;
    out ??= { ...obj };
    delete (out as Record<string, unknown>)[k];
  }
  return out ?? obj;
}

/** The completion or chunk with only OpenAI's fields; the same object when it had nothing else. */
export function strictChat<T extends ChatCompletion | ChatChunk>(c: T): T {
  const top = pick(c, COMPLETION_KEYS);
  let changed = top !== c;
  const choices = c.choices.map((choice) => {
    const ch = pick(choice, CHOICE_KEYS) as Record<string, unknown>;
    const inner = (ch.message ?? ch.delta) as Record<string, unknown> | undefined;
    const picked = inner && pick(inner, MESSAGE_KEYS);
    if (ch === choice && picked === inner) return choice;
    changed = true;
    return { ...ch, ...('message' in ch ? { message: picked } : { delta: picked }) };
  });
  return changed ? ({ ...top, choices } as T) : c;
}
