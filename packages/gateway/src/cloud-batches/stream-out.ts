/** Sending a stored object to the client as it streams in: as stored, or converted line by line. */
import type { CloudContext } from './context.js';
import { jsonOf, type CloudResponse } from './http.js';
import { jsonlLines } from './upload.js';

async function write(c: CloudContext, data: string | Buffer): Promise<boolean> {
  if (c.res.destroyed) return false;
  if (!c.res.write(data)) await new Promise<void>((r) => { c.res.once('drain', r); c.res.once('close', r); });
  return !c.res.destroyed;
}

/** The object as stored (a batch input file). */
export async function streamRaw(c: CloudContext, obj: CloudResponse): Promise<void> {
  const length = obj.headers['content-length'];
  c.log.responseNote = `[file content${length ? ` of ${length} bytes` : ''}, streamed from storage, not logged]`;
  c.res.writeHead(200, { 'content-type': 'application/octet-stream', ...(length ? { 'content-length': length } : {}) });
  try {
    for await (const chunk of obj.body as AsyncIterable<Buffer>) if (!(await write(c, chunk))) return void obj.body.destroy();
    c.res.end();
  } catch {
    c.res.destroy();
  }
}

/** Each JSONL record of the object mapped to an output line; one line in memory at a time. */
export async function streamConverted(c: CloudContext, obj: CloudResponse, map: (record: unknown, index: number) => unknown): Promise<void> {
  c.res.writeHead(200, { 'content-type': 'application/octet-stream' });
  c.log.responseNote = '[batch output, converted to OpenAI batch output lines as it streamed from storage, not logged]';
  let index = 0;
  try {
    for await (const { text } of jsonlLines(obj.body as AsyncIterable<Buffer>, c.maxLineBytes)) {
      if (!(await write(c, JSON.stringify(map(jsonOf(text) ?? text, index++)) + '\n'))) return void obj.body.destroy();
    }
    c.res.end();
  } catch (e) {
    // Headers are gone: a cut connection is the only honest way left to say the output is incomplete.
    c.logger.warn({ err: (e as Error).message }, 'batch output: the stream from object storage broke');
    c.res.destroy();
  }
}
