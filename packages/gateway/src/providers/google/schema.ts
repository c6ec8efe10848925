/**
 * JSON Schema → the OpenAPI 3.0 subset that Gemini accepts in functionDeclarations.parameters and
 * generationConfig.responseSchema (google.ai.generativelanguage.v1beta.Schema). Gemini rejects every
 * keyword outside that subset with 400 INVALID_ARGUMENT, so we translate what has an equivalent,
 * drop what only constrains (additionalProperties, $schema...), and reject what cannot be expressed
 * (recursive or remote $ref) with a 400 that names the place.
 */
import { percentDecoded } from '../../percent-decoding.js';
import { badRequest } from '../../errors.js';
import type { JsonObject } from '../types.js';

export type GeminiType = 'STRING' | 'NUMBER' | 'INTEGER' | 'BOOLEAN' | 'ARRAY' | 'OBJECT' | 'NULL';

export interface GeminiSchema {
  type?: GeminiType;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: GeminiSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  minProperties?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  example?: unknown;
  default?: unknown;
  anyOf?: GeminiSchema[];
  propertyOrdering?: string[];
}

const TYPES: Record<string, GeminiType> = {
  string: 'STRING', number: 'NUMBER', integer: 'INTEGER', boolean: 'BOOLEAN', array: 'ARRAY', object: 'OBJECT', null: 'NULL',
};

/** Formats Gemini honours per type; any other format is dropped (it would only be ignored or rejected). */
const FORMATS: Partial<Record<GeminiType, readonly string[]>> = {
  STRING: ['enum', 'date-time'],
  NUMBER: ['float', 'double'],
  INTEGER: ['int32', 'int64'],
};

const INT_KEYS = ['minItems', 'maxItems', 'minProperties', 'maxProperties', 'minLength', 'maxLength'] as const;
const MAX_DEPTH = 48;

interface Ctx {
  root: JsonObject;
  where: string;
  refStack: string[];
}

/**
 * Sanitises `schema` (a JSON Schema) for Gemini. `where` names the request field for error messages,
 * e.g. "tools[0].function.parameters". Throws a 400 GatewayError for what Gemini cannot express.
 */
export function toGeminiSchema(schema: unknown, where: string): GeminiSchema {
  if (!isObject(schema)) throw badRequest(`${where} must be a JSON Schema object; got ${describe(schema)}.`, where);
  return convert(schema, { root: schema, where, refStack: ['#'] }, where, 0);
}

