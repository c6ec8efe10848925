/**
 * Test oracle: Portkey's published OpenAPI document (../shared/specs/portkey/openapi.yaml), for the
 * shapes Portkey defines beyond OpenAI's (CreateRerankRequest, CreateRerankResponse, ...).
 * When the spec is absent the tests that need it skip, saying so; with REQUIRE_SPECS=1 they fail.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { findRepoRoot } from './openai-schema.js';
import { loadOpenApiDefs, newAjv } from '../providers/mistral-ai/spec.js';

const DOC_ID = 'https://portico.test/portkey-openapi.json';

export function portkeySpecPath(): string {
  return path.resolve(findRepoRoot(), '../shared/specs/portkey/openapi.yaml');
}

/** Whether the spec is here; throws when REQUIRE_SPECS=1 and it is not. */
export function portkeySpecAvailable(): boolean {
  const here = fs.existsSync(portkeySpecPath());
  if (!here && process.env.REQUIRE_SPECS === '1') throw new Error(`REQUIRE_SPECS=1 but the Portkey spec is missing at ${portkeySpecPath()}`);
  if (!here) console.warn(`skipping Portkey-shape checks: spec missing at ${portkeySpecPath()}`);
  return here;
}

let compiled: { get(name: string): ValidateFunction } | undefined;

export function validatePortkey(name: string, value: unknown): string[] {
  if (!compiled) {
    const defs = loadOpenApiDefs(portkeySpecPath(), 'portkey');
    const ajv = newAjv();
    ajv.addSchema({ $id: DOC_ID, $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: defs });
    compiled = {
      get(n) {
        if (!(n in defs)) throw new Error(`portkey spec has no schema named ${n}`);
        return ajv.getSchema(`${DOC_ID}#/$defs/${n}`)!;
      },
    };
  }
  const v = compiled.get(name);
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`.trim());
}

export function assertPortkey(name: string, value: unknown): void {
  const errors = validatePortkey(name, value);
  if (errors.length) throw new Error(`not a valid Portkey ${name}:\n  ${errors.slice(0, 15).join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 1500)}`);
}
