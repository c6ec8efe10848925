/**
 * Test-only encoder of `application/vnd.amazon.eventstream` messages, written from the spec
 * (../shared/specs/bedrock/amazon-eventstream.rst): prelude, headers of every value type, payload,
 * and both CRC32s (computed with @aws-crypto/crc32).
 */
import { crc32 } from '@aws-crypto/crc32';

export type EventStreamHeaderValue =
  | string
  | { type: 'boolean'; value: boolean }
  | { type: 'byte' | 'short' | 'integer'; value: number }
  | { type: 'long' | 'timestamp'; value: bigint }
  | { type: 'binary'; value: Uint8Array }
  | { type: 'uuid'; value: string };

const enc = new TextEncoder();

function headerBytes(name: string, v: EventStreamHeaderValue): Uint8Array {
  const n = enc.encode(name);
  if (n.byteLength < 1 || n.byteLength > 255) throw new Error(`header name "${name}" must be 1..255 bytes`);
  let value: Uint8Array;
  const typed = typeof v === 'string' ? ({ type: 'string', value: v } as const) : v;
  switch (typed.type) {
    case 'boolean':
      value = Uint8Array.of(typed.value ? 0 : 1);
      break;
    case 'byte': {
      value = new Uint8Array(2);
      value[0] = 2;
      new DataView(value.buffer).setInt8(1, typed.value);
      break;
    }
    case 'short': {
      value = new Uint8Array(3);
      value[0] = 3;
      new DataView(value.buffer).setInt16(1, typed.value);
      break;
    }
    case 'integer': {
      value = new Uint8Array(5);
      value[0] = 4;
      new DataView(value.buffer).setInt32(1, typed.value);
      break;
    }
    case 'long':
    case 'timestamp': {
      value = new Uint8Array(9);
      value[0] = typed.type === 'long' ? 5 : 8;
      new DataView(value.buffer).setBigInt64(1, typed.value);
      break;
    }
    case 'binary':
    case 'string': {
      const bytes = typed.type === 'string' ? enc.encode(typed.value) : typed.value;
      value = new Uint8Array(3 + bytes.byteLength);
      value[0] = typed.type === 'string' ? 7 : 6;
      new DataView(value.buffer).setUint16(1, bytes.byteLength);
      value.set(bytes, 3);
      break;
    }
    case 'uuid': {
      const hex = typed.value.replace(/-/g, '');
      if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`"${typed.value}" is not a UUID`);
      value = new Uint8Array(17);
      value[0] = 9;
      for (let i = 0; i < 16; i++) value[1 + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
      break;
    }
  }
  const out = new Uint8Array(1 + n.byteLength + value.byteLength);
  out[0] = n.byteLength;
  out.set(n, 1);
  out.set(value, 1 + n.byteLength);
  return out;
}

export function encodeAwsEventStreamMessage(headers: Record<string, EventStreamHeaderValue>, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? enc.encode(payload) : payload;
  const hs = Object.entries(headers).map(([k, v]) => headerBytes(k, v));
  const headersLen = hs.reduce((a, h) => a + h.byteLength, 0);
  const total = 12 + headersLen + body.byteLength + 4;
  const msg = new Uint8Array(total);
  const view = new DataView(msg.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLen);
  view.setUint32(8, crc32(msg.subarray(0, 8)));
  let p = 12;
  for (const h of hs) {
    msg.set(h, p);
    p += h.byteLength;
  }
  msg.set(body, p);
  view.setUint32(total - 4, crc32(msg.subarray(0, total - 4)));
  return msg;
}

/** An `event` message with a JSON payload, as Bedrock sends ConverseStream and InvokeModel events. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return encodeAwsEventStreamMessage({ ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(payload));
}

/** A modeled exception message, e.g. throttlingException with {"message":...}. */
export function encodeException(exceptionType: string, message: string): Uint8Array {
  return encodeAwsEventStreamMessage({ ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' }, JSON.stringify({ message }));
}
