/**
 * Checks that rewrite what they check, by Portkey's ids and parameters: default.regexReplace and
 * default.redact_pii replace text in the request's last message or the response's choice;
 * default.addPrefix adds a prefix to a chat or completions request. A rewrite is returned as new text
 * items (or a new body) and applied by the hook runner (guardrails/run.ts) before the request or
 * response goes on. Their data never holds the text found, only counts.
 */
import { compileUserRegex } from '../routing/user-regex.js';
import {
  CheckParameterError, flagOr, onlyKnown, optionalString, str, type CompiledCheck, type Params,
} from './check-types.js';
import { PII_CATEGORIES, scanPii, type PiiCategory } from './pii.js';

/** The checks that may rewrite: a hook holding one runs its checks in order, each on the last one's output. */
export const REWRITING_CHECKS = new Set(['default.regexReplace', 'default.redact_pii', 'default.addPrefix']);

export const MUTATING_CHECKS: Record<string, (p: Params) => CompiledCheck> = {
  'default.regexReplace': (p) => {
    onlyKnown(p, ['rule', 'redactText', 'failOnDetection']);
    const rule = str(p, 'rule');
    let re;
    try {
      re = compileUserRegex(rule);
    } catch (e) {
      throw new CheckParameterError('rule', (e as Error).message);
    }
    const redactText = optionalString(p, 'redactText') ?? '[REDACTED]';
    const failOnDetection = flagOr(p, 'failOnDetection', false);
    return ({ texts = [] }) => {
      // Nothing to rewrite (a reply that is only tool calls, say) is not a failure.
      if (!texts.some(Boolean)) return { verdict: true, data: { regexPattern: rule, matches: 0, explanation: 'there is no text to match' } };
      let matches = 0;
      const replaced = texts.map((t) => {
        if (!t) return t;
        const r = re.replace(t, () => redactText);
        matches += r.count;
        return r.text;
      });
      const verdict = !(failOnDetection && matches > 0);
      const explanation = matches
        ? `the pattern matched ${matches} time(s); each match was replaced with ${JSON.stringify(redactText)}`
        : 'the pattern did not match';
      return { verdict, data: { regexPattern: rule, matches, explanation }, ...(matches ? { texts: replaced } : {}) };
    };
  },

  'default.redact_pii': (p) => {
    onlyKnown(p, ['patterns', 'redact', 'failOnDetection']);
    const patterns = piiCategories(p.patterns);
    const redact = flagOr(p, 'redact', true);
    const failOnDetection = flagOr(p, 'failOnDetection', !redact);
    return ({ texts = [] }) => {
      const found: Partial<Record<PiiCategory, number>> = {};
      const replaced = texts.map((t) => {
        if (!t) return t;
        const scan = scanPii(t, patterns);
        for (const [k, n] of Object.entries(scan.found) as Array<[PiiCategory, number]>) found[k] = (found[k] ?? 0) + n;
        return scan.text;
      });
      const any = Object.keys(found).length > 0;
      return {
        verdict: !(failOnDetection && any),
        data: { patterns, found, redacted: redact && any },
        ...(redact && any ? { texts: replaced } : {}),
      };
    };
  },

  'default.addPrefix': (p) => {
    onlyKnown(p, ['prefix', 'applyToRole', 'addToExisting', 'onlyIfEmpty']);
    const prefix = str(p, 'prefix');
    const role = optionalString(p, 'applyToRole') ?? 'user';
    if (!['system', 'user', 'assistant', 'developer'].includes(role)) throw new CheckParameterError('applyToRole', 'must be "system", "user", "assistant" or "developer"');
    const addToExisting = flagOr(p, 'addToExisting', true);
    const onlyIfEmpty = flagOr(p, 'onlyIfEmpty', false);
    const settings = { prefix, applyToRole: role, addToExisting, onlyIfEmpty };
    return ({ event, requestType, request }) => {
      // Portkey's rule: a prefix goes on chat and completions requests only, before they are sent.
      if (event !== 'beforeRequestHook' || (requestType !== 'chatComplete' && requestType !== 'complete')) {
        return { verdict: true, data: { ...settings, requestType: requestType ?? null, applied: false, explanation: 'default.addPrefix applies to chat and completions requests, before they are sent' } };
      }
      const body = request as Record<string, unknown> | undefined;
      if (!body) throw new Error('the request has no JSON body');
      const next = requestType === 'complete' ? prefixPrompt(body, prefix) : prefixMessages(body, prefix, role, addToExisting, onlyIfEmpty);
      return { verdict: true, data: { ...settings, requestType, applied: next !== body }, ...(next !== body ? { body: next } : {}) };
    };
  },
};

function piiCategories(value: unknown): PiiCategory[] {
  if (value === undefined || value === null) return [...PII_CATEGORIES];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => (PII_CATEGORIES as readonly string[]).includes(v))) {
    throw new CheckParameterError('patterns', `must be a non-empty array of ${PII_CATEGORIES.join(', ')}`);
  }
  return value as PiiCategory[];
}

function prefixPrompt(body: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const prompt = body.prompt;
  if (typeof prompt === 'string') return { ...body, prompt: prefix + prompt };
  if (Array.isArray(prompt)) return { ...body, prompt: prompt.map((p) => (typeof p === 'string' ? prefix + p : p)) };
  return body;
}

/**
 * Portkey's placement: the first message of the role gets the prefix (or, with addToExisting false, a
 * new message of that role before it); with onlyIfEmpty, an existing message of the role is left
 * alone. With none of the role, a new one goes first (system) or last (other roles).
 */
function prefixMessages(body: Record<string, unknown>, prefix: string, role: string, addToExisting: boolean, onlyIfEmpty: boolean): Record<string, unknown> {
  const messages = Array.isArray(body.messages) ? [...(body.messages as Array<Record<string, unknown>>)] : [];
  const at = messages.findIndex((m) => m?.role === role);
  if (at >= 0) {
    if (onlyIfEmpty) return body;
    if (addToExisting) messages[at] = { ...messages[at], content: prefixContent(messages[at].content, prefix) };
    else messages.splice(at, 0, { role, content: prefix });
  } else if (role === 'system') messages.unshift({ role, content: prefix });
  else messages.push({ role, content: prefix });
  return { ...body, messages };
}

/** A string content gets the prefix in front; an array of parts gets it on its first text part (or a new one). */
function prefixContent(content: unknown, prefix: string): unknown {
  if (typeof content === 'string') return prefix + content;
  if (!Array.isArray(content)) return prefix;
  const first = content.findIndex((p) => p?.type === 'text' && typeof p.text === 'string');
  if (first < 0) return [{ type: 'text', text: prefix }, ...content];
  return content.map((p, i) => (i === first ? { ...p, text: prefix + p.text } : p));
}
