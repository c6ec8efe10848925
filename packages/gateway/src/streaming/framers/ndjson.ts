import { GatewayError } from '../../errors.js';
import type { FramedEvent } from '../../providers/types.js';
import type { Framer } from '../types.js';

/** Largest single NDJSON line accepted (a streamed partial response is tiny; 8 MiB leaves room for images). */
export const NDJSON_MAX_LINE_BYTES = 8 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits newline-delimited JSON (Ollama native streaming) into one event per non-blank line.
 * Lines are cut on bytes before UTF-8 decoding, so a multi-byte character split across chunks is safe.
 * Bounded: a line longer than `maxLineBytes` is an error instead of unbounded buffering.
 */
export function createNdjsonFramer(opts: { maxLineBytes?: number } = {}): Framer {
  const maxLineBytes = opts.maxLineBytes ?? NDJSON_MAX_LINE_BYTES;
  // Pieces of the current, unfinished line; kept as a list to avoid re-copying on every chunk.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let ended = false;

  const tooLong = () =>
    new GatewayError({
      status: 502,
      type: 'upstream_error',
      code: 'stream_line_too_long',
      message: `upstream NDJSON stream sent a line longer than ${maxLineBytes} bytes; the gateway stops reading it to stay within memory. Check that the upstream is a streaming JSON API.`,
    });

  function emit(line: Buffer, out: FramedEvent[]): void {
    let end = line.length;
    if (end > 0 && line[end - 1] === CR) end--;
    const text = line.toString('utf8', 0, end);
    if (text.trim() !== '') out.push({ data: text });
  }

  return {
    push(chunk: Uint8Array): FramedEvent[] {
      if (ended) throw new Error('ndjson framer: push() after end()');
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const out: FramedEvent[] = [];
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(LF, start);
        if (nl === -1) break;
        if (pendingBytes + (nl - start) > maxLineBytes) throw tooLong();
        const piece = buf.subarray(start, nl);
        if (pendingBytes === 0) emit(piece, out);
        else {
          pending.push(piece);
          emit(Buffer.concat(pending, pendingBytes + piece.length), out);
          pending = [];
          pendingBytes = 0;
        }
        start = nl + 1;
      }
      if (start < buf.length) {
        const rest = buf.subarray(start);
        if (pendingBytes + rest.length > maxLineBytes) throw tooLong();
        // Copy: the caller may reuse its chunk buffer after push() returns.
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
      return out;
    },

    end(): FramedEvent[] {
      ended = true;
      if (pendingBytes === 0) return [];
      const last = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const out: FramedEvent[] = [];
      emit(last, out);
      if (out.length === 0) return out;
      // A last line without its newline is fine only if it is a whole JSON value; otherwise the stream was cut.
      try {
        JSON.parse(out[0].data);
      } catch {
        throw new GatewayError({
          status: 502,
          type: 'upstream_error',
          code: 'stream_truncated',
          message: 'upstream NDJSON stream ended in the middle of a line; the response is incomplete. Retry the request.',
        });
      }
      return out;
    },
  };
}
