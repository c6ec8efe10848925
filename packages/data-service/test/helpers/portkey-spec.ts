import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { REPO_ROOT } from './gateway-process.js';

export const PORTKEY_SPEC = join(REPO_ROOT, '../shared/specs/portkey/openapi.yaml');

/** Whether the Portkey spec is here; REQUIRE_SPECS=1 turns its absence into a failure. */
export function portkeySpecPresent(): boolean {
  const present = existsSync(PORTKEY_SPEC);
  if (!present && process.env.REQUIRE_SPECS === '1') throw new Error(`REQUIRE_SPECS=1 but the Portkey spec is missing: ${PORTKEY_SPEC}`);
  if (!present) console.warn(`skipping Portkey spec checks: ${PORTKEY_SPEC} is missing`);
  return present;
}

/** A validator for one of the spec's component schemas (OpenAPI 3.0: nullable, example). */
export function portkeySchema(name: string): (value: unknown) => string[] {
  const doc = parse(readFileSync(PORTKEY_SPEC, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormatsModule as unknown as { default: (a: Ajv) => void }).default?.(ajv) ?? (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema({ $id: 'portkey', components: doc.components });
  const validate = ajv.compile({ $ref: `portkey#/components/schemas/${name}` });
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}