function convert(input: JsonObject, ctx: Ctx, path: string, depth: number): GeminiSchema {
  if (depth > MAX_DEPTH) throw badRequest(`${path} nests deeper than ${MAX_DEPTH} levels; Gemini cannot take a schema this deep. Flatten it.`, ctx.where);
  let s = input;
  if (typeof s.$ref === 'string') return convertRef(s, ctx, path, depth);
  s = mergeAllOf(s, ctx, path);

  const out: GeminiSchema = {};
  if (typeof s.title === 'string') out.title = s.title;
  if (typeof s.description === 'string') out.description = s.description;

  // Union forms: anyOf / oneOf, and type arrays. A null member becomes `nullable`.
  const union = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined) as unknown[] | undefined;
  if (union) {
    const branches: GeminiSchema[] = [];
    let nullable = false;
    union.forEach((b, i) => {
      if (!isObject(b)) throw badRequest(`${path}.anyOf[${i}] must be a schema object.`, ctx.where);
      if (b.type === 'null' && Object.keys(b).every((k) => k === 'type' || k === 'description' || k === 'title')) nullable = true;
      else branches.push(convert(b, ctx, `${path}.anyOf[${i}]`, depth + 1));
    });
    const rest = withoutKeys(s, ['anyOf', 'oneOf']);
    const base = Object.keys(rest).some((k) => k !== 'title' && k !== 'description') ? convert(rest, ctx, path, depth + 1) : {};
    if (branches.length === 1) Object.assign(out, branches[0], stripEmpty(base));
    else if (branches.length > 1) Object.assign(out, stripEmpty(base), { anyOf: branches });
    if (typeof s.description === 'string') out.description = s.description;
    if (nullable) out.nullable = true;
    return out;
  }

  let type = schemaType(s, path, ctx);
  if (type === 'NULL_OR') type = undefined;
  if (Array.isArray(s.type)) {
    const names = (s.type as unknown[]).filter((t): t is string => typeof t === 'string');
    const nonNull = names.filter((t) => t !== 'null');
    if (nonNull.length < names.length) out.nullable = true;
    if (nonNull.length > 1) {
      // ["string","number"]: one branch per type, each keeping the constraints that apply to it.
      out.anyOf = nonNull.map((t, i) => convert({ ...withoutKeys(s, ['title', 'description']), type: t }, ctx, `${path}.type[${i}]`, depth + 1));
      return out;
    }
  }
  if (type) out.type = type;

  // const and enum: Gemini enums are strings only.
  let values: unknown[] | undefined = 'const' in s ? [s.const] : Array.isArray(s.enum) ? (s.enum as unknown[]) : undefined;
  if (values) {
    if (values.includes(null)) {
      out.nullable = true;
      values = values.filter((v) => v !== null);
    }
    if (values.every((v) => typeof v === 'string')) {
      out.enum = values as string[];
      out.type ??= 'STRING';
    } else {
      // Numeric or mixed enums cannot be expressed; keep the constraint as guidance in the description.
      const note = `Allowed values: ${values.map((v) => JSON.stringify(v)).join(', ')}.`;
      out.description = out.description ? `${out.description} ${note}` : note;
      out.type ??= inferFromValues(values);
    }
  }

  if (typeof s.format === 'string' && out.type && FORMATS[out.type]?.includes(s.format)) out.format = s.format;
  if (typeof s.pattern === 'string') out.pattern = s.pattern;
  for (const k of INT_KEYS) if (typeof s[k] === 'number' && Number.isInteger(s[k])) out[k] = s[k] as number;
  if (typeof s.minimum === 'number') out.minimum = s.minimum;
  if (typeof s.maximum === 'number') out.maximum = s.maximum;
  if (out.minimum === undefined && typeof s.exclusiveMinimum === 'number') out.minimum = s.exclusiveMinimum;
  if (out.maximum === undefined && typeof s.exclusiveMaximum === 'number') out.maximum = s.exclusiveMaximum;
  if ('default' in s && s.default !== undefined) out.default = s.default;
  if ('example' in s) out.example = s.example;
  else if (Array.isArray(s.examples) && s.examples.length) out.example = s.examples[0];

  if (isObject(s.properties)) {
    const props: Record<string, GeminiSchema> = {};
    for (const [name, sub] of Object.entries(s.properties)) {
      if (sub === true || (isObject(sub) && Object.keys(sub).length === 0)) {
        throw badRequest(`${path}.properties.${name} accepts any value; Gemini needs a type for every property. Give it one (for example {"type":"string"}).`, ctx.where);
      }
      if (!isObject(sub)) throw badRequest(`${path}.properties.${name} must be a schema object.`, ctx.where);
      props[name] = convert(sub, ctx, `${path}.properties.${name}`, depth + 1);
    }
    if (Object.keys(props).length) out.properties = props;
    if (Array.isArray(s.required)) {
      // Gemini rejects required names that are not declared properties.
      const req = (s.required as unknown[]).filter((r): r is string => typeof r === 'string' && r in props);
      if (req.length) out.required = [...new Set(req)];
    }
    if (Array.isArray(s.propertyOrdering)) out.propertyOrdering = (s.propertyOrdering as unknown[]).filter((p): p is string => typeof p === 'string' && p in props);
  }
  if (isObject(s.items)) out.items = convert(s.items, ctx, `${path}.items`, depth + 1);
  else if (Array.isArray(s.prefixItems) && s.prefixItems.length && isObject(s.prefixItems[0])) {
    // Tuples: Gemini has no positional items; use the first item's schema as the element schema.
    out.items = convert(s.prefixItems[0] as JsonObject, ctx, `${path}.prefixItems[0]`, depth + 1);
  }
  return out;
}

