/**
 * Test oracle: OpenAI's published OpenAPI document (../shared/specs/openai/openapi.yaml), rewritten
 * so Ajv 2020 can compile `components.schemas` as `$defs`. Validators compile lazily per schema name.
 *
 *   validateOpenAI('CreateChatCompletionResponse', body)  → string[] (empty = valid)
 *   assertOpenAI('ResponseStreamEvent', event)            → throws with readable errors
 *
 * Rewrites: components refs → $defs, nullable → null unions, $recursiveRef → $ref, boolean
 * exclusiveMinimum → numeric, duplicate `required` removed, `oneOf` → `anyOf` (the spec's unions overlap
 * and are meant as "discriminated by type"), custom format `unixtime` = non-negative integer.
 * The rewritten document is cached in the OS temp dir, keyed by the spec's hash (YAML parsing takes ~2 s).
 *
 * `ResponseStreamEvent` is an `anyOf` over 58 variants in the spec, so a wrong event could still match a
 * loose sibling; here it is validated against the one variant whose `type` matches, and fails when no
 * variant declares that type.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { findRepoRoot } from '@portico/test-support/repo-root';
import { requireSpec, specPath } from './specs.js';
export { findRepoRoot };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObj = { [k: string]: Json };

const DOC_ID = 'https://portico.test/openai-openapi.json';
/** Bump when the rewrite below changes, so stale caches in the temp dir are ignored. */
const REWRITE_VERSION = 4;


export function openAISpecPath(): string {
  return specPath('openai/openapi.yaml');
}

// ---------- rewrite for Ajv 2020 ----------

function isObj(v: unknown): v is JsonObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rewrites one schema node (recursively). `defName` is the enclosing components.schemas entry. */
function rewrite(node: Json, defName: string): Json {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, defName));
  if (!isObj(node)) return node;
  const out: JsonObj = {};
  let oneOf: Json | undefined;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') {
      out.$ref = v.replace(/^#\/components\/schemas\//, '#/$defs/');
    } else if (k === '$recursiveRef') {
      // Only "#" occurs (CompoundFilter): the enclosing definition itself.
      out.$ref = `#/$defs/${defName}`;
    } else if (k === '$recursiveAnchor' || k === 'nullable' || k === 'discriminator' || k.startsWith('x-')) {
      // handled below or irrelevant to validation
    } else if (k === 'oneOf') {
      // The spec's oneOf unions overlap (an input message with a content list matches both EasyInputMessage
      // and InputMessage; it means "discriminated by type"), so exactly-one would reject valid bodies.
      oneOf = rewrite(v, defName);
    } else if (k === 'required' && Array.isArray(v)) {
      out.required = [...new Set(v)];
    } else if (k === 'properties' || k === '$defs' || k === 'patternProperties') {
      // keys here are property names, not keywords
      const props: JsonObj = {};
      for (const [pk, pv] of Object.entries(isObj(v) ? v : {})) props[pk] = rewrite(pv, defName);
      out[k] = props;
    } else if (k === 'example' || k === 'examples' || k === 'default') {
      out[k] = v; // data, not schema
    } else {
      out[k] = rewrite(v, defName);
    }
  }
  if (oneOf !== undefined) {
    if (out.anyOf === undefined) out.anyOf = oneOf;
    else out.allOf = [...((out.allOf as Json[] | undefined) ?? []), { anyOf: oneOf }];
  }
  // boolean exclusiveMinimum/Maximum (OpenAPI 3.0 style) → numeric form
  for (const [ex, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[ex] === 'boolean') {
      if (out[ex] === true && typeof out[bound] === 'number') {
        out[ex] = out[bound];
        delete out[bound];
      } else delete out[ex];
    }
  }
  if (node.nullable === true) return makeNullable(out);
  return out;
}

function makeNullable(s: JsonObj): JsonObj {
  const t = s.type;
  const hasComposition = '$ref' in s || 'allOf' in s || 'anyOf' in s || 'oneOf' in s;
  if (t !== undefined && !hasComposition) {
    const out: JsonObj = { ...s, type: Array.isArray(t) ? [...new Set([...t, 'null'])] : [t as string, 'null'] };
    if (Array.isArray(s.enum) && !s.enum.includes(null)) out.enum = [...s.enum, null];
    return out;
  }
  // No type (or composition keywords): "this schema, or null".
  const { description, title, default: def, ...rest } = s;
  const wrapped: JsonObj = { anyOf: [rest, { type: 'null' }] };
  if (description !== undefined) wrapped.description = description;
  if (title !== undefined) wrapped.title = title;
  if (def !== undefined) wrapped.default = def;
  return wrapped;
}

