/**
 * The built-in guardrail checks, by Portkey's plugin ids (`default.*`) and parameter names, so configs
 * written for Portkey run unchanged. Each check is compiled once per config (parameters validated,
 * regexes built) and then runs as a pure function of the text it checks.
 */
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import { tryParseJson } from '../providers/upstream-error.js';
import { compileUserRegex, type UserRegex } from '../routing/user-regex.js';
import { parseHttpUrl } from '../upstream/egress-policy.js';
import { compileLog, CONTEXT_CHECKS, ContextCheckParameterError, hookPayload } from './context-checks.js';
import { MUTATING_CHECKS } from './mutating-checks.js';
import { NETWORK_CHECKS } from './network-checks.js';
import {
  bool, CheckParameterError, onlyKnown, num, str, strings, WebhookTimeoutError,
  type CheckInput, type CheckOutcome, type CompiledCheck, type Params, type WebhookPoster,
} from './check-types.js';

export { CheckParameterError, WebhookTimeoutError };
export type { CheckInput, CheckOutcome, CompiledCheck, WebhookPoster };

function operator(p: Params): 'any' | 'all' | 'none' {
  const v = p.operator ?? 'any';
  if (v !== 'any' && v !== 'all' && v !== 'none') throw new CheckParameterError('operator', 'must be "any", "all" or "none"');
  return v;
}

function range(p: Params, min: string, max: string): [number, number] {
  const lo = num(p, min) ?? 0;
  const hi = num(p, max) ?? Number.POSITIVE_INFINITY;
  if (lo > hi) throw new CheckParameterError(min, `must not exceed ${max}`);
  return [lo, hi];
}

/** `not: true` inverts a check; the data says so. */
const invert = (outcome: CheckOutcome, not: boolean): CheckOutcome =>
  not ? { verdict: !outcome.verdict, data: { ...outcome.data, not: true } } : outcome;

function byOperator(found: string[], all: string[], op: 'any' | 'all' | 'none'): boolean {
  if (op === 'any') return found.length > 0;
  if (op === 'all') return found.length === all.length;
  return found.length === 0;
}

const words = (text: string) => text.split(/\s+/).filter(Boolean);

function compileRule(rule: string): UserRegex {
  try {
    return compileUserRegex(rule);
  } catch (e) {
    throw new CheckParameterError('rule', (e as Error).message);
  }
}

