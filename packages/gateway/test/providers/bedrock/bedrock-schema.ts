/**
 * Test oracle: the JSON Schema derived from Bedrock Runtime's Smithy model
 * (../shared/specs/bedrock/bedrock-runtime.schema.json), compiled with Ajv 2020 (strict:false), plus
 * the model-id patterns read from the Smithy JSON AST itself.
 *
 *   validateBedrock('ConverseRequest', body)          → string[] (empty = valid)
 *   assertBedrock('ConverseResponse', body)           → throws with readable errors
 *   validateConverseStreamEvent('messageStop', p)     → validates a ConverseStream event payload
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createSpecOracle } from '../../helpers/spec-oracle.js';
import { requireSpec, specPath } from '../../helpers/specs.js';

type JsonObj = { [k: string]: unknown };
const DOC_ID = 'https://portico.test/bedrock-runtime.json';
const isObj = (v: unknown): v is JsonObj => typeof v === 'object' && v !== null && !Array.isArray(v);


export function bedrockSpecDir(): string {
  for (const f of ['bedrock-runtime.schema.json', 'bedrock-runtime.smithy-rs.json', 'amazon-eventstream.rst']) requireSpec(`bedrock/${f}`);
  return specPath('bedrock');
}

let state: { ajv: Ajv2020; defs: JsonObj } | undefined;

function load() {
  if (state) return state;
  const raw = JSON.parse(fs.readFileSync(path.join(bedrockSpecDir(), 'bedrock-runtime.schema.json'), 'utf8')) as JsonObj;
  if (!isObj(raw.$defs)) throw new Error('bedrock-schema: bedrock-runtime.schema.json has no $defs; is it the derived schema?');
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  ajv.addSchema({ $id: DOC_ID, $defs: raw.$defs });
  state = { ajv, defs: raw.$defs };
  return state;
}

const oracle = createSpecOracle('bedrock-schema', 'Bedrock shape', () => {
  const s = load();
  return { defs: s.defs, getSchema: (name) => s.ajv.getSchema(`${DOC_ID}#/$defs/${name}`) };
});

export const validateBedrock = (name: string, value: unknown): string[] => oracle.validate(name, value);
export const assertBedrock = (name: string, value: unknown): void => oracle.assert(name, value);

/** All shapes of the derived schema ($defs), by name. */
export function bedrockShapes(): JsonObj {
  return load().defs;
}

/** The shape an event-stream union member targets, e.g. ConverseStreamOutput.messageStop → MessageStopEvent. */
export function streamMemberShape(union: 'ConverseStreamOutput' | 'ResponseStream', member: string): string | undefined {
  const u = load().defs[union];
  const props = isObj(u) && isObj(u.properties) ? u.properties : {};
  const ref = isObj(props[member]) ? (props[member] as JsonObj).$ref : undefined;
  return typeof ref === 'string' ? ref.replace('#/$defs/', '') : undefined;
}

export function validateConverseStreamEvent(eventType: string, payload: unknown): string[] {
  const shape = streamMemberShape('ConverseStreamOutput', eventType);
  if (!shape) return [`/ ConverseStreamOutput has no member "${eventType}"`];
  return validateBedrock(shape, payload);
}

let patterns: { converse: RegExp; invoke: RegExp } | undefined;

/** Model id patterns (ConversationalModelId, InvokeModelIdentifier) from the Smithy JSON AST. */
export function modelIdPatterns(): { converse: RegExp; invoke: RegExp } {
  if (patterns) return patterns;
  const ast = JSON.parse(fs.readFileSync(path.join(bedrockSpecDir(), 'bedrock-runtime.smithy-rs.json'), 'utf8')) as { shapes: Record<string, { traits?: Record<string, unknown> }> };
  const pat = (id: string): RegExp => {
    const p = ast.shapes[`com.amazonaws.bedrockruntime#${id}`]?.traits?.['smithy.api#pattern'];
    if (typeof p !== 'string') throw new Error(`bedrock-schema: the Smithy model has no pattern for ${id}`);
    return new RegExp(p);
  };
  patterns = { converse: pat('ConversationalModelId'), invoke: pat('InvokeModelIdentifier') };
  return patterns;
}
