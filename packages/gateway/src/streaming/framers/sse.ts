import { GatewayError } from '../../errors.js';
import type { FramedEvent } from '../../providers/types.js';
import type { Framer } from '../types.js';

const MAX_EVENT_BYTES = 8 * 1024 * 1024;

/**
 * Incremental Server-Sent Events parser (WHATWG rules: LF / CRLF / CR line ends, `event:`, multi-line
 * `data:`, comments ignored). Bounded: one event larger than 8 MiB is an error, never unbounded growth.
 */
export function createSseFramer(): Framer {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  let pendingCR = false;

  function dispatch(out: FramedEvent[]) {
    if (data.length > 0) out.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
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

  function consume(text: string, out: FramedEvent[]) {
    let start = 0;
    if (pendingCR && text.charCodeAt(0) === 10) start = 1;
    pendingCR = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        processLine(buffer + text.slice(start, i), out);
        buffer = '';
        if (c === 13) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === 10) i++;
          } else pendingCR = true;
        }
        start = i + 1;
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
      consume(decoder.decode(chunk, { stream: true }), out);
      return out;
    },
    end() {
      const out: FramedEvent[] = [];
      const rest = decoder.decode();
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
