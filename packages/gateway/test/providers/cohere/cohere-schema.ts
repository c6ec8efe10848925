/**
 * Test oracle for Cohere API v2. The shared specs hold no Cohere document, so these JSON Schemas are
 * written from Cohere's published v2 reference (docs.cohere.com/reference/chat, chat-stream, embed):
 * the fields, enums and required-ness listed there. Cohere rejects unknown request fields
 * ("unknown field: parameter X is not a valid field", HTTP 422), hence additionalProperties: false.
 */
import type { ValidateFunction } from 'ajv';
import { newAjv } from '../mistral-ai/spec.js';

const text = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' } }, additionalProperties: false };
const thinking = { type: 'object', required: ['type', 'thinking'], properties: { type: { const: 'thinking' }, thinking: { type: 'string' } }, additionalProperties: false };
const imageUrl = {
  type: 'object',
  required: ['type', 'image_url'],
  properties: { type: { const: 'image_url' }, image_url: { type: 'object', required: ['url'], properties: { url: { type: 'string' }, detail: { enum: ['auto', 'low', 'high'] } }, additionalProperties: false } },
  additionalProperties: false,
};
const document = { type: 'object', required: ['type', 'document'], properties: { type: { const: 'document' }, document: { type: 'object', required: ['data'] } } };
const toolCall = {
  type: 'object',
  required: ['id', 'type', 'function'],
  properties: { id: { type: 'string' }, type: { const: 'function' }, function: { type: 'object', required: ['name', 'arguments'], properties: { name: { type: 'string' }, arguments: { type: 'string' } }, additionalProperties: false } },
  additionalProperties: false,
};

const message = {
  anyOf: [
    { type: 'object', required: ['role', 'content'], properties: { role: { const: 'system' }, content: { anyOf: [{ type: 'string' }, { type: 'array', items: text }] } }, additionalProperties: false },
    { type: 'object', required: ['role', 'content'], properties: { role: { const: 'user' }, content: { anyOf: [{ type: 'string' }, { type: 'array', items: { anyOf: [text, imageUrl, document] } }] } }, additionalProperties: false },
    {
      type: 'object',
      required: ['role'],
      properties: {
        role: { const: 'assistant' },
        tool_calls: { type: 'array', items: toolCall },
        tool_plan: { type: 'string' },
        content: { anyOf: [{ type: 'string' }, { type: 'array', items: { anyOf: [text, thinking] } }] },
        citations: { type: 'array' },
      },
      additionalProperties: false,
    },
    {
      type: 'object',
      required: ['role', 'tool_call_id', 'content'],
      properties: { role: { const: 'tool' }, tool_call_id: { type: 'string' }, content: { anyOf: [{ type: 'string' }, { type: 'array', items: { anyOf: [text, document] } }] } },
      additionalProperties: false,
    },
  ],
};

const usage = {
  type: 'object',
  properties: {
    billed_units: { type: 'object', properties: { input_tokens: { type: 'number' }, output_tokens: { type: 'number' }, search_units: { type: 'number' }, classifications: { type: 'number' } } },
    tokens: { type: 'object', properties: { input_tokens: { type: 'number' }, output_tokens: { type: 'number' } } },
    cached_tokens: { type: 'number' },
  },
};
const finishReason = { enum: ['COMPLETE', 'STOP_SEQUENCE', 'MAX_TOKENS', 'TOOL_CALL', 'ERROR', 'TIMEOUT'] };

