/**
 * Decoder for `application/vnd.amazon.eventstream` (AWS event-stream), the binary framing of Bedrock's
 * ConverseStream and InvokeModelWithResponseStream. Incremental across arbitrary chunk boundaries.
 *
 * Message: u32 total_length, u32 headers_length, u32 prelude_crc, headers, payload, u32 message_crc
 * (big-endian; CRC32 over everything before each checksum). Both checksums are verified; a mismatch
 * ends the stream with a GatewayError, as the spec requires.
 *
 * Header values become strings in FramedEvent.headers: booleans 'true'/'false', integers in decimal
 * (long as a BigInt decimal), byte_array as base64, timestamp as milliseconds since the epoch in
 * decimal, uuid in the canonical 8-4-4-4-12 hex form.
 */
import { crc32 } from '@aws-crypto/crc32';
import { GatewayError } from '../../errors.js';
import type { FramedEvent } from '../../providers/types.js';
import type { Framer } from '../types.js';

const PRELUDE_BYTES = 12;
const MIN_MESSAGE_BYTES = 16; // prelude + message CRC, no headers, no payload
export const AWS_EVENTSTREAM_DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface AwsEventStreamFramerOptions {
  /** Largest single message accepted, bytes (default 16 MiB). */
  maxMessageBytes?: number;
}

function corrupt(detail: string): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'upstream_stream_corrupt',
    message: `The upstream AWS event stream is corrupt: ${detail}. The response was cut off; retry the request.`,
  });
}

const utf8 = new TextDecoder('utf-8');

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses the header block of one message into string values. Exported for tests. */
export function decodeAwsEventStreamHeaders(block: Uint8Array): Record<string, string> {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const out: Record<string, string> = {};
  let p = 0;
  const need = (n: number, what: string) => {
    if (p + n > block.byteLength) throw corrupt(`header ${what} runs past the header block`);
  };
  while (p < block.byteLength) {
    need(1, 'name length');
    const nameLen = view.getUint8(p);
    p += 1;
    if (nameLen === 0) throw corrupt('a header has an empty name');
    need(nameLen, 'name');
    const name = utf8.decode(block.subarray(p, p + nameLen));
    p += nameLen;
    need(1, 'type');
    const type = view.getUint8(p);
    p += 1;
    let value: string;
    switch (type) {
      case 0: value = 'true'; break;
      case 1: value = 'false'; break;
      case 2: need(1, 'byte'); value = String(view.getInt8(p)); p += 1; break;
      case 3: need(2, 'short'); value = String(view.getInt16(p)); p += 2; break;
      case 4: need(4, 'integer'); value = String(view.getInt32(p)); p += 4; break;
      case 5: need(8, 'long'); value = view.getBigInt64(p).toString(); p += 8; break;
      case 6:
      case 7: {
        need(2, 'value length');
        const len = view.getUint16(p);
        p += 2;
        need(len, 'value');
        const bytes = block.subarray(p, p + len);
        value = type === 6 ? Buffer.from(bytes).toString('base64') : utf8.decode(bytes);
        p += len;
        break;
      }
      case 8: need(8, 'timestamp'); value = view.getBigInt64(p).toString(); p += 8; break;
      case 9: {
        need(16, 'uuid');
        const h = hex(block.subarray(p, p + 16));
        value = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
        p += 16;
        break;
      }
      default:
        throw corrupt(`header "${name}" has unknown value type ${type}`);
    }
    out[name] = value;
  }
  return out;
}

class AwsEventStreamFramer implements Framer {
  private buf = new Uint8Array(0);
  private start = 0;
  private end_ = 0;
  private failed = false;
  constructor(private readonly maxMessageBytes: number) {}

  private append(chunk: Uint8Array): void {
    const have = this.end_ - this.start;
    if (this.buf.byteLength - this.end_ >= chunk.byteLength) {
      this.buf.set(chunk, this.end_);
      this.end_ += chunk.byteLength;
      return;
    }
    // Compact, growing only when the live bytes do not fit.
    const needed = have + chunk.byteLength;
    const next = needed <= this.buf.byteLength ? this.buf : new Uint8Array(Math.max(needed, this.buf.byteLength * 2, 4096));
    if (next === this.buf) this.buf.copyWithin(0, this.start, this.end_);
    else next.set(this.buf.subarray(this.start, this.end_), 0);
    next.set(chunk, have);
    this.buf = next;
    this.start = 0;
    this.end_ = needed;
  }

