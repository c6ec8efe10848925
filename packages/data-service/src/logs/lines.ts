import type { Readable } from 'node:stream';

/**
 * Splits a byte stream into lines without readline's per-line events and string concatenations:
 * yields batches of complete lines (UTF-8 decoded), carrying a partial last line to the next chunk.
 */
export async function* lineBatches(stream: Readable | AsyncIterable<Buffer>): AsyncIterable<string[]> {
  let carry: Buffer | undefined;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    const last = buf.lastIndexOf(0x0a);
    if (last === -1) {
      carry = buf;
      continue;
    }
    carry = last + 1 < buf.length ? buf.subarray(last + 1) : undefined;
    const text = buf.toString('utf8', 0, last);
    const lines = text.split('\n');
    yield lines;
  }
  if (carry && carry.length) yield [carry.toString('utf8')];
}

/** Counts '\n' in a stream (how many NDJSON lines a file holds), without decoding it. */
export async function countLines(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let i = -1;
    while ((i = chunk.indexOf(0x0a, i + 1)) !== -1) n++;
  }
  return n;
}