const COMPILERS: Record<string, (p: Params) => CompiledCheck> = {
  'default.regexMatch': (p) => {
    const rule = str(p, 'rule');
    const re = compileRule(rule);
    const not = bool(p, 'not');
    return ({ text }) => {
      // A text past the pattern's bound throws: the check fails with that error, whatever `not` says.
      const matched = re.test(text);
      return invert({ verdict: matched, data: { rule, matched } }, not);
    };
  },
  'default.contains': (p) => {
    const list = strings(p, 'words');
    const op = operator(p);
    return ({ text }) => {
      const lower = text.toLowerCase();
      const found = list.filter((w) => lower.includes(w.toLowerCase()));
      return { verdict: byOperator(found, list, op), data: { operator: op, found } };
    };
  },
  'default.wordCount': (p) => {
    const [lo, hi] = range(p, 'minWords', 'maxWords');
    const not = bool(p, 'not');
    return ({ text }) => {
      const count = words(text).length;
      return invert({ verdict: count >= lo && count <= hi, data: { count, minWords: lo, maxWords: hi } }, not);
    };
  },
  'default.sentenceCount': (p) => {
    const [lo, hi] = range(p, 'minSentences', 'maxSentences');
    const not = bool(p, 'not');
    return ({ text }) => {
      const count = text.split(/[.!?]+(?:\s|$)/).filter((s) => s.trim() !== '').length;
      return invert({ verdict: count >= lo && count <= hi, data: { count, minSentences: lo, maxSentences: hi } }, not);
    };
  },
  'default.characterCount': (p) => {
    const [lo, hi] = range(p, 'minCharacters', 'maxCharacters');
    const not = bool(p, 'not');
    return ({ text }) => {
      const count = [...text].length;
      return invert({ verdict: count >= lo && count <= hi, data: { count, minCharacters: lo, maxCharacters: hi } }, not);
    };
  },
  'default.endsWith': (p) => {
    const suffix = str(p, 'suffix');
    const not = bool(p, 'not');
    return ({ text }) => invert({ verdict: text.trimEnd().endsWith(suffix), data: { suffix } }, not);
  },
  'default.alllowercase': (p) => {
    const not = bool(p, 'not');
    return ({ text }) => invert({ verdict: text === text.toLowerCase(), data: {} }, not);
  },
  'default.alluppercase': (p) => {
    const not = bool(p, 'not');
    return ({ text }) => invert({ verdict: text === text.toUpperCase(), data: {} }, not);
  },
  'default.jsonKeys': (p) => {
    const keys = strings(p, 'keys');
    const op = operator(p);
    return ({ text }) => {
      const json = firstJsonObject(text);
      if (!json) return { verdict: false, data: { operator: op, found: [], explanation: 'the text holds no JSON object' } };
      const found = keys.filter((k) => Object.prototype.hasOwnProperty.call(json, k));
      return { verdict: byOperator(found, keys, op), data: { operator: op, found } };
    };
  },
  'default.containsCode': (p) => {
    const format = str(p, 'format');
    const tags = CODE_FORMATS[format];
    if (!tags) throw new CheckParameterError('format', `must be one of ${Object.keys(CODE_FORMATS).join(', ')}`);
    const not = bool(p, 'not');
    return ({ text }) => {
      const found = [...text.matchAll(/```([^\s`]+)[^\n]*\n/g)].map((m) => m[1].toLowerCase());
      return invert({ verdict: found.some((t) => tags.includes(t)), data: { format, found_tags: found } }, not);
    };
  },
  'default.jsonSchema': (p) => {
    const validate = compileSchema(p.schema);
    const not = bool(p, 'not');
    return ({ text }) => {
      const json = firstJson(text);
      if (json === undefined) return invert({ verdict: false, data: { explanation: 'the text holds no JSON' } }, not);
      const valid = validate(json.value) === true;
      const errors = valid ? [] : (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
      return invert({ verdict: valid, data: { errors } }, not);
    };
  },
  'default.webhook': (p) => {
    const url = webhookUrl(p);
    const headers = webhookHeaders(p.headers);
    const timeoutMs = Math.min(num(p, 'timeout') ?? WEBHOOK_TIMEOUT_MS, WEBHOOK_TIMEOUT_MAX_MS);
    return async (input) => {
      if (!input.postWebhook) throw new Error('default.webhook has no HTTP client here');
      const payload = hookPayload(input);
      let answer: unknown;
      try {
        answer = await input.postWebhook(url, headers, payload, timeoutMs);
      } catch (e) {
        // Portkey's rule: a webhook that does not answer in time lets the request pass.
        if (e instanceof WebhookTimeoutError) return { verdict: true, data: { webhook_timed_out: true, timeout_ms: timeoutMs } };
        throw e;
      }
      const reply = answer as { verdict?: unknown; data?: unknown } | null;
      if (typeof reply?.verdict !== 'boolean') throw new Error('the webhook answered without a boolean "verdict"; it must answer {"verdict": true|false, "data": ...}');
      return { verdict: reply.verdict, data: { webhook: reply.data ?? null } };
    };
  },
  'default.log': (p) => compileLog(p, (q, key) => webhookUrl(q, key), webhookHeaders, WEBHOOK_TIMEOUT_MS),
  ...CONTEXT_CHECKS,
  ...MUTATING_CHECKS,
  ...NETWORK_CHECKS,
  'default.modelWhitelist': (p) => {
    const models = strings(p, 'models');
    const not = bool(p, 'not');
    return ({ model }) => invert({ verdict: model !== undefined && models.includes(model), data: { model: model ?? null } }, not);
  },
};

/** Portkey's webhook timeout, and the most a config may raise it to: the request waits on it. */
const WEBHOOK_TIMEOUT_MS = 3000;
const WEBHOOK_TIMEOUT_MAX_MS = 30_000;

/** Its shape is checked once, here; the addresses it may reach, at each call (guardrails/webhook.ts). */
function webhookUrl(p: Params, key = 'webhookURL'): string {
  const raw = str(p, key);
  const url = parseHttpUrl(raw);
  if (typeof url === 'string') throw new CheckParameterError(key, url);
  return raw;
}

/** `headers`: an object of strings, or the same as a JSON string (Portkey accepts both). */
function webhookHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  const parsed = typeof value === 'string' ? tryParseJson(value) : value;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new CheckParameterError('headers', 'must be an object of strings, e.g. {"Authorization": "Bearer ..."}');
  }
  return parsed as Record<string, string>;
}

/** Portkey's code formats, and the fence tags (```py) that mark each. */
const CODE_FORMATS: Record<string, string[]> = {
  SQL: ['sql'], Python: ['py', 'python'], TypeScript: ['ts', 'typescript', 'tsx'], JavaScript: ['js', 'javascript', 'jsx'],
  Java: ['java'], 'C#': ['cs', 'csharp', 'c#'], 'C++': ['cpp', 'c++', 'cxx'], C: ['c'], Ruby: ['rb', 'ruby'], PHP: ['php'],
  Swift: ['swift'], Kotlin: ['kt', 'kotlin'], Go: ['go', 'golang'], Rust: ['rs', 'rust'], Scala: ['scala'], R: ['r'],
  Perl: ['pl', 'perl'], Shell: ['sh', 'bash', 'shell', 'zsh'], HTML: ['html'], CSS: ['css'], XML: ['xml'], JSON: ['json'],
  YAML: ['yml', 'yaml'], Markdown: ['md', 'markdown'], Dockerfile: ['dockerfile'],
};

