/**
 * The shared shape of the spec oracles (Anthropic, Bedrock, ...): named definitions compiled lazily
 * with Ajv and cached, errors formatted one per line, and an assert that shows the offending value.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';

interface Compiled {
  defs: Record<string, unknown>;
  getSchema(name: string): ValidateFunction | undefined;
}

export interface SpecOracle {
  validate(name: string, value: unknown): string[];
  assert(name: string, value: unknown): void;
}

export const formatAjvErrors = (errs: ErrorObject[] | null | undefined): string[] =>
  (errs ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`.trim());

/** `label` prefixes errors ("anthropic-schema"); `title` names the spec in assert messages ("Anthropic schema"). */
export function createSpecOracle(label: string, title: string, load: () => Compiled): SpecOracle {
  const validators = new Map<string, ValidateFunction>();
  function validator(name: string): ValidateFunction {
    const hit = validators.get(name);
    if (hit) return hit;
    const s = load();
    if (!(name in s.defs)) throw new Error(`${label}: no schema named "${name}" in the ${title}`);
    const v = s.getSchema(name);
    if (!v) throw new Error(`${label}: Ajv could not compile "${name}"`);
    validators.set(name, v);
    return v;
  }
  const validate = (name: string, value: unknown): string[] => {
    const v = validator(name);
    return v(value) ? [] : formatAjvErrors(v.errors);
  };
  return {
    validate,
    assert(name, value) {
      const errs = validate(name, value);
      if (errs.length === 0) return;
      throw new Error(`Value does not match ${title} ${name}:\n  ${errs.slice(0, 12).join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
    },
  };
}
