/**
 * Test oracle: Ollama's published OpenAPI document (../shared/specs/ollama/openapi.yaml), with
 * components.schemas moved to $defs for Ajv 2020.
 */
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { requireSpec, specPath } from '../../helpers/specs.js';
import { loadOpenApiDefs, newAjv } from '../mistral-ai/spec.js';

type Obj = Record<string, unknown>;
const DOC_ID = 'https://portico.test/ollama-openapi.json';
let cache: { ajv: Ajv2020; defs: Obj; validators: Map<string, ValidateFunction> } | null = null;

export function ollamaSpecPath(): string {
  return specPath('ollama/openapi.yaml');
}

function load() {
  if (cache) return cache;
  const p = requireSpec('ollama/openapi.yaml');
  const defs = loadOpenApiDefs(p, 'ollama');
  if (!defs.ChatRequest || !defs.ChatStreamEvent) throw new Error(`ollama spec at ${p} lacks ChatRequest/ChatStreamEvent; is it Ollama's OpenAPI document?`);
  const ajv = newAjv();
  ajv.addSchema({ $id: DOC_ID, $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: defs });
  cache = { ajv, defs, validators: new Map() };
  return cache;
}

export function validateOllama(name: string, value: unknown): string[] {
  const s = load();
  let v = s.validators.get(name);
  if (!v) {
    if (!(name in s.defs)) throw new Error(`ollama spec has no schema named ${name}`);
    v = s.ajv.getSchema(`${DOC_ID}#/$defs/${name}`);
    if (!v) throw new Error(`Ajv could not compile ollama schema ${name}`);
    s.validators.set(name, v);
  }
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`.trim());
}

export function assertOllama(name: string, value: unknown): void {
  const errors = validateOllama(name, value);
  if (errors.length) throw new Error(`not a valid Ollama ${name}:\n  ${errors.slice(0, 15).join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 1500)}`);
}
