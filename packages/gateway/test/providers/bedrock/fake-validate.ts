/**
 * Request checks of the fake Bedrock: the Smithy-derived JSON Schema (required members, enums, patterns,
 * unions with exactly one member) plus the rules Bedrock documents and enforces beyond the model
 * (alternating roles, no blank text, toolConfig with tool blocks, Anthropic body rules, embedding keys).
 * Each returns AWS-style messages; empty means valid.
 */
import { validateBedrock as validateBedrockSpec } from './bedrock-schema.js';
import { checkedIfPresent } from '../../helpers/specs.js';

const validateBedrock = checkedIfPresent('bedrock/bedrock-runtime.schema.json', validateBedrockSpec, []);

export type JsonObj = { [k: string]: unknown };
const isObj = (v: unknown): v is JsonObj => typeof v === 'object' && v !== null && !Array.isArray(v);

const CONVERSE_MEMBERS = new Set([
  'messages', 'system', 'inferenceConfig', 'toolConfig', 'guardrailConfig', 'additionalModelRequestFields', 'promptVariables',
  'additionalModelResponseFieldPaths', 'requestMetadata', 'performanceConfig', 'serviceTier', 'outputConfig',
]);

function schemaErrors(shape: string, body: unknown): string[] {
  const errs = validateBedrock(shape, body);
  if (errs.length === 0) return [];
  return [`${errs.length} validation error${errs.length > 1 ? 's' : ''} detected: ${errs.slice(0, 3).join('; ')}`];
}

export function converseBodyErrors(body: JsonObj, stream: boolean): string[] {
  const unknown = Object.keys(body).filter((k) => !CONVERSE_MEMBERS.has(k));
  if (unknown.length > 0) return [`Unable to parse request body: unknown member ${unknown.map((k) => `'${k}'`).join(', ')}.`];
  const schema = schemaErrors(stream ? 'ConverseStreamRequest' : 'ConverseRequest', body);
  if (schema.length > 0) return schema;
  const messages = (body.messages ?? []) as Array<{ role: string; content: JsonObj[] }>;
  if (messages.length === 0 || messages[0]!.role !== 'user') return ['A conversation must start with a user message. Try again with a conversation that starts with a user message.'];
  let usesTools = false;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'system') return [`The role at messages.${i} is system; put system prompts in the system field.`];
    if (i > 0 && messages[i - 1]!.role === m.role) return ['A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.'];
    if (m.content.length === 0) return [`The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`];
    for (let j = 0; j < m.content.length; j++) {
      const b = m.content[j]!;
      if (typeof b.text === 'string' && b.text.trim() === '') return [`The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`];
      if ('toolUse' in b || 'toolResult' in b) usesTools = true;
      if (isObj(b.toolResult)) {
        const prev = messages[i - 1];
        const ids = new Set((prev?.content ?? []).flatMap((p) => (isObj(p.toolUse) ? [p.toolUse.toolUseId] : [])));
        if (!ids.has(b.toolResult.toolUseId)) return [`The toolResult block at messages.${i}.content.${j} has toolUseId ${String(b.toolResult.toolUseId)}, which no toolUse block of the previous turn has.`];
      }
      if (isObj(b.toolUse) && m.role !== 'assistant') return [`messages.${i}.content.${j}: toolUse blocks belong to assistant turns.`];
    }
  }
  if (usesTools && !isObj(body.toolConfig)) return ['The toolConfig field must be defined when using toolUse and toolResult content blocks.'];
  const system = (body.system ?? []) as JsonObj[];
  for (let i = 0; i < system.length; i++) {
    if (typeof system[i]!.text === 'string' && (system[i]!.text as string).trim() === '') return [`The text field in the SystemContentBlock at system.${i} is blank.`];
  }
  const tools = isObj(body.toolConfig) ? ((body.toolConfig.tools ?? []) as JsonObj[]) : [];
  if (isObj(body.toolConfig) && tools.length === 0) return ['The toolConfig.tools field must contain at least one tool.'];
  const choice = isObj(body.toolConfig) ? body.toolConfig.toolChoice : undefined;
  if (isObj(choice) && isObj(choice.tool)) {
    const names = tools.flatMap((t) => (isObj(t.toolSpec) ? [t.toolSpec.name] : []));
    if (!names.includes(choice.tool.name)) return [`toolChoice names tool ${String(choice.tool.name)}, which toolConfig.tools does not define.`];
  }
  return [];
}

