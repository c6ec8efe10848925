/**
 * Test oracle: the JSON Schema generated from @anthropic-ai/sdk 0.137.0 types
 * (../shared/specs/anthropic/), compiled with Ajv 2020 (strict:false).
 *
 *   validateAnthropic('MessageCreateParamsNonStreaming', body) → string[] (empty = valid)
 *   assertAnthropic('Message', body)                           → throws with readable errors
 *   assertAnthropicStreamEvent(event)                          → picks the variant by `type`
 *
 * Relaxation (see the specs README): the generator marks `T | null` fields as required, which real
 * bodies omit, so a required property whose schema admits null is made optional. Nothing else changes.
 */
import fs from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createSpecOracle } from './spec-oracle.js';
import { requireSpec, specPath } from './specs.js';

type JsonObj = { [k: string]: unknown };
const DOC_ID = 'https://portico.test/anthropic-messages.json';
const isObj = (v: unknown): v is JsonObj => typeof v === 'object' && v !== null && !Array.isArray(v);


const ANTHROPIC_SPEC = 'anthropic/anthropic-messages-2023-06-01.sdk0.137.0.schema.json';

export function anthropicSpecPath(): string {
  return specPath(ANTHROPIC_SPEC);
}

function admitsNull(s: unknown): boolean {
  if (!isObj(s)) return false;
  if (s.type === 'null' || (Array.isArray(s.type) && s.type.includes('null'))) return true;
  if (Array.isArray(s.enum) && s.enum.includes(null)) return true;
  return Array.isArray(s.anyOf) && s.anyOf.some(admitsNull);
}

function relax(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relax);
  if (!isObj(node)) return node;
  const out: JsonObj = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$schema' ? undefined : relax(v);
  delete out.$schema;
  if (Array.isArray(out.required) && isObj(out.properties)) {
    const props = out.properties;
    out.required = (out.required as string[]).filter((r) => !admitsNull(props[r]));
  }
  return out;
}

let state: { ajv: Ajv2020; defs: JsonObj } | undefined;

function load() {
  if (state) return state;
  const file = requireSpec(ANTHROPIC_SPEC);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonObj;
  if (!isObj(raw.definitions)) throw new Error(`anthropic-schema: ${file} has no "definitions"; is it the generated Anthropic schema?`);
  const doc = { $id: DOC_ID, definitions: relax(raw.definitions) } as JsonObj;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  ajv.addSchema(doc);
  state = { ajv, defs: doc.definitions as JsonObj };
  return state;
}

const oracle = createSpecOracle('anthropic-schema', 'Anthropic schema', () => {
  const s = load();
  return { defs: s.defs, getSchema: (name) => s.ajv.getSchema(`${DOC_ID}#/definitions/${name}`) };
});

export const validateAnthropic = (name: string, value: unknown): string[] => oracle.validate(name, value);
export const assertAnthropic = (name: string, value: unknown): void => oracle.assert(name, value);

const STREAM_VARIANTS: Record<string, string> = {
  message_start: 'RawMessageStartEvent',
  message_delta: 'RawMessageDeltaEvent',
  message_stop: 'RawMessageStopEvent',
  content_block_start: 'RawContentBlockStartEvent',
  content_block_delta: 'RawContentBlockDeltaEvent',
  content_block_stop: 'RawContentBlockStopEvent',
};

/** Validates one stream event against the variant named by its type; `ping` and `error` are the API's extra events. */
export function validateAnthropicStreamEvent(event: unknown): string[] {
  const type = isObj(event) ? event.type : undefined;
  if (type === 'ping') return Object.keys(event as JsonObj).length === 1 ? [] : ['/ ping carries only {"type":"ping"}'];
  if (type === 'error') return validateAnthropic('ErrorResponse', event);
  const name = typeof type === 'string' ? STREAM_VARIANTS[type] : undefined;
  if (!name) return [`/type no RawMessageStreamEvent variant for type ${JSON.stringify(type)}`];
  return validateAnthropic(name, event);
}

export function assertAnthropicStreamEvent(event: unknown): void {
  const errs = validateAnthropicStreamEvent(event);
  if (errs.length) throw new Error(`Stream event does not match Anthropic's schema:\n  ${errs.slice(0, 12).join('\n  ')}\nevent: ${JSON.stringify(event).slice(0, 2000)}`);
}

/** Parses Anthropic SSE text into {event, data} pairs, checking that `event:` names match `data.type`. */
export function parseAnthropicSse(text: string): Array<{ event: string; data: JsonObj }> {
  const out: Array<{ event: string; data: JsonObj }> = [];
  for (const frame of text.split('\n\n')) {
    if (!frame.trim()) continue;
    const lines = frame.split('\n');
    const ev = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    if (!ev) throw new Error(`SSE frame without an event line: ${frame}`);
    const parsed = JSON.parse(data) as JsonObj;
    if (parsed.type !== ev) throw new Error(`SSE event "${ev}" carries data.type "${String(parsed.type)}"`);
    out.push({ event: ev, data: parsed });
  }
  return out;
}
