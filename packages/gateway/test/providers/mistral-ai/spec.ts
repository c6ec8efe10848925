/**
 * Test oracle: Mistral's published OpenAPI 3.1 document (../shared/specs/mistral/openapi-public-doc.yaml),
 * with components.schemas moved to $defs for Ajv 2020. Two known spec bugs are patched (see the
 * specs README): ChatCompletionResponse requires an undefined `data`, and UsageInfo requires
 * completion_tokens even on embeddings responses.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { requireSpec, specPath } from '../../helpers/specs.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** components refs → $defs; oneOf → anyOf (unions are discriminated by type/role, Ajv needs no exactness). */
export function rewriteOpenApiSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteOpenApiSchema);
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out.$ref = v.replace(/^#\/components\/schemas\//, '#/$defs/');
    else if (k === 'discriminator' || k.startsWith('x-')) continue;
    else if (k === 'example' || k === 'examples' || k === 'default') out[k] = v;
    else if (k === 'properties' || k === 'patternProperties') {
      const props: Obj = {};
      for (const [pk, pv] of Object.entries(isObj(v) ? v : {})) props[pk] = rewriteOpenApiSchema(pv);
      out[k] = props;
    } else if (k === 'oneOf') out.anyOf = rewriteOpenApiSchema(v);
    else out[k] = rewriteOpenApiSchema(v);
  }
  return out;
}

export function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;
  addFormats(ajv);
  for (const f of ['float', 'double', 'int32', 'int64', 'binary', 'uint64']) ajv.addFormat(f, true);
  return ajv;
}

/**
 * components.schemas of an OpenAPI YAML file, rewritten as $defs. Parsing a large YAML document takes
 * seconds, so the result is cached in the OS temp dir keyed by the document's hash.
 */
export function loadOpenApiDefs(specPath: string, label: string): Record<string, unknown> {
  const text = fs.readFileSync(specPath, 'utf8');
  const key = createHash('sha256').update(text).update('rewrite-v1').digest('hex').slice(0, 16);
  const cachePath = path.join(os.tmpdir(), `portico-${label}-defs-${key}.json`);
  try {
    return JSON.parse(fs.readFileSync(cachePath, 'utf8')) as Record<string, unknown>;
  } catch {
    // not cached yet: build below
  }
  const spec = parseYaml(text) as { components?: { schemas?: Obj } };
  const defs: Obj = {};
  for (const [name, s] of Object.entries(spec.components?.schemas ?? {})) defs[name] = rewriteOpenApiSchema(s);
  const tmp = `${cachePath}.${process.pid}.${Date.now()}.tmp`; // atomic: parallel workers may race
  fs.writeFileSync(tmp, JSON.stringify(defs));
  fs.renameSync(tmp, cachePath);
  return defs;
}

export function mistralSpecPath(): string {
  return specPath('mistral/openapi-public-doc.yaml');
}

const DOC_ID = 'https://portico.test/mistral-openapi.json';
let cache: { ajv: Ajv2020; defs: Obj; validators: Map<string, ValidateFunction> } | null = null;

function load() {
  if (cache) return cache;
  const p = requireSpec('mistral/openapi-public-doc.yaml');
  const defs = loadOpenApiDefs(p, 'mistral');
  // Spec bug 1: ChatCompletionResponse lists `data` (not a property of a chat response) as required.
  const ccr = defs.ChatCompletionResponse as { allOf: Array<{ required?: string[] }> };
  for (const part of ccr.allOf) if (part.required) part.required = part.required.filter((r) => r !== 'data');
  // Spec bug 2: embeddings responses have no completion_tokens, yet UsageInfo requires it.
  const usage = defs.UsageInfo as { required: string[] };
  defs.EmbeddingUsageInfo = { ...usage, required: usage.required.filter((r) => r !== 'completion_tokens') };
  const base = defs.ResponseBase as { properties: Obj };
  defs.EmbeddingResponseBase = { ...base, properties: { ...base.properties, usage: { $ref: '#/$defs/EmbeddingUsageInfo' } } };
  const emb = defs.EmbeddingResponse as { allOf: Array<{ $ref?: string }> };
  emb.allOf = emb.allOf.map((p) => (p.$ref === '#/$defs/ResponseBase' ? { $ref: '#/$defs/EmbeddingResponseBase' } : p));
  if (!defs.ChatCompletionRequest || !defs.FIMCompletionRequest || !defs.CompletionChunk) throw new Error(`mistral spec at ${p} lacks the chat/FIM schemas; is it Mistral's OpenAPI document?`);
  const ajv = newAjv();
  ajv.addSchema({ $id: DOC_ID, $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: defs });
  cache = { ajv, defs, validators: new Map() };
  return cache;
}

/** Validates `value` against components.schemas[name]; returns readable errors (empty = valid). */
export function validateMistral(name: string, value: unknown): string[] {
  const s = load();
  let v = s.validators.get(name);
  if (!v) {
    if (!(name in s.defs)) throw new Error(`mistral spec has no schema named ${name}`);
    v = s.ajv.getSchema(`${DOC_ID}#/$defs/${name}`);
    if (!v) throw new Error(`Ajv could not compile mistral schema ${name}`);
    s.validators.set(name, v);
  }
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`.trim());
}

export function assertMistral(name: string, value: unknown): void {
  const errors = validateMistral(name, value);
  if (errors.length) throw new Error(`not a valid Mistral ${name}:\n  ${errors.slice(0, 15).join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 1500)}`);
}
