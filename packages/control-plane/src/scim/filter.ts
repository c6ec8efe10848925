import type { SqlValue } from '../db/types.js';
import { scimBad } from './errors.js';

/**
 * SCIM filters (RFC 7644 §3.4.2.2) as identity providers send them (`userName eq "a@b.c"`,
 * `externalId eq "…"`, `displayName eq "…"`, `members eq "…"`), turned into a SQL condition over
 * the columns a resource type declares. Supported: eq ne co sw ew gt ge lt le pr, and/or/not with
 * parentheses. Bounded: at most 1,000 characters, 20 comparisons and 8 levels of nesting.
 */
export const FILTER_MAX_CHARS = 1000;
const MAX_COMPARISONS = 20;
const MAX_DEPTH = 8;

export interface FilterColumn {
  /** A SQL expression; `?` is not allowed in it. */
  sql: string;
  type: 'string' | 'boolean' | 'date';
  caseExact: boolean;
}
/** Attribute (lower-case, schema URN stripped) → column, or a function for multi-valued membership tests. */
export type FilterColumns = Record<string, FilterColumn | { membership: (value: string) => { sql: string; params: SqlValue[] }; present: string }>;

export interface SqlCondition {
  sql: string;
  params: SqlValue[];
}

type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: '('; v: '(' } | { t: ')'; v: ')' };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(\()|(\))|([^\s()"]+))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < text.length && (m = re.exec(text))) {
    at = re.lastIndex;
    if (m[1] !== undefined) {
      try {
        out.push({ t: 'str', v: JSON.parse(m[1]) as string });
      } catch {
        throw scimBad(`filter: the string ${m[1].slice(0, 60)} is not a valid JSON string`, 'invalidFilter');
      }
    } else if (m[2]) out.push({ t: '(', v: '(' });
    else if (m[3]) out.push({ t: ')', v: ')' });
    else if (m[4]) out.push({ t: 'word', v: m[4] });
  }
  if (text.slice(at).trim() !== '') throw scimBad(`filter: cannot read "${text.slice(at, at + 40)}" (an unterminated string?)`, 'invalidFilter');
  return out;
}

