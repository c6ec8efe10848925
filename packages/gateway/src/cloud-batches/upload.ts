/**
 * Receiving a batch file: the multipart body's file part is read as it arrives (busboy, one file,
 * bounded by MAX_UPLOAD_BYTES), split into JSONL lines (each bounded), and what the caller makes of each
 * line is written to object storage in parts of a fixed size. Memory holds one part and one line,
 * never the file; the client's upload waits while a part is sent (backpressure).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { badRequest, GatewayError } from '../errors.js';

/** Sends an object in parts: part() for every full part, finish() with the rest, abort() on failure. */
export interface PartWriter {
  part(data: Buffer): Promise<void>;
  finish(last: Buffer): Promise<void>;
  abort(): Promise<void>;
}

/** Collects text and hands the writer parts of exactly `partSize` bytes. */
export class PartSink {
  private chunks: Buffer[] = [];
  private held = 0;
  bytes = 0;

  constructor(private readonly writer: PartWriter, private readonly partSize: number) {}

  async write(text: string): Promise<void> {
    const b = Buffer.from(text);
    this.chunks.push(b);
    this.held += b.length;
    this.bytes += b.length;
    while (this.held >= this.partSize) {
      const all = Buffer.concat(this.chunks);
      await this.writer.part(all.subarray(0, this.partSize));
      const rest = all.subarray(this.partSize);
      this.chunks = rest.length ? [Buffer.from(rest)] : [];
      this.held = rest.length;
    }
  }

  async finish(): Promise<number> {
    await this.writer.finish(Buffer.concat(this.chunks));
    this.chunks = [];
    return this.bytes;
  }

  async abort(): Promise<void> {
    this.chunks = [];
    await this.writer.abort().catch(() => undefined);
  }
}

/** JSONL lines of a byte stream, numbered from 1; blank lines are skipped; a line over the bound is a 400. */
export async function* jsonlLines(stream: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<{ text: string; lineNo: number }> {
  let rest: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  for await (const chunk of stream) {
    let buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(10)) !== -1) {
      lineNo++;
      const text = buf.subarray(0, nl).toString('utf8').trim();
      buf = buf.subarray(nl + 1);
      if (text) yield { text, lineNo };
    }
    if (buf.length > maxLineBytes) throw lineTooLong(lineNo + 1, maxLineBytes);
    rest = Buffer.from(buf);
  }
  const last = rest.toString('utf8').trim();
  if (last) yield { text: last, lineNo: lineNo + 1 };
}

function lineTooLong(lineNo: number, max: number): GatewayError {
  return badRequest(`Line ${lineNo} of the batch file is longer than ${max} bytes (MAX_BODY_BYTES); split the request or shorten it.`, 'file', 'invalid_batch_line');
}

export interface ReceivedFile<T> {
  result: T;
  fields: Record<string, string>;
  filename: string;
}

/**
 * Reads a multipart/form-data upload: `consume` gets the part named "file" as a stream; the other
 * fields (purpose) are collected. Rejects as soon as `consume` does, leaving the rest unread.
 */
export function receiveFile<T>(req: IncomingMessage, maxBytes: number, consume: (file: Readable, filename: string) => Promise<T>): Promise<ReceivedFile<T>> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) {
    req.resume();
    return Promise.reject(new GatewayError({ status: 415, code: 'unsupported_media_type', param: 'file', message: 'Upload files as multipart/form-data with the fields "file" and "purpose".' }));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe();
      req.resume();
      reject(e);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 8, fieldSize: 4096, fileSize: maxBytes } });
    } catch (e) {
      return fail(badRequest(`The multipart body could not be read: ${(e as Error).message}`, 'file'));
    }
    const fields: Record<string, string> = {};
    let work: Promise<T> | undefined;
    let filename = '';
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || work) {
        stream.resume();
        return;
      }
      filename = info.filename ?? '';
      stream.on('limit', () => stream.destroy(new GatewayError({ status: 413, code: 'request_too_large', param: 'file', message: `The file is larger than the gateway's limit of ${maxBytes} bytes (MAX_UPLOAD_BYTES).` })));
      work = consume(stream, filename);
      work.catch(fail);
    });
    parser.on('error', (e) => fail(badRequest(`The multipart body could not be read: ${(e as Error).message}`, 'file')));
    parser.on('close', () => {
      if (!work) return fail(badRequest('The upload has no "file" part; send the JSONL file as the multipart field "file".', 'file', 'missing_parameter'));
      work.then((result) => {
        if (settled) return;
        settled = true;
        resolve({ result, fields, filename });
      }, fail);
    });
    req.on('aborted', () => fail(new GatewayError({ status: 400, code: 'request_aborted', message: 'The upload stopped before its end; nothing was kept.' })));
    req.pipe(parser);
  });
}
