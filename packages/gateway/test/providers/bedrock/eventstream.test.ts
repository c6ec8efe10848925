import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { createAwsEventStreamFramer, decodeAwsEventStreamHeaders } from '../../../src/streaming/framers/aws-eventstream.js';
import type { FramedEvent } from '../../../src/providers/types.js';
import { bedrockSpecDir } from './bedrock-schema.js';
import { encodeAwsEventStreamMessage, encodeEvent, encodeException } from './eventstream-encoder.js';

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function decodeAll(bytes: Uint8Array, splits: number[]): FramedEvent[] {
  const f = createAwsEventStreamFramer();
  const out: FramedEvent[] = [];
  let prev = 0;
  for (const s of [...splits, bytes.byteLength]) {
    out.push(...f.push(bytes.subarray(prev, s)));
    prev = s;
  }
  out.push(...f.end());
  return out;
}

describe('AWS event-stream encoder (test helper) against the spec', () => {
  it('lays out prelude, headers, payload and CRCs as amazon-eventstream.rst specifies (CRCs checked with zlib.crc32)', () => {
    const spec = fs.readFileSync(path.join(bedrockSpecDir(), 'amazon-eventstream.rst'), 'utf8');
    expect(spec).toContain('uint32 prelude_crc;');
    const msg = encodeAwsEventStreamMessage({ ':message-type': 'event' }, '{"a":1}');
    const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const headerLen = 1 + ':message-type'.length + 1 + 2 + 'event'.length;
    expect(v.getUint32(0)).toBe(msg.byteLength);
    expect(v.getUint32(0)).toBe(12 + headerLen + 7 + 4);
    expect(v.getUint32(4)).toBe(headerLen);
    expect(v.getUint32(8)).toBe(zlib.crc32(msg.subarray(0, 8)));
    expect(msg[12]).toBe(':message-type'.length);
    expect(msg[12 + 1 + 13]).toBe(7); // string type indicator
    expect(Buffer.from(msg.subarray(12 + headerLen, msg.byteLength - 4)).toString()).toBe('{"a":1}');
    expect(v.getUint32(msg.byteLength - 4)).toBe(zlib.crc32(msg.subarray(0, msg.byteLength - 4)));
  });
});

describe('createAwsEventStreamFramer', () => {
  const msgs = [
    encodeEvent('messageStart', { role: 'assistant', p: 'abc' }),
    encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'héllo ✓' } }),
    encodeException('throttlingException', 'slow down'),
    encodeAwsEventStreamMessage({ ':message-type': 'event', ':event-type': 'empty' }, new Uint8Array(0)),
  ];
  const stream = concat(msgs);

  it('decodes headers of every value type', () => {
    const msg = encodeAwsEventStreamMessage(
      {
        t: { type: 'boolean', value: true },
        f: { type: 'boolean', value: false },
        b: { type: 'byte', value: -7 },
        s: { type: 'short', value: -30000 },
        i: { type: 'integer', value: 2_000_000_000 },
        l: { type: 'long', value: -9_007_199_254_740_993n },
        bin: { type: 'binary', value: Uint8Array.of(0, 1, 254, 255) },
        str: 'ünïcode',
        ts: { type: 'timestamp', value: 1_764_000_000_123n },
        id: { type: 'uuid', value: '0f8fad5b-d9cb-469f-a165-70867728950e' },
      },
      'x',
    );
    const [ev] = decodeAll(msg, []);
    expect(ev!.headers).toEqual({
      t: 'true', f: 'false', b: '-7', s: '-30000', i: '2000000000', l: '-9007199254740993',
      bin: 'AAH+/w==', str: 'ünïcode', ts: '1764000000123', id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    });
    expect(ev!.data).toBe('x');
  });

  it('yields the same events however the bytes are split: every single boundary, and byte by byte', () => {
    const whole = decodeAll(stream, []);
    expect(whole.map((e) => e.event)).toEqual(['messageStart', 'contentBlockDelta', 'throttlingException', 'empty']);
    expect(JSON.parse(whole[1]!.data)).toEqual({ contentBlockIndex: 0, delta: { text: 'héllo ✓' } });
    expect(whole[2]!.headers).toMatchObject({ ':message-type': 'exception', ':exception-type': 'throttlingException' });
    expect(whole[3]!.data).toBe('');
    for (let cut = 1; cut < stream.byteLength; cut++) expect(decodeAll(stream, [cut])).toEqual(whole);
    expect(decodeAll(stream, Array.from({ length: stream.byteLength - 1 }, (_, i) => i + 1))).toEqual(whole);
  });

  it('returns several messages from one chunk', () => {
    const f = createAwsEventStreamFramer();
    expect(f.push(stream)).toHaveLength(4);
    expect(f.end()).toEqual([]);
  });

  it('detects a corrupt prelude CRC, a corrupt payload (message CRC) and a corrupt message CRC', () => {
    for (const offset of [2, 9, 20, msgs[0]!.byteLength - 6, msgs[0]!.byteLength - 1]) {
      const bad = Uint8Array.from(stream);
      bad[offset] = bad[offset]! ^ 0x01;
      const f = createAwsEventStreamFramer();
      let err: unknown;
      try {
        f.push(bad);
      } catch (e) {
        err = e;
      }
      expect(err, `flip at byte ${offset}`).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status).toBe(502);
      expect((err as GatewayError).message).toMatch(/checksum mismatch/);
      expect(() => f.push(new Uint8Array(1))).toThrow(GatewayError); // a failed stream stays failed
    }
  });

  it('throws on a stream that ends inside a message', () => {
    const f = createAwsEventStreamFramer();
    expect(f.push(stream.subarray(0, msgs[0]!.byteLength + 5))).toHaveLength(1);
    expect(() => f.end()).toThrow(/ended inside a message \(5 trailing bytes\)/);
  });

  it('rejects messages larger than its bound, before buffering them', () => {
    const big = encodeEvent('x', { s: 'y'.repeat(2000) });
    const f = createAwsEventStreamFramer({ maxMessageBytes: 1024 });
    expect(() => f.push(big.subarray(0, 12))).toThrow(/exceeds the limit of 1024 bytes/);
  });

  it('rejects a prelude whose header length cannot fit, and unknown header types', () => {
    const msg = Uint8Array.from(encodeEvent('x', {}));
    const v = new DataView(msg.buffer);
    v.setUint32(4, msg.byteLength); // headers longer than the message
    v.setUint32(8, zlib.crc32(msg.subarray(0, 8)));
    expect(() => createAwsEventStreamFramer().push(msg)).toThrow(/does not fit/);
    expect(() => decodeAwsEventStreamHeaders(Uint8Array.of(1, 0x61, 42))).toThrow(/unknown value type 42/);
    expect(() => decodeAwsEventStreamHeaders(Uint8Array.of(1, 0x61, 7, 0, 9, 0x62))).toThrow(/runs past/);
  });
});
