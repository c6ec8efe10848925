import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.js';
import { compileGuardrails, GuardrailConfigError, type Guardrails } from '../guardrails/hooks.js';

/**
 * Portkey's x-portkey-default-input-guardrails / x-portkey-default-output-guardrails headers: a JSON
 * array in the form of a config's input_guardrails / output_guardrails, run on every request in front
 * of the config's own. Compiled once per distinct header text (a bounded cache), like configs are.
 */
const INPUT = 'x-portkey-default-input-guardrails';
const OUTPUT = 'x-portkey-default-output-guardrails';
const MAX_CACHED = 200;
const cache = new Map<string, Guardrails | undefined>();

export function defaultGuardrails(headers: IncomingHttpHeaders): Guardrails | undefined {
  const input = one(headers[INPUT]);
  const output = one(headers[OUTPUT]);
  if (!input && !output) return undefined;
  const key = `${input ?? ''}\0${output ?? ''}`;
  if (cache.has(key)) return cache.get(key);
  const compiled = compile(input, output);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, compiled);
  return compiled;
}

/** The config's guardrails after the defaults: both run, the defaults first. */
export function withDefaults(defaults: Guardrails | undefined, own: Guardrails | undefined): Guardrails | undefined {
  if (!defaults) return own;
  if (!own) return defaults;
  return { before: [...defaults.before, ...own.before], after: [...defaults.after, ...own.after] };
}

function compile(input: string | undefined, output: string | undefined): Guardrails | undefined {
  const config = { input_guardrails: parse(input, INPUT), output_guardrails: parse(output, OUTPUT) };
  try {
    return compileGuardrails(config);
  } catch (e) {
    if (!(e instanceof GuardrailConfigError)) throw e;
    const header = e.path.startsWith('config.output_guardrails') ? OUTPUT : INPUT;
    const where = e.path.replace(/^config\.(input|output)_guardrails/, '');
    throw new GatewayError({ status: 400, param: header, code: 'invalid_config', message: `${header}${where}: ${e.message}` });
  }
}

function parse(text: string | undefined, header: string): unknown[] | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value)) {
    throw new GatewayError({ status: 400, param: header, code: 'invalid_config', message: `${header} must be a JSON array of guardrails, as in a config's input_guardrails, e.g. [{"default.contains":{"operator":"none","words":["secret"]},"deny":true}]` });
  }
  return value;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v) || undefined;