/**
 * The parameters of the checks defined in this file and context-checks.ts (the others refuse unknown
 * ones themselves): anything else is refused by name, never ignored.
 */
const KNOWN_PARAMETERS: Record<string, readonly string[]> = {
  'default.regexMatch': ['rule', 'not'],
  'default.contains': ['words', 'operator'],
  'default.wordCount': ['minWords', 'maxWords', 'not'],
  'default.sentenceCount': ['minSentences', 'maxSentences', 'not'],
  'default.characterCount': ['minCharacters', 'maxCharacters', 'not'],
  'default.endsWith': ['suffix', 'not'],
  'default.alllowercase': ['not'],
  'default.alluppercase': ['not'],
  'default.jsonKeys': ['keys', 'operator'],
  'default.containsCode': ['format', 'not'],
  'default.jsonSchema': ['schema', 'not'],
  'default.webhook': ['webhookURL', 'headers', 'timeout'],
  'default.log': ['logURL', 'headers'],
  'default.allowedRequestTypes': ['allowedTypes', 'blockedTypes'],
  'default.requiredMetadataKeys': ['metadataKeys', 'operator'],
  'default.modelRules': ['rules', 'not'],
  'default.notNull': ['not'],
  'default.modelWhitelist': ['models', 'not'],
};

/**
 * Checks that compile part of their parameters to code (a JSON Schema becomes a validator function):
 * accepted in saved configs, which operators write, never in inline ones, which any client can send.
 */
const TRUSTED_ONLY = new Set(['default.jsonSchema']);

export const BUILT_IN_CHECKS = Object.keys(COMPILERS);

/** Compiles one check; throws CheckParameterError (where '' is the check id) on anything it cannot run. */
export function compileCheck(id: string, parameters: unknown, trusted = false): CompiledCheck {
  const compile = COMPILERS[id];
  if (!compile) {
    throw new CheckParameterError('', `unknown check ${JSON.stringify(id)}; the built-in checks are ${BUILT_IN_CHECKS.join(', ')}`);
  }
  if (TRUSTED_ONLY.has(id) && !trusted) {
    throw new CheckParameterError('', `${id} compiles its schema to code, so it runs only in saved configs (the entities file); save this config and send its id in x-portkey-config`);
  }
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))) {
    throw new CheckParameterError('parameters', 'must be an object');
  }
  try {
    const known = KNOWN_PARAMETERS[id];
    if (known) onlyKnown((parameters ?? {}) as Params, known);
    return compile((parameters ?? {}) as Params);
  } catch (e) {
    if (e instanceof ContextCheckParameterError) throw new CheckParameterError(e.where, e.message);
    throw e;
  }
}

/** The first JSON object in the text: the whole text, or a fenced or embedded {...} block. */
function firstJsonObject(text: string): Record<string, unknown> | undefined {
  const json = firstJson(text);
  return json && json.value && typeof json.value === 'object' && !Array.isArray(json.value) ? (json.value as Record<string, unknown>) : undefined;
}

/** The first JSON value in the text: the whole text, a fenced block, or an embedded {...} or [...]. */
function firstJson(text: string): { value: unknown } | undefined {
  const candidates = [text.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced) candidates.push(fenced[1].trim());
  for (const [open, close] of [['{', '}'], ['[', ']']]) {
    const start = text.indexOf(open);
    const end = text.lastIndexOf(close);
    if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  }
  for (const c of candidates) {
    const value = tryParseJson(c);
    if (value !== undefined) return { value };
  }
  return undefined;
}

const MAX_SCHEMA_BYTES = 64 * 1024;

/** ajv's RegExp engine hook: a schema's patterns compiled by compileUserRegex; a text too long does not match. */
const re2Engine = Object.assign((pattern: string) => {
  const re = compileUserRegex(pattern);
  return { test: (s: string) => s.length <= re.maxInputChars && re.test(s) };
}, { code: 'compileUserRegex' });
let ajv: Ajv | undefined;

function compileSchema(schema: unknown): ValidateFunction {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw new CheckParameterError('schema', 'is required: a JSON Schema object');
  if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) throw new CheckParameterError('schema', `is larger than ${MAX_SCHEMA_BYTES / 1024} kB`);
  if (!ajv) {
    // Loaded on first use (about 9 MB and 50 ms): most gateways never see a schema.
    const require = createRequire(import.meta.url);
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
    const addFormats = require('ajv-formats') as (a: Ajv) => Ajv;
    // Schema patterns (pattern, patternProperties) run on RE2 too, like every regex a config brings.
    ajv = new AjvClass({ strict: false, allErrors: false, code: { regExp: re2Engine } });
    addFormats(ajv);
  }
  try {
    return ajv.compile(schema);
  } catch (e) {
    throw new CheckParameterError('schema', `is not a valid JSON Schema (${(e as Error).message})`);
  }
}
