import { GatewayError } from '../../errors.js';
import type { FramedEvent } from '../../providers/types.js';
import type { Framer } from '../types.js';

const MAX_EVENT_BYTES = 8 * 1024 * 1024;

/**
 * Incremental Server-Sent Events parser (WHATWG rules: LF / CRLF / CR line ends, `event:`, multi-line
 * `data:`, comments ignored). Bounded: one event larger than 8 MiB is an error, never unbounded growth.
 */
export function createSseFramer(): Framer {
  // ignoreBOM: a leading BOM is dropped here, once, not wherever the decoder happens to start.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let decoderMayHold = false;
  let atStart = true;
  let heldStart: Uint8Array | undefined;
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  let pendingCR = false;

  /** UTF-8 text of a chunk; a multi-byte character split across chunks is held by the decoder. */
  function decode(chunk: Uint8Array): string {
    if (atStart) {
      if (heldStart) chunk = Buffer.concat([heldStart, chunk]);
      heldStart = undefined;
      // A stream that starts with part of a BOM: wait for the rest before deciding.
      if (chunk.length < 3 && chunk[0] === 0xef && (chunk.length < 2 || chunk[1] === 0xbb)) {
        heldStart = chunk;
        return '';
      }
      if (chunk.length > 0) atStart = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const last = chunk.length === 0 ? 0 : chunk[chunk.length - 1];
    // Plain toString is several times cheaper, and right whenever no character spans the chunk's edges.
    if (!decoderMayHold && last < 0x80) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    decoderMayHold = last >= 0x80;
    return decoder.decode(chunk, { stream: true });
  }

  function dispatch(out: FramedEvent[]) {
    if (data.length > 0) {
      const text = data.length === 1 ? data[0] : data.join('\n');
      out.push(event === undefined ? { data: text } : { event, data: text });
    }
    event = undefined;
    data = [];
  }

  function processLine(line: string, out: FramedEvent[]) {
    if (line === '') return dispatch(out);
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }

  /** Splits text into lines with indexOf (native string search), not a loop over every character. */
  function consume(text: string, out: FramedEvent[]) {
    let start = 0;
    if (pendingCR && text.charCodeAt(0) === 10) start = 1;
    pendingCR = false;
    let cr = text.indexOf('\r', start);
    while (start < text.length) {
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      const lf = text.indexOf('\n', start);
      const end = lf === -1 ? cr : cr === -1 || lf < cr ? lf : cr;
      if (end === -1) break;
      processLine(buffer === '' ? text.slice(start, end) : buffer + text.slice(start, end), out);
      buffer = '';
      start = end + 1;
      if (end === cr) {
        // CRLF is one line end; a CR at the chunk's edge may be followed by the LF in the next chunk.
        if (start < text.length) {
          if (text.charCodeAt(start) === 10) start++;
        } else pendingCR = true;
      }
    }
    if (start < text.length) buffer += text.slice(start);
    if (buffer.length > MAX_EVENT_BYTES) {
      throw new GatewayError({ status: 502, message: 'Upstream sent a server-sent event larger than 8 MiB; the stream was stopped.', type: 'upstream_error', code: 'stream_frame_too_large' });
    }
  }

  return {
    push(chunk) {
      const out: FramedEvent[] = [];
      consume(decode(chunk), out);
      return out;
    },
    end() {
      const out: FramedEvent[] = [];
      const rest = (heldStart ? decoder.decode(heldStart, { stream: true }) : '') + decoder.decode();
      heldStart = undefined;
      if (rest) consume(rest, out);
      if (buffer) {
        processLine(buffer, out);
        buffer = '';
      }
      dispatch(out);
      return out;
    },
  };
}

/** Encodes one SSE event. */
export function encodeSseEvent(data: string, event?: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}
