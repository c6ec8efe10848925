import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';

/**
 * A passthrough request body too large to hold in memory (a file or audio upload): it goes to the
 * upstream as it arrives, with the client's backpressure, and can therefore be sent only once.
 */
export class StreamedUpload {
  /** Whether an upstream request has begun to read it: after that, it cannot be sent again. */
  started = false;
  /** Bytes passed on so far. */
  bytes = 0;

  constructor(
    private prefix: Buffer[],
    private readonly req: IncomingMessage,
    /** The client's content-length, when it sent one (forwarded, so the upstream sees a fixed length). */
    readonly declaredLength: number | undefined,
    private readonly limit: number,
  ) {}

  /** The body for one upstream request. Iterating it a second time fails: the bytes are gone. */
  async *chunks(): AsyncGenerator<Buffer> {
    if (this.started) throw notReplayable();
    this.started = true;
    const prefix = this.prefix;
    this.prefix = [];
    for (const chunk of prefix) yield this.counted(chunk);
    try {
      // Not destroyed when the upstream stops reading early: its answer must still reach the client.
      for await (const chunk of this.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) yield this.counted(chunk);
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw new GatewayError({ status: 400, code: 'request_aborted', message: `The request body could not be read to its end (${(e as Error).message}); the upload was not completed.` });
    }
  }

  private counted(chunk: Buffer): Buffer {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) throw uploadTooLarge(this.limit);
    return chunk;
  }
}

/**
 * Upload chunks that push a deadline back as each one passes to the provider. A large upload that keeps
 * moving is not cut by a request timeout sized for answers, one that stalls (client or provider) still
 * is, and after the last byte the provider has the whole timeout to answer.
 */
export async function* pushingBack(chunks: AsyncIterable<Buffer>, deadline: NodeJS.Timeout): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    deadline.refresh();
    yield chunk;
  }
  deadline.refresh();
}

/** A body too large to buffer, as an upload; `prefix` holds the bytes already read. 413 past `limit`. */
export function startUpload(req: IncomingMessage, declared: number | undefined, limit: number, prefix: Buffer[] = []): StreamedUpload {
  if (declared !== undefined && declared > limit) {
    req.resume();
    throw uploadTooLarge(limit);
  }
  return new StreamedUpload(prefix, req, declared, limit);
}

function uploadTooLarge(limit: number): GatewayError {
  return new GatewayError({ status: 413, code: 'request_too_large', message: `Upload is larger than the gateway's limit of ${limit} bytes; send a smaller file or raise MAX_UPLOAD_BYTES.` });
}

function notReplayable(): GatewayError {
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'upload_not_replayable', message: 'The upload was already streamed to a provider and cannot be sent again; retry the request.' });
}