const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function parseFilter(text: string, columns: FilterColumns, schemaUrn: string): SqlCondition {
  if (text.length > FILTER_MAX_CHARS) throw scimBad(`filter is ${text.length} characters; at most ${FILTER_MAX_CHARS} are accepted`, 'invalidFilter');
  const tokens = tokenize(text);
  let pos = 0;
  let comparisons = 0;
  const peekWord = () => (tokens[pos]?.t === 'word' ? tokens[pos].v.toLowerCase() : undefined);

  function attribute(raw: string): string {
    let a = raw;
    if (a.toLowerCase().startsWith(`${schemaUrn.toLowerCase()}:`)) a = a.slice(schemaUrn.length + 1);
    return a.toLowerCase();
  }

  function comparison(): SqlCondition {
    const attrTok = tokens[pos++];
    if (!attrTok || attrTok.t !== 'word') throw scimBad('filter: expected an attribute name such as userName', 'invalidFilter');
    if (attrTok.v.includes('[')) throw scimBad(`filter: value-path filters such as ${attrTok.v.slice(0, 40)} are not supported; use attribute.subAttribute`, 'invalidFilter');
    const opTok = tokens[pos++];
    const op = opTok?.t === 'word' ? opTok.v.toLowerCase() : undefined;
    if (!op || (op !== 'pr' && !OPS.has(op))) throw scimBad(`filter: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after ${attrTok.v.slice(0, 60)}`, 'invalidFilter');
    if (++comparisons > MAX_COMPARISONS) throw scimBad(`filter has more than ${MAX_COMPARISONS} comparisons`, 'invalidFilter');
    const name = attribute(attrTok.v);
    const col = Object.hasOwn(columns, name) ? columns[name] : undefined;
    if (!col) throw scimBad(`filter: attribute "${attrTok.v.slice(0, 60)}" cannot be filtered on here; use one of ${Object.keys(columns).join(', ')}`, 'invalidFilter');
    if (op === 'pr') {
      if ('membership' in col) return { sql: col.present, params: [] };
      return { sql: `(${col.sql} IS NOT NULL AND ${col.sql} <> '')`, params: [] };
    }
    const valTok = tokens[pos++];
    let value: string | boolean | null;
    if (valTok?.t === 'str') value = valTok.v;
    else if (valTok?.t === 'word' && /^(true|false)$/i.test(valTok.v)) value = valTok.v.toLowerCase() === 'true';
    else if (valTok?.t === 'word' && valTok.v.toLowerCase() === 'null') value = null;
    else throw scimBad(`filter: expected a quoted value after ${attrTok.v.slice(0, 60)} ${op}`, 'invalidFilter');
    if ('membership' in col) {
      if (op !== 'eq' || typeof value !== 'string') throw scimBad(`filter: ${attrTok.v} takes only eq "<id>"`, 'invalidFilter');
      return col.membership(value);
    }
    if (col.type === 'boolean') {
      if (typeof value !== 'boolean' || (op !== 'eq' && op !== 'ne')) throw scimBad(`filter: ${attrTok.v} is boolean; compare it with eq true or eq false`, 'invalidFilter');
      return { sql: `${col.sql} ${op === 'eq' ? '=' : '<>'} ?`, params: [value ? 1 : 0] };
    }
    if (value === null) {
      if (op !== 'eq' && op !== 'ne') throw scimBad(`filter: null compares only with eq or ne`, 'invalidFilter');
      return { sql: `${col.sql} IS ${op === 'eq' ? '' : 'NOT '}NULL`, params: [] };
    }
    if (typeof value !== 'string') throw scimBad(`filter: ${attrTok.v} takes a quoted string`, 'invalidFilter');
    const lhs = col.caseExact ? col.sql : `lower(${col.sql})`;
    const v = col.caseExact ? value : value.toLowerCase();
    switch (op) {
      case 'eq': return { sql: `${lhs} = ?`, params: [v] };
      case 'ne': return { sql: `(${col.sql} IS NULL OR ${lhs} <> ?)`, params: [v] };
      case 'co': return { sql: `${lhs} LIKE ? ESCAPE '\\'`, params: [`%${likeEscape(v)}%`] };
      case 'sw': return { sql: `${lhs} LIKE ? ESCAPE '\\'`, params: [`${likeEscape(v)}%`] };
      case 'ew': return { sql: `${lhs} LIKE ? ESCAPE '\\'`, params: [`%${likeEscape(v)}`] };
      default: {
        if (col.type !== 'date') throw scimBad(`filter: ${op} applies to dates (meta.created, meta.lastModified), not ${attrTok.v}`, 'invalidFilter');
        const d = new Date(value);
        if (Number.isNaN(d.getTime())) throw scimBad(`filter: "${value.slice(0, 40)}" is not a date-time`, 'invalidFilter');
        return { sql: `${col.sql} ${{ gt: '>', ge: '>=', lt: '<', le: '<=' }[op]} ?`, params: [d.toISOString()] };
      }
    }
  }

  function primary(depth: number): SqlCondition {
    if (depth > MAX_DEPTH) throw scimBad(`filter nests deeper than ${MAX_DEPTH} levels`, 'invalidFilter');
    if (peekWord() === 'not') {
      pos++;
      if (tokens[pos]?.t !== '(') throw scimBad('filter: "not" must be followed by a parenthesised filter', 'invalidFilter');
      const inner = primary(depth + 1);
      return { sql: `NOT (${inner.sql})`, params: inner.params };
    }
    if (tokens[pos]?.t === '(') {
      pos++;
      const inner = or(depth + 1);
      if (tokens[pos++]?.t !== ')') throw scimBad('filter: a "(" is not closed', 'invalidFilter');
      return { sql: `(${inner.sql})`, params: inner.params };
    }
    return comparison();
  }

  function and(depth: number): SqlCondition {
    const parts = [primary(depth)];
    while (peekWord() === 'and') {
      pos++;
      parts.push(primary(depth));
    }
    return { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
  }

  function or(depth: number): SqlCondition {
    const parts = [and(depth)];
    while (peekWord() === 'or') {
      pos++;
      parts.push(and(depth));
    }
    return parts.length === 1 ? parts[0] : { sql: parts.map((p) => `(${p.sql})`).join(' OR '), params: parts.flatMap((p) => p.params) };
  }

  if (tokens.length === 0) throw scimBad('filter is empty', 'invalidFilter');
  const cond = or(0);
  if (pos !== tokens.length) throw scimBad(`filter: unexpected "${String(tokens[pos].v).slice(0, 40)}"; join comparisons with and / or`, 'invalidFilter');
  return cond;
}
