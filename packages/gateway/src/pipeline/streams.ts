import { GatewayError } from '../errors.js';
import type { ChatChunk, FramedEvent, StreamMapping, Usage } from '../providers/types.js';
import type { StreamEncoder } from '../inbound/types.js';
import type { Framer } from '../streaming/types.js';
import { encodeSseEvent } from '../streaming/framers/sse.js';
import { ChunkAssembler } from '../streaming/chunk-assembler.js';
import { tryParseJson } from '../providers/upstream-error.js';

/** What the gateway learns from a stream while relaying it: for the log, the cache and limits. */
export interface StreamObservation {
  usage?: Usage;
  /** The model the stream's chunks name: the one the provider served. */
  model?: string;
  /** The assembled completion, when the caller asked for it (cache writes). */
  assembler?: ChunkAssembler;
  /** A natively relayed stream's response so far, in its API's own shape (output guardrails). */
  output?: () => Record<string, unknown> | undefined;
  /** A translated stream's whole response object as the client got it, where the API has one (Responses). */
  clientBody?: Record<string, unknown>;
}

type ByteSource = AsyncIterable<Uint8Array>;

/**
 * Translated stream: upstream frames → provider events → OpenAI chunks → the client's encoder.
 * Yields one string per upstream chunk that produced output. Throws a GatewayError when the upstream
 * fails or ends early; the caller turns that into the encoder's error event.
 */
export async function* translateStream(
  source: ByteSource,
  framer: Framer,
  mapping: StreamMapping<unknown, ChatChunk>,
  state: unknown,
  encoder: StreamEncoder,
  seen: StreamObservation,
): AsyncGenerator<string> {
  const emit = (events: FramedEvent[]): string => {
    let out = '';
    for (const ev of events) {
      for (const chunk of mapping.fromEvent(state, ev)) out += encodeChunk(chunk);
    }
    return out;
  };
  const encodeChunk = (chunk: ChatChunk): string => {
    if (chunk.usage) seen.usage = chunk.usage;
    if (chunk.model) seen.model = chunk.model;
    seen.assembler?.push(chunk);
    return encoder.encode(chunk);
  };
  for await (const bytes of source) {
    const out = emit(framer.push(bytes));
    if (out) yield out;
  }
  let tail = emit(framer.end());
  for (const chunk of mapping.finish(state)) tail += encodeChunk(chunk);
  yield tail + encoder.end();
}

/**
 * Native OpenAI-format chat stream: frames are re-emitted as they came (no JSON round trip), except
 * the usage-only chunk, which is dropped when the gateway injected include_usage for its own log.
 */
export async function* relayOpenAIChatStream(
  source: ByteSource,
  framer: Framer,
  clientWantsUsage: boolean,
  seen: StreamObservation,
): AsyncGenerator<string> {
  let done = false;
  const handle = (ev: FramedEvent): string => {
    const data = ev.data;
    if (data === '[DONE]') {
      done = true;
      return 'data: [DONE]\n\n';
    }
    if (data.startsWith('{"error"')) {
      const body = tryParseJson(data) as { error?: { message?: string; type?: string; code?: string } } | undefined;
      throw new GatewayError({ status: 502, type: body?.error?.type ?? 'upstream_error', code: body?.error?.code ?? null, message: `Upstream stream failed: ${body?.error?.message ?? 'error event'}` });
    }
    // A frame that cannot be a JSON object (cut, or garbage) ends the stream with an error event rather
    // than reach the client as a chunk it cannot parse; checking the ends is cheap, a full parse is not.
    if (!looksLikeJsonObject(data)) {
      throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_stream_event', message: `Upstream stream sent a chunk that is not a JSON object (${data.length} bytes starting ${JSON.stringify(data.slice(0, 40))}); the response is incomplete.` });
    }
    const hasUsage = data.includes('"usage":{') || data.includes('"usage": {');
    if (hasUsage || seen.assembler) {
      const chunk = tryParseJson(data) as ChatChunk | undefined;
      if (chunk?.usage) seen.usage = chunk.usage;
      if (chunk?.model) seen.model = chunk.model;
      if (chunk) seen.assembler?.push(chunk);
      if (hasUsage && !clientWantsUsage && chunk && Array.isArray(chunk.choices) && chunk.choices.length === 0) return '';
    }
    return encodeSseEvent(data, ev.event);
  };
  for await (const bytes of source) {
    let out = '';
    for (const ev of framer.push(bytes)) out += handle(ev);
    if (out) yield out;
  }
  let tail = '';
  for (const ev of framer.end()) tail += handle(ev);
  if (!done) {
    if (tail) yield tail;
    throw new GatewayError({ status: 502, type: 'upstream_error', code: 'stream_truncated', message: 'Upstream stream ended before [DONE]; the response is incomplete.' });
  }
  if (tail) yield tail;
}

function looksLikeJsonObject(data: string): boolean {
  let i = 0;
  let j = data.length - 1;
  while (i <= j && data.charCodeAt(i) <= 32) i++;
  while (j >= i && data.charCodeAt(j) <= 32) j--;
  return i < j && data.charCodeAt(i) === 123 && data.charCodeAt(j) === 125;
}

/** Watches a natively relayed stream (bytes forwarded untouched) for usage, completion and errors. */
export interface NativeStreamObserver {
  observe(ev: FramedEvent): void;
  usage(): Usage | undefined;
  completed(): boolean;
  /** An error event or malformed frame seen so far; checked after every chunk. */
  error(): GatewayError | undefined;
  /** The error for a stream that ended before its final event, when the provider can say more than the default. */
  incompleteError?(): GatewayError;
  /** The response so far in its API's own shape; only from observers created to collect it. */
  output?(): Record<string, unknown> | undefined;
}

/** Forwards bytes untouched while an observer reads the frames; throws if the stream ends unfinished. */
export async function* relayObservedStream(
  source: ByteSource,
  framer: Framer,
  observer: NativeStreamObserver,
  seen: StreamObservation,
): AsyncGenerator<Uint8Array> {
  if (observer.output) seen.output = () => observer.output!();
  for await (const bytes of source) {
    for (const ev of framer.push(bytes)) observer.observe(ev);
    seen.usage = observer.usage() ?? seen.usage;
    yield bytes;
    const err = observer.error();
    if (err) throw err;
  }
  for (const ev of framer.end()) observer.observe(ev);
  seen.usage = observer.usage() ?? seen.usage;
  const err = observer.error();
  if (err) throw err;
  if (!observer.completed()) {
    throw observer.incompleteError?.() ?? new GatewayError({ status: 502, type: 'upstream_error', code: 'stream_truncated', message: 'Upstream stream ended before its final event; the response is incomplete.' });
  }
}