function convertRef(s: JsonObject, ctx: Ctx, path: string, depth: number): GeminiSchema {
  const ref = s.$ref as string;
  if (ref !== '#' && !ref.startsWith('#/')) {
    throw badRequest(`${path}.$ref "${ref}" points outside the schema; Gemini needs every definition inline. Inline it or put it under $defs.`, ctx.where);
  }
  if (ctx.refStack.includes(ref)) {
    throw badRequest(`${path}.$ref "${ref}" is recursive; Gemini's schema subset cannot express recursive types. Limit the nesting to a fixed depth.`, ctx.where);
  }
  const target = resolvePointer(ctx.root, ref);
  if (!isObject(target)) throw badRequest(`${path}.$ref "${ref}" does not resolve to a schema in this document.`, ctx.where);
  ctx.refStack.push(ref);
  try {
    // Sibling keywords next to $ref (description, title) override the referenced schema's.
    const siblings = withoutKeys(s, ['$ref']);
    return convert({ ...target, ...siblings }, ctx, path, depth + 1);
  } finally {
    ctx.refStack.pop();
  }
}

function mergeAllOf(s: JsonObject, ctx: Ctx, path: string): JsonObject {
  if (!Array.isArray(s.allOf)) return s;
  let merged: JsonObject = withoutKeys(s, ['allOf']);
  for (const [i, part] of (s.allOf as unknown[]).entries()) {
    if (!isObject(part)) throw badRequest(`${path}.allOf[${i}] must be a schema object.`, ctx.where);
    let p = part;
    if (typeof p.$ref === 'string') {
      const t = resolvePointer(ctx.root, p.$ref);
      if (!isObject(t) || ctx.refStack.includes(p.$ref)) throw badRequest(`${path}.allOf[${i}].$ref "${p.$ref}" cannot be inlined for Gemini (unresolvable or recursive).`, ctx.where);
      p = { ...t, ...withoutKeys(p, ['$ref']) };
    }
    if (p.type !== undefined && merged.type !== undefined && p.type !== merged.type) {
      throw badRequest(`${path}.allOf combines different types (${JSON.stringify(merged.type)} and ${JSON.stringify(p.type)}); Gemini cannot express that. Merge them into one schema.`, ctx.where);
    }
    const props = { ...(isObject(merged.properties) ? merged.properties : {}), ...(isObject(p.properties) ? p.properties : {}) };
    const required = [...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(p.required) ? p.required : [])];
    merged = { ...p, ...merged, properties: props, required };
    if (!Object.keys(props).length) delete merged.properties;
    if (!required.length) delete merged.required;
  }
  return merged;
}

type Inferred = GeminiType | 'NULL_OR' | undefined;

function schemaType(s: JsonObject, path: string, ctx: Ctx): Inferred {
  if (typeof s.type === 'string') {
    const t = TYPES[s.type];
    if (!t) throw badRequest(`${path}.type "${s.type}" is not a JSON Schema type.`, ctx.where);
    return t;
  }
  if (Array.isArray(s.type)) {
    const nonNull = (s.type as unknown[]).filter((t) => t !== 'null');
    if (nonNull.length === 1 && typeof nonNull[0] === 'string') return TYPES[nonNull[0]] ?? undefined;
    return nonNull.length === 0 ? 'NULL' : 'NULL_OR';
  }
  if (isObject(s.properties)) return 'OBJECT';
  if (s.items !== undefined || s.prefixItems !== undefined) return 'ARRAY';
  return undefined;
}

function inferFromValues(values: unknown[]): GeminiType | undefined {
  if (values.length && values.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'INTEGER';
  if (values.length && values.every((v) => typeof v === 'number')) return 'NUMBER';
  if (values.length && values.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  return undefined;
}

function resolvePointer(root: JsonObject, ref: string): unknown {
  let cur: unknown = root;
  if (ref === '#') return root;
  for (const raw of ref.slice(2).split('/')) {
    const key = percentDecoded(raw)?.replace(/~1/g, '/').replace(/~0/g, '~');
    if (key === undefined || !isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function stripEmpty(s: GeminiSchema): GeminiSchema {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as GeminiSchema;
}

function withoutKeys(s: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(s)) if (!keys.includes(k)) out[k] = v;
  return out;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