export const cohereSchemas: Record<string, object> = {
  ChatRequest: {
    type: 'object',
    required: ['model', 'messages'],
    properties: {
      stream: { type: 'boolean' },
      model: { type: 'string', minLength: 1 },
      messages: { type: 'array', minItems: 1, items: message },
      tools: {
        type: 'array',
        items: {
          type: 'object',
          required: ['type', 'function'],
          properties: { type: { const: 'function' }, function: { type: 'object', required: ['name', 'parameters'], properties: { name: { type: 'string' }, description: { type: 'string' }, parameters: { type: 'object' } }, additionalProperties: false } },
          additionalProperties: false,
        },
      },
      strict_tools: { type: 'boolean' },
      documents: { type: 'array' },
      citation_options: { type: 'object' },
      response_format: {
        anyOf: [
          { type: 'object', required: ['type'], properties: { type: { const: 'text' } }, additionalProperties: false },
          { type: 'object', required: ['type'], properties: { type: { const: 'json_object' }, json_schema: { type: 'object' } }, additionalProperties: false },
        ],
      },
      safety_mode: { enum: ['CONTEXTUAL', 'STRICT', 'OFF'] },
      max_tokens: { type: 'integer', minimum: 1 },
      stop_sequences: { type: 'array', items: { type: 'string' }, maxItems: 5 },
      temperature: { type: 'number', minimum: 0 },
      seed: { type: 'integer', minimum: 0 },
      frequency_penalty: { type: 'number', minimum: 0, maximum: 1 },
      presence_penalty: { type: 'number', minimum: 0, maximum: 1 },
      k: { type: 'integer', minimum: 0, maximum: 500 },
      p: { type: 'number', minimum: 0.01, maximum: 0.99 },
      logprobs: { type: 'boolean' },
      tool_choice: { enum: ['REQUIRED', 'NONE'] },
      thinking: { type: 'object', required: ['type'], properties: { type: { enum: ['enabled', 'disabled'] }, token_budget: { type: 'integer', minimum: 1 } }, additionalProperties: false },
      priority: { type: 'integer', minimum: 0 },
    },
    additionalProperties: false,
  },
  ChatResponse: {
    type: 'object',
    required: ['id', 'finish_reason', 'message'],
    properties: {
      id: { type: 'string' },
      finish_reason: finishReason,
      message: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { const: 'assistant' },
          tool_calls: { type: 'array', items: toolCall },
          tool_plan: { type: 'string' },
          content: { type: 'array', items: { anyOf: [text, thinking] } },
          citations: { type: 'array' },
        },
      },
      usage,
      logprobs: { type: 'array' },
    },
  },
  /** Every v2 stream event carries its type; the shapes per type follow the chat-stream reference. */
  StreamEvent: {
    type: 'object',
    required: ['type'],
    properties: {
      type: { enum: ['message-start', 'content-start', 'content-delta', 'content-end', 'tool-plan-delta', 'tool-call-start', 'tool-call-delta', 'tool-call-end', 'citation-start', 'citation-end', 'message-end', 'debug'] },
      id: { type: 'string' },
      index: { type: 'integer', minimum: 0 },
      delta: { type: 'object' },
    },
    allOf: [
      { if: { properties: { type: { const: 'message-start' } } }, then: { required: ['id', 'delta'], properties: { delta: { required: ['message'], properties: { message: { required: ['role'], properties: { role: { const: 'assistant' } } } } } } } },
      { if: { properties: { type: { enum: ['content-start', 'content-delta'] } } }, then: { required: ['index', 'delta'], properties: { delta: { required: ['message'], properties: { message: { required: ['content'], properties: { content: { type: 'object', properties: { type: { enum: ['text', 'thinking'] }, text: { type: 'string' }, thinking: { type: 'string' } } } } } } } } } },
      { if: { properties: { type: { enum: ['content-end', 'tool-call-end', 'citation-end'] } } }, then: { required: ['index'] } },
      { if: { properties: { type: { const: 'tool-plan-delta' } } }, then: { required: ['delta'], properties: { delta: { required: ['message'], properties: { message: { required: ['tool_plan'], properties: { tool_plan: { type: 'string' } } } } } } } },
      { if: { properties: { type: { const: 'tool-call-start' } } }, then: { required: ['index', 'delta'], properties: { delta: { required: ['message'], properties: { message: { required: ['tool_calls'], properties: { tool_calls: { type: 'object', required: ['id', 'type', 'function'], properties: { function: { required: ['name'] } } } } } } } } } },
      { if: { properties: { type: { const: 'tool-call-delta' } } }, then: { required: ['index', 'delta'], properties: { delta: { required: ['message'], properties: { message: { required: ['tool_calls'], properties: { tool_calls: { type: 'object', required: ['function'], properties: { function: { required: ['arguments'], properties: { arguments: { type: 'string' } } } } } } } } } } } },
      { if: { properties: { type: { const: 'message-end' } } }, then: { required: ['delta'], properties: { delta: { required: ['finish_reason'], properties: { finish_reason: finishReason, usage, error: { type: 'string' } } } } } },
    ],
  },
  EmbedRequest: {
    type: 'object',
    required: ['model', 'embedding_types'],
    properties: {
      model: { type: 'string', minLength: 1 },
      texts: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 96 },
      images: { type: 'array', items: { type: 'string' }, maxItems: 1 },
      inputs: { type: 'array' },
      input_type: { enum: ['search_document', 'search_query', 'classification', 'clustering', 'image'] },
      embedding_types: { type: 'array', minItems: 1, items: { enum: ['float', 'int8', 'uint8', 'binary', 'ubinary', 'base64'] } },
      output_dimension: { enum: [256, 512, 1024, 1536] },
      max_tokens: { type: 'integer' },
      truncate: { enum: ['NONE', 'START', 'END'] },
      priority: { type: 'integer' },
    },
    additionalProperties: false,
  },
  EmbedResponse: {
    type: 'object',
    required: ['id', 'embeddings', 'response_type'],
    properties: {
      id: { type: 'string' },
      response_type: { const: 'embeddings_by_type' },
      embeddings: { type: 'object', properties: { float: { type: 'array', items: { type: 'array', items: { type: 'number' } } } } },
      texts: { type: 'array', items: { type: 'string' } },
      meta: { type: 'object', properties: { api_version: { type: 'object' }, billed_units: { type: 'object', properties: { input_tokens: { type: 'number' } } } } },
    },
  },
  Error: { type: 'object', required: ['message'], properties: { id: { type: 'string' }, message: { type: 'string' } } },
};

const ajv = newAjv();
const compiled = new Map<string, ValidateFunction>();

export function validateCohere(name: string, value: unknown): string[] {
  let v = compiled.get(name);
  if (!v) {
    const schema = cohereSchemas[name];
    if (!schema) throw new Error(`no Cohere schema named ${name}`);
    v = ajv.compile(schema);
    compiled.set(name, v);
  }
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`.trim());
}

export function assertCohere(name: string, value: unknown): void {
  const errors = validateCohere(name, value);
  if (errors.length) throw new Error(`not a valid Cohere v2 ${name}:\n  ${errors.slice(0, 15).join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 1500)}`);
}
