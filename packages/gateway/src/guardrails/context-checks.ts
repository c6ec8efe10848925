/**
 * Built-in checks that read the request's context rather than its text: its type, its metadata, its
 * model against rules, and whether there is any text at all; plus default.log, which sends what it saw
 * to a URL and never blocks. Portkey's plugin ids and parameter names.
 */
import type { CheckInput, CompiledCheck } from './checks.js';

type Params = Record<string, unknown>;

/** A parameter fault, relative to the check's `parameters` ('' for the check itself). */
export class ContextCheckParameterError extends Error {
  constructor(readonly where: string, message: string) {
    super(message);
  }
}

/** Portkey's request type names for the gateway's operations. */
export const REQUEST_TYPES: Record<string, string> = {
  chat: 'chatComplete', completions: 'complete', embeddings: 'embed', messages: 'messages', responses: 'createModelResponse', passthrough: 'proxy',
};

function typeList(p: Params, key: string): string[] {
  const v = p[key];
  if (v === undefined || v === null || v === '') return [];
  const list = typeof v === 'string' ? v.split(',').map((t) => t.trim()).filter(Boolean) : v;
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' && t !== '')) {
    throw new ContextCheckParameterError(key, 'must be an array of request types (or a comma-separated string), e.g. ["chatComplete","embed"]');
  }
  return list as string[];
}

function listFromMetadata(metadata: Record<string, string> | undefined, key: string): string[] {
  const v = metadata?.[key];
  return v ? v.split(',').map((t) => t.trim()).filter(Boolean) : [];
}

const notFlag = (p: Params): boolean => {
  if (p.not === undefined || p.not === null) return false;
  if (typeof p.not !== 'boolean') throw new ContextCheckParameterError('not', 'must be true or false');
  return p.not;
};

export const CONTEXT_CHECKS: Record<string, (p: Params) => CompiledCheck> = {
  /** Allow- and blocklists of request types; from the metadata's supported_endpoints / blocked_endpoints when not given. */
  'default.allowedRequestTypes': (p) => {
    const allowedParam = typeList(p, 'allowedTypes');
    const blockedParam = typeList(p, 'blockedTypes');
    const both = allowedParam.filter((t) => blockedParam.includes(t));
    if (both.length) throw new ContextCheckParameterError('blockedTypes', `lists ${both.join(', ')}, which allowedTypes lists too; keep each type in one list`);
    return ({ requestType, metadata }) => {
      const allowed = allowedParam.length ? allowedParam : listFromMetadata(metadata, 'supported_endpoints');
      const blocked = blockedParam.length ? blockedParam : listFromMetadata(metadata, 'blocked_endpoints');
      const type = requestType ?? 'unknown';
      const verdict = !blocked.includes(type) && (allowed.length === 0 || allowed.includes(type));
      return { verdict, data: { currentRequestType: type, allowedTypes: allowed.length ? allowed : ['all'], ...(blocked.length ? { blockedTypes: blocked } : {}) } };
    };
  },
  /** Metadata keys the request must carry: any, all or none of them. */
  'default.requiredMetadataKeys': (p) => {
    const keys = p.metadataKeys;
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && k !== '')) {
      throw new ContextCheckParameterError('metadataKeys', 'is required: a non-empty array of metadata key names');
    }
    const op = p.operator ?? 'all';
    if (op !== 'all' && op !== 'any' && op !== 'none') throw new ContextCheckParameterError('operator', 'must be "all", "any" or "none"');
    return ({ metadata, event }) => {
      if (event === 'afterRequestHook') throw new Error('default.requiredMetadataKeys checks requests: put it in before_request_hooks or input_guardrails');
      const found = (keys as string[]).filter((k) => metadata !== undefined && k in metadata);
      const missing = (keys as string[]).filter((k) => !found.includes(k));
      const verdict = op === 'any' ? found.length > 0 : op === 'all' ? missing.length === 0 : found.length === 0;
      return { verdict, data: { operator: op, found_metadata_keys: found, missing_metadata_keys: missing } };
    };
  },
  /** The models allowed for the request's metadata (rules.metadata[key][value]), else rules.defaults. */
  'default.modelRules': (p) => {
    const rules = p.rules;
    if (!rules || typeof rules !== 'object' || Array.isArray(rules)) throw new ContextCheckParameterError('rules', 'is required: {"defaults": [models], "metadata": {"key": {"value": [models]}}}');
    const { defaults = [], metadata: byKey = {} } = rules as { defaults?: unknown; metadata?: unknown };
    if (!Array.isArray(defaults) || !defaults.every((m) => typeof m === 'string')) throw new ContextCheckParameterError('rules.defaults', 'must be an array of model names');
    if (!byKey || typeof byKey !== 'object' || Array.isArray(byKey)) throw new ContextCheckParameterError('rules.metadata', 'must map metadata keys to {value: [models]}');
    const not = notFlag(p);
    return ({ model, metadata }) => {
      const matched = new Set<string>();
      const rulesMatched: string[] = [];
      for (const [key, mapping] of Object.entries(byKey as Record<string, unknown>)) {
        const value = metadata?.[key];
        const models = value !== undefined && mapping && typeof mapping === 'object' ? (mapping as Record<string, unknown>)[value] : undefined;
        if (!Array.isArray(models)) continue;
        rulesMatched.push(`${key}:${value}`);
        for (const m of models) if (typeof m === 'string') matched.add(m);
      }
      const allowed = matched.size ? [...matched] : (defaults as string[]);
      if (allowed.length === 0) throw new Error('no rule matched the request metadata and rules.defaults is empty');
      const listed = model !== undefined && allowed.includes(model);
      return { verdict: not ? !listed : listed, data: { model: model ?? null, matched_rules: rulesMatched, ...(not ? { not: true } : {}) } };
    };
  },
  /** The text is not empty (a response with no content fails). */
  'default.notNull': (p) => {
    const not = notFlag(p);
    return ({ text }) => {
      const present = text.trim() !== '';
      return { verdict: not ? !present : present, data: { empty: !present } };
    };
  },
};

/**
 * What default.webhook and default.log send (Portkey's shape): the request, or the response after the
 * request, with the text the hook judged, the event and the request's metadata.
 */
export function hookPayload(input: CheckInput): Record<string, unknown> {
  const after = input.event === 'afterRequestHook';
  return {
    request: { json: input.request ?? null, text: after ? null : input.text },
    response: { json: after ? input.response ?? null : null, text: after ? input.text : null },
    eventType: input.event ?? 'beforeRequestHook',
    metadata: input.metadata ?? {},
  };
}

/** default.log: posts what the hook saw to logURL, through the same guarded client as default.webhook; never blocks. */
export function compileLog(p: Params, url: (p: Params, key: string) => string, headers: (v: unknown) => Record<string, string>, timeoutMs: number): CompiledCheck {
  const logURL = url(p, 'logURL');
  const logHeaders = headers(p.headers);
  return async (input) => {
    if (!input.postWebhook) throw new Error('default.log has no HTTP client here');
    const payload = hookPayload(input);
    try {
      await input.postWebhook(logURL, logHeaders, payload, timeoutMs);
      return { verdict: true, data: { logged: true } };
    } catch (e) {
      // Logging is a side channel: a log endpoint that fails never fails the request.
      return { verdict: true, data: { logged: false, error: (e as Error).message } };
    }
  };
}
