/**
 * Test oracle: the Gemini v1beta JSON Schemas (../shared/specs/gemini/gemini-v1beta.schema.json,
 * derived from the googleapis protos by the proto3 JSON mapping; strict = unknown fields rejected).
 *
 *   validateGemini('GenerateContentRequest', body, 'request')   → string[] (empty = valid)
 *   validateGemini('GenerateContentResponse', body, 'response')
 *
 * 'request' mode also enforces the `x-required-on-input` annotation (REQUIRED field behaviour), with
 * the exceptions the REST API itself makes:
 *  - `model` at the body's root: the REST path carries it (models/M:generateContent);
 *  - Schema.type when the schema is an `anyOf` union (the branches carry the types);
 *  - FunctionDeclaration.description: the API accepts declarations without one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { findRepoRoot } from '@portico/test-support/repo-root';
import { requireSpec, specPath } from '../../helpers/specs.js';
export { findRepoRoot };

const P = 'google.ai.generativelanguage.v1beta.';
type Mode = 'request' | 'response';
type Json = Record<string, unknown>;


const GEMINI_SPEC = 'gemini/gemini-v1beta.schema.json';

export function geminiSpecPath(): string {
  return specPath(GEMINI_SPEC);
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const instances = new Map<Mode, { ajv: Ajv2020; cache: Map<string, ValidateFunction> }>();

function load(mode: Mode) {
  const hit = instances.get(mode);
  if (hit) return hit;
  const file = requireSpec(GEMINI_SPEC);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Json & { $defs: Record<string, Json> };
  const decl = doc.$defs[`${P}FunctionDeclaration`];
  decl['x-required-on-input'] = (decl['x-required-on-input'] as string[]).filter((k) => k !== 'description');
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addKeyword({
    keyword: 'x-required-on-input',
    errors: true,
    validate: function check(this: unknown, required: string[], data: unknown, _parent: unknown, cxt?: { instancePath: string }) {
      if (mode !== 'request' || typeof data !== 'object' || data === null || Array.isArray(data)) return true;
      const o = data as Json;
      const missing = required.filter((k) => {
        if (k in o) return false;
        if (k === 'model' && cxt?.instancePath === '') return false;
        if (k === 'type' && Array.isArray(o.anyOf)) return false;
        return true;
      });
      if (!missing.length) return true;
      (check as unknown as { errors: Partial<ErrorObject>[] }).errors = missing.map((m) => ({
        keyword: 'x-required-on-input', message: `must have required property '${m}'`, params: { missingProperty: m },
      }));
      return false;
    },
  });
  ajv.addSchema(doc);
  const state = { ajv, cache: new Map<string, ValidateFunction>() };
  instances.set(mode, state);
  return state;
}

function validator(name: string, mode: Mode): ValidateFunction {
  const s = load(mode);
  const cached = s.cache.get(name);
  if (cached) return cached;
  const def = name === 'ErrorEnvelope' || name.startsWith('google.') ? name : P + name;
  const v = s.ajv.getSchema(`https://example.invalid/gemini-v1beta.json#/$defs/${def}`);
  if (!v) throw new Error(`gemini-spec: no schema named "${def}" in ${geminiSpecPath()}`);
  s.cache.set(name, v);
  return v;
}

/** Ajv errors, each with the instance path and, for unknown fields, the field's name. */
export function validateGemini(name: string, value: unknown, mode: Mode): string[] {
  const v = validator(name, mode);
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
    return `${e.instancePath || '/'} ${e.message ?? ''}${extra}`;
  });
}

export function assertGemini(name: string, value: unknown, mode: Mode): void {
  const errs = validateGemini(name, value, mode);
  if (errs.length) throw new Error(`Value does not match Gemini schema ${name} (${mode}):\n  ${errs.slice(0, 12).join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
}
