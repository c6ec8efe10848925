/**
 * Conditional-routing queries in Portkey's syntax: field paths such as `metadata.plan`,
 * `params.model` or `url.pathname` (the request's path, e.g. "/v1/chat/completions"), compared with
 * $eq $ne $gt $gte $lt $lte $in $nin $regex, combined with $and / $or. A bare value means $eq.
 */
import { compileUserRegex, type UserRegex } from './user-regex.js';

export interface QueryContext {
  metadata: Record<string, unknown>;
  params: Record<string, unknown>;
  /** The request's URL: its path without the query string. */
  url?: { pathname: string };
}

const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$regex']);
const regexCache = new Map<string, UserRegex | null>();

function resolvePath(ctx: QueryContext, path: string): unknown {
  const parts = path.split('.');
  let cur: unknown = ctx;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function compare(actual: unknown, op: string, expected: unknown): boolean {
  switch (op) {
    case '$eq': return actual === expected;
    case '$ne': return actual !== expected;
    case '$gt': return typeof actual === typeof expected && (actual as number) > (expected as number);
    case '$gte': return typeof actual === typeof expected && (actual as number) >= (expected as number);
    case '$lt': return typeof actual === typeof expected && (actual as number) < (expected as number);
    case '$lte': return typeof actual === typeof expected && (actual as number) <= (expected as number);
    case '$in': return Array.isArray(expected) && expected.includes(actual);
    case '$nin': return Array.isArray(expected) && !expected.includes(actual);
    case '$regex': {
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      let re = regexCache.get(expected);
      if (re === undefined) {
        try {
          re = compileUserRegex(expected);
        } catch {
          re = null; // refused when the config was validated; a query built elsewhere just does not match
        }
        if (regexCache.size > 500) regexCache.clear();
        regexCache.set(expected, re);
      }
      // A value longer than the pattern may read (user-regex.ts) does not match, as a non-string does not.
      return re !== null && actual.length <= re.maxInputChars && re.test(actual);
    }
    default: return false;
  }
}

export function evaluateQuery(query: unknown, ctx: QueryContext): boolean {
  if (query === null || typeof query !== 'object' || Array.isArray(query)) return false;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (key === '$and') {
      if (!Array.isArray(value) || !value.every((q) => evaluateQuery(q, ctx))) return false;
    } else if (key === '$or') {
      if (!Array.isArray(value) || !value.some((q) => evaluateQuery(q, ctx))) return false;
    } else {
      const actual = resolvePath(ctx, key);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [op, expected] of Object.entries(value as Record<string, unknown>)) {
          if (!compare(actual, op, expected)) return false;
        }
      } else if (actual !== value) return false;
    }
  }
  return true;
}

/**
 * What is wrong with a condition's query, for config validation: an unknown operator, or a `$regex` that
 * compileUserRegex refuses. Undefined when nothing is.
 */
export function findQueryProblem(query: unknown): string | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (key.startsWith('$') && key !== '$and' && key !== '$or' && !OPERATORS.has(key)) return unknownOperator(key);
    if (!key.startsWith('$') && !FIELD.test(key)) return `unknown field ${JSON.stringify(key)}; a condition reads metadata.<key>, params.<name> or url.pathname`;
    if (Array.isArray(value)) {
      for (const q of value) {
        const bad = findQueryProblem(q);
        if (bad) return bad;
      }
    } else if (value && typeof value === 'object') {
      for (const op of Object.keys(value)) if (op.startsWith('$') && !OPERATORS.has(op)) return unknownOperator(op);
      const rule = (value as Record<string, unknown>).$regex;
      if (typeof rule === 'string') {
        try {
          compileUserRegex(rule);
        } catch (e) {
          return `${key}.$regex ${(e as Error).message}`;
        }
      }
    }
  }
  return undefined;
}

/** The fields a query may read, as Portkey names them. */
const FIELD = /^(?:metadata\.[^.]+|params\.[^$]+|url\.pathname)$/;

const unknownOperator = (op: string) => `unknown operator ${op}; use $eq $ne $gt $gte $lt $lte $in $nin $regex $and $or`;