  push(chunk: Uint8Array): FramedEvent[] {
    if (this.failed) throw corrupt('data arrived after the stream was already found corrupt');
    if (chunk.byteLength > 0) this.append(chunk);
    const events: FramedEvent[] = [];
    try {
      for (;;) {
        const ev = this.next();
        if (!ev) break;
        events.push(ev);
      }
    } catch (e) {
      this.failed = true;
      throw e;
    }
    return events;
  }

  private next(): FramedEvent | undefined {
    const have = this.end_ - this.start;
    if (have < PRELUDE_BYTES) return undefined;
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.start, have);
    const total = view.getUint32(0);
    const headersLen = view.getUint32(4);
    const preludeCrc = view.getUint32(8);
    const actualPreludeCrc = crc32(this.buf.subarray(this.start, this.start + 8));
    if (actualPreludeCrc !== preludeCrc) throw corrupt('prelude checksum mismatch');
    if (total < MIN_MESSAGE_BYTES) throw corrupt(`message length ${total} is shorter than the minimum ${MIN_MESSAGE_BYTES}`);
    if (total > this.maxMessageBytes) throw corrupt(`message length ${total} exceeds the limit of ${this.maxMessageBytes} bytes`);
    if (headersLen > total - MIN_MESSAGE_BYTES) throw corrupt(`headers length ${headersLen} does not fit in a message of ${total} bytes`);
    if (have < total) return undefined;
    const msg = this.buf.subarray(this.start, this.start + total);
    const messageCrc = view.getUint32(total - 4);
    if (crc32(msg.subarray(0, total - 4)) !== messageCrc) throw corrupt('message checksum mismatch');
    const headers = decodeAwsEventStreamHeaders(msg.subarray(PRELUDE_BYTES, PRELUDE_BYTES + headersLen));
    const data = utf8.decode(msg.subarray(PRELUDE_BYTES + headersLen, total - 4));
    this.start += total;
    if (this.start === this.end_) this.start = this.end_ = 0;
    const ev: FramedEvent = { data, headers };
    const type = headers[':event-type'] ?? headers[':exception-type'];
    if (type !== undefined) ev.event = type;
    return ev;
  }

  end(): FramedEvent[] {
    if (this.failed) return [];
    const left = this.end_ - this.start;
    if (left > 0) {
      this.failed = true;
      throw corrupt(`the stream ended inside a message (${left} trailing bytes)`);
    }
    return [];
  }
}

/** A Framer for `application/vnd.amazon.eventstream` bodies. */
export function createAwsEventStreamFramer(opts: AwsEventStreamFramerOptions = {}): Framer {
  return new AwsEventStreamFramer(opts.maxMessageBytes ?? AWS_EVENTSTREAM_DEFAULT_MAX_MESSAGE_BYTES);
}

const utf8Encode = new TextEncoder();

/**
 * One `exception` message (string headers :message-type, :exception-type, :content-type; a JSON
 * payload {"message"}), for ending a relayed event stream with an error its reader understands.
 */
export function encodeAwsEventStreamException(exceptionType: string, message: string): Uint8Array {
  const headers: Array<[string, string]> = [[':message-type', 'exception'], [':exception-type', exceptionType], [':content-type', 'application/json']];
  const encoded = headers.map(([name, value]) => {
    const n = utf8Encode.encode(name);
    const v = utf8Encode.encode(value);
    const out = new Uint8Array(1 + n.byteLength + 1 + 2 + v.byteLength);
    out[0] = n.byteLength;
    out.set(n, 1);
    out[1 + n.byteLength] = 7; // string
    new DataView(out.buffer).setUint16(2 + n.byteLength, v.byteLength);
    out.set(v, 4 + n.byteLength);
    return out;
  });
  const payload = utf8Encode.encode(JSON.stringify({ message }));
  const headersLen = encoded.reduce((a, h) => a + h.byteLength, 0);
  const total = PRELUDE_BYTES + headersLen + payload.byteLength + 4;
  const msg = new Uint8Array(total);
  const view = new DataView(msg.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLen);
  view.setUint32(8, crc32(msg.subarray(0, 8)));
  let p = PRELUDE_BYTES;
  for (const h of encoded) {
    msg.set(h, p);
    p += h.byteLength;
  }
  msg.set(payload, p);
  view.setUint32(total - 4, crc32(msg.subarray(0, total - 4)));
  return msg;
}
