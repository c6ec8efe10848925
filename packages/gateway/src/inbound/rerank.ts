import { badRequest } from '../errors.js';
import { renderOpenAIError } from './openai-chat.js';
import type { InboundApi } from './types.js';

/** Bounds that keep one rerank request from fanning out without limit. */
const MAX_DOCUMENTS = 1000;

const FIELDS: Record<string, (v: unknown) => string | undefined> = {
  model: (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string'),
  query: (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string'),
  documents: (v) => {
    if (!Array.isArray(v) || v.length === 0) return 'must be a non-empty array of strings or objects with "text"';
    if (v.length > MAX_DOCUMENTS) return `may hold at most ${MAX_DOCUMENTS} documents`;
    const bad = v.findIndex((d) => typeof d !== 'string' && (d === null || typeof d !== 'object' || Array.isArray(d)));
    return bad === -1 ? undefined : `[${bad}] must be a string or an object`;
  },
  top_n: (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : 'must be a whole number ≥ 1'),
  return_documents: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  max_tokens_per_doc: (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : 'must be a whole number ≥ 1'),
  priority: (v) => (typeof v === 'number' ? undefined : 'must be a number'),
  rank_fields: (v) => (Array.isArray(v) && v.every((f) => typeof f === 'string') ? undefined : 'must be an array of strings'),
  truncation: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  parameters: (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'must be an object'),
};

/** Checks a body against Portkey's CreateRerankRequest: required fields, types, and no unknown field. */
export function validateRerankRequest(body: Record<string, unknown>): void {
  for (const key in body) {
    const check = FIELDS[key];
    if (!check) throw badRequest(`Unknown field "${key}" in a rerank request; allowed: ${Object.keys(FIELDS).join(', ')}`, key, 'unsupported_parameter');
    const problem = body[key] === undefined ? undefined : check(body[key]);
    if (problem) throw badRequest(`${key} ${problem}`, key);
  }
  for (const required of ['model', 'query', 'documents']) {
    if (body[required] === undefined) throw badRequest(`${required} is required in a rerank request`, required, 'missing_parameter');
  }
}

/** Portkey's POST /v1/rerank inbound: translated per provider (providers/<id>/rerank.ts). */
export const rerankApi: InboundApi = {
  op: 'rerank',
  validate: validateRerankRequest,
  renderError: renderOpenAIError,
  isStream: () => false,
  modelOf: (body) => (typeof body?.model === 'string' ? body.model : undefined),
};
