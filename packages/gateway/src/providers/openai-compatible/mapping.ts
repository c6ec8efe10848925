import { GatewayError } from '../../errors.js';
import type { ChatChunk, FramedEvent, StreamMapping } from '../types.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';

/**
 * Pure mappings shared by every provider that speaks OpenAI's wire format: requests and responses
 * pass through unchanged (unknown fields included), streams are `data: {chunk}` frames ending in
 * `data: [DONE]`, errors are {"error":{"message","type","param","code"}}.
 */

export interface OpenAIStreamState {
  done: boolean;
  sawChunk: boolean;
}

export const openAIChatStream: StreamMapping<OpenAIStreamState, ChatChunk> = {
  framer: 'sse',
  createState: () => ({ done: false, sawChunk: false }),
  fromEvent(state, ev: FramedEvent) {
    if (ev.data === '[DONE]') {
      state.done = true;
      return [];
    }
    const parsed = tryParseJson(ev.data) as (ChatChunk & { error?: unknown }) | undefined;
    if (!parsed || typeof parsed !== 'object') {
      throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_stream_event', message: 'Upstream stream sent an event that is not JSON; the stream was stopped.' });
    }
    if (parsed.error) throw fromOpenAIErrorBody('upstream', 502, parsed, {});
    state.sawChunk = true;
    return [parsed];
  },
  finish(state) {
    if (!state.done) {
      throw new GatewayError({ status: 502, type: 'upstream_error', code: 'stream_truncated', message: 'Upstream stream ended before [DONE]; the response is incomplete.' });
    }
    return [];
  },
};

export function fromOpenAIErrorBody(provider: string, status: number, parsed: unknown, headers: Record<string, string>): GatewayError {
  const err = (parsed as { error?: unknown } | undefined)?.error;
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; type?: unknown; code?: unknown; param?: unknown };
    return upstreamError(provider, status, typeof e.message === 'string' ? e.message : JSON.stringify(err), {
      type: typeof e.type === 'string' ? e.type : undefined,
      code: e.code == null ? null : String(e.code),
      param: typeof e.param === 'string' ? e.param : null,
      headers: retryAfterHeader(headers),
    });
  }
  if (typeof err === 'string') return upstreamError(provider, status, err, { headers: retryAfterHeader(headers) });
  // Some compatible providers answer {"message": "..."} or FastAPI's {"detail": "..."} (Voyage).
  const p = parsed as { message?: unknown; detail?: unknown } | undefined;
  const message = typeof p?.message === 'string' ? p.message : typeof p?.detail === 'string' ? p.detail : `HTTP ${status}`;
  return upstreamError(provider, status, message, { headers: retryAfterHeader(headers) });
}

export function mapOpenAIError(provider: string) {
  return (status: number, body: string, headers: Record<string, string>) => {
    const parsed = tryParseJson(body);
    if (parsed === undefined) return upstreamError(provider, status, body.slice(0, 500), { headers: retryAfterHeader(headers) });
    return fromOpenAIErrorBody(provider, status, parsed, headers);
  };
}

/** Joins a base URL and an inbound /v1/... path: the base already carries the version segment. */
export function joinUpstreamUrl(base: string, inboundPath: string): string {
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  const rest = inboundPath.startsWith('/v1/') ? inboundPath.slice(3) : inboundPath;
  return trimmed + rest;
}
