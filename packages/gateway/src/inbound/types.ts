import type { GatewayError } from '../errors.js';
import type { ChatChunk, ChatCompletion, ChatRequest, Operation } from '../providers/types.js';

/** Turns the internal OpenAI chunk stream into the client's wire format. */
export interface StreamEncoder {
  encode(chunk: ChatChunk): string;
  /** The terminal event(s) of a clean finish. */
  end(): string;
  /** An error event for a stream that failed after bytes were sent: never looks like a clean finish. */
  error(err: GatewayError): string;
}

/**
 * One inbound API (OpenAI chat, Anthropic messages, OpenAI Responses, completions, embeddings).
 * For providers that do not speak it natively, requests are translated through OpenAI chat.
 */
export interface InboundApi {
  op: Operation;
  /** Cheap checks run on every request, native or translated: a 400 naming the bad field. */
  validate?(body: Record<string, unknown>): void;
  /** Validates the body and maps it to an OpenAI chat request. */
  toChat?(body: Record<string, unknown>): ChatRequest;
  /** Maps an OpenAI chat completion back to this API's response body. */
  fromChat?(res: ChatCompletion, body: Record<string, unknown>): unknown;
  /** `finished` receives the whole response object at a clean end, where the API has one (Responses). */
  createStreamEncoder?(opts: { model: string; includeUsage: boolean; body: Record<string, unknown>; finished?: (response: Record<string, unknown>) => void }): StreamEncoder;
  /** The error body in this API's own shape (Anthropic clients expect Anthropic's). */
  renderError(err: GatewayError): { status: number; body: unknown };
  /** Whether this request asks for a stream. */
  isStream(body: Record<string, unknown> | undefined): boolean;
  /** The model the request names, for routing, logs and metrics. */
  modelOf(body: Record<string, unknown> | undefined): string | undefined;
}
