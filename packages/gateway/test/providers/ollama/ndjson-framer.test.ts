import { describe, expect, it } from 'vitest';
import { createNdjsonFramer } from '../../../src/streaming/framers/ndjson.js';
import { GatewayError } from '../../../src/errors.js';

const lines = [
  { model: 'llama3.2', created_at: '2025-10-26T17:15:24.097767Z', message: { role: 'assistant', content: 'Héllo 👋' }, done: false },
  { model: 'llama3.2', created_at: '2025-10-26T17:15:24.109172Z', message: { role: 'assistant', content: ' 日本語' }, done: false },
  { model: 'llama3.2', created_at: '2025-10-26T17:15:24.166576Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 3, eval_count: 4 },
];
const wire = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 'utf8');

function frameAll(chunks: Uint8Array[]) {
  const f = createNdjsonFramer();
  const out = chunks.flatMap((c) => f.push(c));
  out.push(...f.end());
  return out.map((e) => JSON.parse(e.data) as unknown);
}

/** Deterministic pseudo-random split points, so a failure can be reproduced from the seed. */
function splitAt(buf: Buffer, seed: number): Buffer[] {
  const parts: Buffer[] = [];
  let x = seed;
  let i = 0;
  while (i < buf.length) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (x % 17);
    parts.push(buf.subarray(i, i + n));
    i += n;
  }
  return parts;
}

describe('NDJSON framer', () => {
  it('yields one event per line from a single chunk', () => {
    expect(frameAll([wire])).toEqual(lines);
  });

  it('reassembles lines split at every byte, including inside multi-byte UTF-8 characters', () => {
    const bytes = [...wire].map((b) => Uint8Array.of(b));
    expect(frameAll(bytes)).toEqual(lines);
  });

  it.each([1, 2, 3, 42, 1337, 99991])('reassembles lines under random splits (seed %i)', (seed) => {
    expect(frameAll(splitAt(wire, seed))).toEqual(lines);
  });

  it('accepts CRLF line ends and skips blank lines', () => {
    const crlf = Buffer.from(`\r\n${JSON.stringify(lines[0])}\r\n\r\n${JSON.stringify(lines[2])}\r\n`);
    expect(frameAll([crlf])).toEqual([lines[0], lines[2]]);
  });

  it('does not depend on the caller keeping its chunk buffer intact', () => {
    const f = createNdjsonFramer();
    const chunk = Buffer.from('{"a":"first half');
    expect(f.push(chunk)).toEqual([]);
    chunk.fill(0x20); // the caller reuses its buffer
    expect(f.push(Buffer.from(' second half"}\n'))).toEqual([{ data: '{"a":"first half second half"}' }]);
  });

  it('accepts a final complete JSON line without a trailing newline', () => {
    const f = createNdjsonFramer();
    expect(f.push(Buffer.from('{"done":true}'))).toEqual([]);
    expect(f.end()).toEqual([{ data: '{"done":true}' }]);
  });

  it('throws a 502 GatewayError when the stream ends inside a line', () => {
    const f = createNdjsonFramer();
    f.push(Buffer.from('{"done":tr'));
    expect(() => f.end()).toThrow(GatewayError);
    const g = createNdjsonFramer();
    g.push(Buffer.from('{"a":'));
    try {
      g.end();
      expect.unreachable();
    } catch (e) {
      expect((e as GatewayError).status).toBe(502);
      expect((e as GatewayError).message).toMatch(/ended in the middle of a line/);
    }
  });

  it('rejects a line larger than its bound, whether it arrives at once or in pieces', () => {
    const f = createNdjsonFramer({ maxLineBytes: 64 });
    expect(() => f.push(Buffer.from(`${'x'.repeat(100)}\n`))).toThrow(/longer than 64 bytes/);
    const g = createNdjsonFramer({ maxLineBytes: 64 });
    g.push(Buffer.from('y'.repeat(40)));
    expect(() => g.push(Buffer.from('y'.repeat(40)))).toThrow(/longer than 64 bytes/);
    const h = createNdjsonFramer({ maxLineBytes: 64 });
    expect(h.push(Buffer.from(`${'"'.padEnd(62, 'z')}"\n`))).toHaveLength(1); // exactly at the bound is fine
  });

  it('rejects push after end', () => {
    const f = createNdjsonFramer();
    f.end();
    expect(() => f.push(Buffer.from('{}\n'))).toThrow(/after end/);
  });
});