function buildDocument(specPath: string): JsonObj {
  const text = fs.readFileSync(specPath, 'utf8');
  const key = createHash('sha256').update(text).update(`v${REWRITE_VERSION}`).digest('hex').slice(0, 16);
  const cachePath = path.join(os.tmpdir(), `portico-openai-schema-${key}.json`);
  try {
    return JSON.parse(fs.readFileSync(cachePath, 'utf8')) as JsonObj;
  } catch {
    // not cached yet (or a partial file from a crashed run): rebuild below
  }
  const spec = parseYaml(text) as { components?: { schemas?: JsonObj } };
  const schemas = spec.components?.schemas;
  if (!isObj(schemas)) throw new Error(`openai-schema: ${specPath} has no components.schemas; is it the OpenAI OpenAPI document?`);
  const defs: JsonObj = {};
  for (const [name, s] of Object.entries(schemas)) defs[name] = rewrite(s, name);
  const doc: JsonObj = { $id: DOC_ID, $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: defs };
  // Atomic write: parallel test workers may race to fill the cache.
  const tmp = `${cachePath}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(doc));
  fs.renameSync(tmp, cachePath);
  return doc;
}

// ---------- Ajv ----------

interface State {
  ajv: Ajv2020;
  defs: JsonObj;
  validators: Map<string, ValidateFunction>;
  streamVariants: Map<string, string> | null;
}
let state: State | null = null;

function load(): State {
  if (state) return state;
  const doc = buildDocument(requireSpec('openai/openapi.yaml'));
  // inlineRefs: false compiles each shared definition once instead of inlining it at every use (faster).
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, inlineRefs: false });
  // ajv-formats is CJS with a default export; under NodeNext its default may sit one level down.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;
  addFormats(ajv);
  ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  for (const f of ['png', '']) ajv.addFormat(f, true);
  ajv.addSchema(doc);
  state = { ajv, defs: doc.$defs as JsonObj, validators: new Map(), streamVariants: null };
  return state;
}

function validatorFor(name: string): ValidateFunction {
  const s = load();
  let v = s.validators.get(name);
  if (v) return v;
  if (!(name in s.defs)) throw new Error(`openai-schema: no schema named "${name}" in components.schemas of the OpenAI spec`);
  const got = s.ajv.getSchema(`${DOC_ID}#/$defs/${name}`);
  if (!got) throw new Error(`openai-schema: Ajv could not compile "${name}"`);
  v = got;
  s.validators.set(name, v);
  return v;
}

/** The ResponseStreamEvent variant name for an event `type` (e.g. 'response.output_text.delta'). */
export function responseStreamEventSchemaFor(type: string): string | undefined {
  const s = load();
  if (!s.streamVariants) {
    const map = new Map<string, string>();
    const root = s.defs.ResponseStreamEvent as JsonObj;
    for (const ref of (root.anyOf ?? root.oneOf ?? []) as JsonObj[]) {
      const name = String(ref.$ref ?? '').replace('#/$defs/', '');
      const variant = s.defs[name];
      const typeSchema = isObj(variant) && isObj(variant.properties) ? variant.properties.type : undefined;
      const values = isObj(typeSchema) ? (Array.isArray(typeSchema.enum) ? typeSchema.enum : [typeSchema.const]) : [];
      for (const t of values) if (typeof t === 'string') map.set(t, name);
    }
    s.streamVariants = map;
  }
  return s.streamVariants.get(type);
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || '(root)';
    const extra = e.keyword === 'enum' ? ` ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}` : '';
    return `${where} ${e.message ?? e.keyword}${extra} [${e.schemaPath}]`;
  });
}

/** Validates `value` against components.schemas[schemaName]. Returns readable errors; empty means valid. */
export function validateOpenAI(schemaName: string, value: unknown): string[] {
  if (schemaName === 'ResponseStreamEvent') {
    const t = isObj(value) && typeof value.type === 'string' ? value.type : undefined;
    if (t === undefined) return ['(root) a ResponseStreamEvent needs a string "type"'];
    const variant = responseStreamEventSchemaFor(t);
    if (!variant) return [`(root) no ResponseStreamEvent variant has type "${t}"`];
    return validateOpenAI(variant, value).map((e) => `${variant}: ${e}`);
  }
  const v = validatorFor(schemaName);
  if (v(value)) return [];
  return formatErrors(v.errors);
}

/** Throws an Error listing the first validation errors when `value` does not match `schemaName`. */
export function assertOpenAI(schemaName: string, value: unknown): void {
  const errors = validateOpenAI(schemaName, value);
  if (errors.length === 0) return;
  const shown = errors.slice(0, 15).join('\n  ');
  const more = errors.length > 15 ? `\n  ... ${errors.length - 15} more` : '';
  let body = JSON.stringify(value);
  if (body && body.length > 2000) body = `${body.slice(0, 2000)}...`;
  throw new Error(`Value does not match OpenAI schema ${schemaName}:\n  ${shown}${more}\nvalue: ${body}`);
}
