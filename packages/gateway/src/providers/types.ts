/**
 * The provider contract. Inside the gateway a request is an OpenAI chat-completions request and a
 * response is an OpenAI response or a stream of OpenAI chunks; each provider maps to and from it.
 *
 * Every function on a Provider except `authorize` is pure and network-free, so it can be unit-tested
 * against recorded payloads in the provider's own published format. Mappings are named by direction
 * (`toXRequest` builds what goes upstream, `fromXResponse` reads what comes back) and live in the
 * provider's own folder. Anything a mapping needs that does not depend on the request (URL templates,
 * header names, lookup tables) is computed when the provider object is built at start, so a provider
 * costs the hot path nothing beyond its own mapping.
 */
import type { GatewayError } from '../errors.js';

// ---------- The lingua franca: OpenAI chat completions (loosely typed: unknown fields pass through) ----------

export type JsonObject = Record<string, unknown>;

export interface ChatContentPartText { type: 'text'; text: string }
export interface ChatContentPartImage { type: 'image_url'; image_url: { url: string; detail?: string } }
export type ChatContentPart = ChatContentPartText | ChatContentPartImage | (JsonObject & { type: string });

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  /** Reasoning text carried by some providers (Anthropic thinking, DeepSeek). */
  reasoning_content?: string;
  [k: string]: unknown;
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonObject; strict?: boolean };
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } & JsonObject;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  tools?: ChatTool[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  user?: string;
  [k: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [k: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown };
  /** Anthropic-style cache write tokens, kept for cost. */
  cache_creation_input_tokens?: number;
  [k: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[]; refusal?: string | null; reasoning_content?: string; [k: string]: unknown };
    finish_reason: FinishReason;
    logprobs?: unknown;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
  [k: string]: unknown;
}

export interface ChatChunkToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: ChatChunkToolCallDelta[]; reasoning_content?: string; refusal?: string | null; [k: string]: unknown };
    finish_reason: FinishReason;
    logprobs?: unknown;
  }>;
  usage?: Usage | null;
  system_fingerprint?: string | null;
  [k: string]: unknown;
}

export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [k: string]: unknown;
}

export interface EmbeddingResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** Portkey's POST /v1/rerank request (its CreateRerankRequest), checked by inbound/rerank.ts. */
export interface RerankRequest {
  model: string;
  query: string;
  documents: Array<string | ({ text?: string } & JsonObject)>;
  top_n?: number;
  return_documents?: boolean;
  max_tokens_per_doc?: number;
  priority?: number;
  rank_fields?: string[];
  truncation?: boolean;
  parameters?: JsonObject;
}

/** Portkey's rerank response (CreateRerankResponse): results sorted by relevance, best first. */
export interface RerankResponse {
  id?: string;
  object: 'list';
  results: Array<{ index: number; relevance_score: number; document?: { text?: string } & JsonObject }>;
  model: string;
  usage?: { search_units?: number; total_tokens?: number };
  provider: string;
}

/** OpenAI's POST /v1/images/generations request (CreateImageRequest). */
export interface ImageGenerationRequest {
  prompt: string;
  model?: string;
  n?: number;
  size?: string;
  quality?: string;
  response_format?: 'url' | 'b64_json';
  style?: string;
  user?: string;
  [k: string]: unknown;
}

/** OpenAI's images response (ImagesResponse): b64_json, or url where the provider gives one. */
export interface ImageGenerationResponse {
  created: number;
  data: Array<{ b64_json?: string; url?: string; revised_prompt?: string }>;
  [k: string]: unknown;
}

export interface CompletionRequest {
  model: string;
  prompt: string | string[];
  stream?: boolean;
  [k: string]: unknown;
}

// ---------- Targets and upstream HTTP ----------

/** One resolved routing target: which provider, with what credentials and settings. */
export interface ProviderTarget {
  provider: string;
  /** The provider credential: Authorization bearer, x-api-key, api-key... never logged. */
  apiKey?: string;
  /** Overrides the provider's base URL (already checked against the egress policy). */
  customHost?: string;
  /**
   * Whether a request without keys of its own may be signed with the gateway's own cloud identity (the
   * AWS default chain). Set by target resolution from GATEWAY_CLOUD_IDENTITY; undefined means allowed
   * (direct callers of a provider's mapping, such as unit tests).
   */
  gatewayIdentity?: boolean;
  /**
   * Provider-specific settings in Portkey's snake_case names, from the config target, the virtual key
   * or x-portkey-* headers: azure `resource_name`, `deployment_id`, `api_version`, `azure_auth_mode`;
   * aws `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`, `aws_region`, `aws_role_arn`,
   * `aws_external_id`; vertex `vertex_project_id`, `vertex_region`, `vertex_service_account_json`; ...
   */
  settings: Record<string, string | undefined>;
  /** Client headers that the config or x-portkey-forward-headers asked to forward upstream. */
  forwardHeaders?: Record<string, string>;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** Serialised body. Strings are sent as UTF-8. */
  body?: string | Uint8Array;
}

// ---------- Streams ----------

/** Wire framing of an upstream stream; the gateway picks the framer from this. */
export type FramerKind = 'sse' | 'eventstream' | 'ndjson' | 'json-array';

/**
 * One framed upstream event. SSE: `event` and `data`. AWS event-stream: `headers` (':event-type',
 * ':message-type', ':exception-type', ...) and `data` is the UTF-8 payload. NDJSON / JSON array: `data`.
 */
export interface FramedEvent {
  event?: string;
  data: string;
  headers?: Record<string, string>;
}