type AnthropicValidator = (name: string, value: unknown) => string[];

/** InvokeModel body for an Anthropic model: Anthropic's Messages request without `model`/`stream`, plus `anthropic_version`. */
export function anthropicInvokeBodyErrors(body: JsonObj, modelId: string, validateAnthropic: AnthropicValidator): string[] {
  for (const key of ['model', 'stream']) {
    if (key in body) return [`Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`];
  }
  if (body.anthropic_version !== 'bedrock-2023-05-31') return ['Malformed input request: #: required key [anthropic_version] not found or invalid (expected "bedrock-2023-05-31"), please reformat your input and try again.'];
  if (body.anthropic_beta !== undefined && !(Array.isArray(body.anthropic_beta) && body.anthropic_beta.every((b) => typeof b === 'string'))) {
    return ['Malformed input request: #/anthropic_beta: expected type: JSONArray of strings.'];
  }
  const { anthropic_version: _v, anthropic_beta: _b, ...rest } = body;
  const errs = validateAnthropic('MessageCreateParamsNonStreaming', { ...rest, model: modelId });
  return errs.length > 0 ? [`Malformed input request: ${errs.slice(0, 3).join('; ')}, please reformat your input and try again.`] : [];
}

const TITAN_KEYS: Record<string, string[]> = {
  'amazon.titan-embed-text-v1': ['inputText'],
  'amazon.titan-embed-text-v2': ['inputText', 'dimensions', 'normalize', 'embeddingTypes'],
  'amazon.titan-embed-image-v1': ['inputText', 'inputImage', 'embeddingConfig'],
};

export function embeddingBodyErrors(modelId: string, body: JsonObj): string[] {
  const extraneous = (allowed: string[]) => Object.keys(body).find((k) => !allowed.includes(k));
  if (/cohere\.embed/.test(modelId)) {
    const bad = extraneous(['texts', 'input_type', 'truncate', 'embedding_types', 'images']);
    if (bad) return [`Malformed input request: #: extraneous key [${bad}] is not permitted, please reformat your input and try again.`];
    if (!Array.isArray(body.texts) || body.texts.length === 0 || body.texts.length > 96 || !body.texts.every((t) => typeof t === 'string')) {
      return ['Malformed input request: #/texts: expected an array of 1 to 96 strings, please reformat your input and try again.'];
    }
    if (!['search_document', 'search_query', 'classification', 'clustering'].includes(String(body.input_type))) {
      return ['Malformed input request: #/input_type: required key [input_type] not found or not one of search_document, search_query, classification, clustering.'];
    }
    if (body.truncate !== undefined && !['NONE', 'START', 'END'].includes(String(body.truncate))) return ['Malformed input request: #/truncate: NONE, START or END.'];
    return [];
  }
  const family = Object.keys(TITAN_KEYS).find((k) => modelId.includes(k));
  if (!family) return [`The fake knows no embedding model ${modelId}.`];
  const bad = extraneous(TITAN_KEYS[family]!);
  if (bad) return [`Malformed input request: #: extraneous key [${bad}] is not permitted, please reformat your input and try again.`];
  if (typeof body.inputText !== 'string' || body.inputText === '') return ['Malformed input request: #/inputText: expected minLength: 1, actual: 0, please reformat your input and try again.'];
  if (body.dimensions !== undefined && ![256, 512, 1024].includes(body.dimensions as number)) return ['Malformed input request: #/dimensions: 256, 512 or 1024.'];
  return [];
}