/**
 * Maps framed upstream events to OpenAI chunks. `state` is created per stream and owned by the mapping.
 * `fromEvent` throws a GatewayError for an error event that arrives mid-stream.
 * `finish` runs when the upstream ends; it may emit trailing chunks and must throw if the upstream
 * ended without its terminal event (a truncated stream must never look like a clean finish).
 */
export interface StreamMapping<S = unknown, Chunk = ChatChunk> {
  framer: FramerKind;
  createState(req: { model: string; includeUsage: boolean }): S;
  fromEvent(state: S, event: FramedEvent): Chunk[];
  finish(state: S): Chunk[];
}

// ---------- Per-operation mappings ----------

export interface RequestContext {
  stream: boolean;
  /** The gateway's trace id, for providers that accept one. */
  traceId?: string;
}

export interface OperationMapping<Req, Res> {
  /** Builds the upstream request (URL, headers with auth, body). Pure. */
  toRequest(req: Req, target: ProviderTarget, ctx: RequestContext): UpstreamRequest;
  /** Maps the upstream's parsed JSON body (and its response headers, where they carry usage) to the OpenAI response. Pure. */
  fromResponse(body: unknown, req: Req, target: ProviderTarget, headers?: Record<string, string>): Res;
  stream?: StreamMapping<any, ChatChunk>;
  /**
   * For APIs that take one input per call (Bedrock Titan embeddings): the upstream requests to send
   * concurrently, and how to combine their parsed bodies (with each response's headers, in the same
   * order). Used instead of toRequest/fromResponse when set.
   */
  toRequests?(req: Req, target: ProviderTarget, ctx: RequestContext): UpstreamRequest[];
  fromResponses?(bodies: unknown[], req: Req, target: ProviderTarget, headers: Array<Record<string, string>>): Res;
}

export type Operation = 'chat' | 'completions' | 'embeddings' | 'rerank' | 'images' | 'messages' | 'responses' | 'passthrough';

export interface ProviderCapabilities {
  endpoints: Operation[];
  streaming: boolean;
  tools: boolean;
  vision: boolean;
  embeddings: boolean;
  auth: string[];
  /** Where requests go, for docs/providers.md: a URL, with {setting} placeholders filled from x-portkey-* headers. */
  upstream?: string;
}

/**
 * What authorize() may use to reach a token endpoint: the egress policy's dispatcher and check, and
 * the token endpoints the operator allows besides the provider's own.
 */
export interface AuthorizeContext {
  /** Checks a URL against the egress policy; rejects with a 400 naming `param` when it may not be reached. */
  checkEgress(url: string, param: string): Promise<unknown>;
  /** The dispatcher whose connections re-check every resolved address against the policy. */
  dispatcher: import('undici').Dispatcher;
  /** Extra OAuth token endpoints allowed for service-account auth (VERTEX_TOKEN_URIS). */
  tokenUris: readonly string[];
}

export interface Provider {
  id: string;
  name: string;
  capabilities: ProviderCapabilities;
  chat?: OperationMapping<ChatRequest, ChatCompletion>;
  completions?: OperationMapping<CompletionRequest, JsonObject>;
  embeddings?: OperationMapping<EmbeddingRequest, EmbeddingResponse>;
  rerank?: OperationMapping<RerankRequest, RerankResponse>;
  images?: OperationMapping<ImageGenerationRequest, ImageGenerationResponse>;
  /**
   * Raw forwarding for bodies already in the provider's own format (Anthropic /v1/messages to
   * Anthropic, /v1/responses to OpenAI, any other /v1/* path). Returns the upstream URL and auth
   * headers for `path` (starting with /v1/...). Pure.
   */
  passthrough?(path: string, target: ProviderTarget): { url: string; headers: Record<string, string> };
  /**
   * The model a target names outside the body, for logs and pricing: Azure's azure_model_name (the
   * model behind a deployment), SageMaker's model name or endpoint, the foundation model behind a
   * Bedrock inference-profile ARN. Takes precedence over the body's model. Pure.
   */
  targetModel?(target: ProviderTarget, path: string): string | undefined;
  /** Operations whose inbound wire format is this provider's own, so bodies pass through unparsed. */
  nativeOperations?: Operation[];
  /**
   * Where the provider goes without a custom_host when that is a local model server (vllm, lm-studio,
   * ollama): the egress policy checks it like a custom_host, so CUSTOM_HOST_ALLOW_LOOPBACK=false holds for it too.
   */
  localBaseUrl?: string;
  /**
   * Impure hook run just before sending: request signing (SigV4), token exchange (Vertex), credential
   * lookup. Lives in the provider's auth.ts, never in the pure mapping files.
   */
  authorize?(req: UpstreamRequest, target: ProviderTarget, ctx?: AuthorizeContext): Promise<UpstreamRequest>;
  /**
   * The usage in a response body of this provider's own API (a native operation), as OpenAI usage: the
   * one mapping used for every path that relays the provider's body. Without it, OpenAI's shapes. Pure.
   */
  nativeUsage?(op: Operation, body: unknown): Usage | undefined;
  /**
   * Request headers of this provider's own protocol that a client sends for it (OpenAI-Beta,
   * anthropic-beta): forwarded as they came, on every route to this provider. Never auth or
   * hop-by-hop headers (a test holds every provider to that).
   */
  protocolHeaders?: readonly string[];
  /** Maps a non-2xx upstream response to a GatewayError, keeping the provider's status and message. Pure. */
  mapError(status: number, body: string, headers: Record<string, string>): GatewayError;
}
