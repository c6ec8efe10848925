import { Agent, request, type Dispatcher } from 'undici';
import { TopLevelSplitter, type SplitPart } from './json-splitter.js';
import { slices, Yielder } from './yielding.js';

/**
 * The gateway's HTTP client for the control plane's sync API (packages/contract/src/sync.ts). Its own
 * small keep-alive pool, apart from the providers', so a long poll never holds an upstream connection.
 * Every call carries the client auth key as a bearer token and has a deadline.
 */
export class SyncHttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const ERROR_BODY_MAX = 4096;
/** Characters handed to the splitter at a time: well under a millisecond of work. */
export const PIECE_CHARS = 8192;
/** A snapshot this large (about 1.5 million keys) is refused: the gateway's memory stays bounded. */
const MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;

export class SyncClient {
  readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(private readonly baseUrl: string, private readonly clientAuth: string, dispatcher?: Dispatcher, private readonly maxResponseBytes = MAX_RESPONSE_BYTES) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.ownsDispatcher = !dispatcher;
    this.dispatcher = dispatcher ?? new Agent({ connections: 8, keepAliveTimeout: 30_000, connectTimeout: 5000 });
  }

  /**
   * GETs a JSON object and hands its members (and array elements) to onPart as they arrive, letting
   * the event loop run between network chunks. Resolves once the whole object was read.
   */
  async streamObject(path: string, timeoutMs: number, onPart: (part: SplitPart) => void, signal?: AbortSignal, onText?: (text: string) => void): Promise<void> {
    const splitter = new TopLevelSplitter();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const yielder = new Yielder();
    await this.streamBytes(path, timeoutMs, async (chunk) => {
      // Chunks already buffered resolve as microtasks: small pieces, and a turn for I/O between them.
      const text = decoder.decode(chunk, { stream: true });
      onText?.(text);
      for (const piece of slices(text, PIECE_CHARS)) {
        for (const part of splitter.feed(piece)) onPart(part);
        await yielder.maybeYield();
      }
    }, signal);
    const rest = decoder.decode();
    onText?.(rest);
    for (const part of splitter.feed(rest)) onPart(part);
    splitter.end();
  }

  /** GETs a body and hands it to onChunk as it arrives (the snapshot worker parses it); bounded in size. */
  async streamBytes(path: string, timeoutMs: number, onChunk: (chunk: Buffer) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
    const res = await request(this.baseUrl + path, {
      dispatcher: this.dispatcher,
      method: 'GET',
      headers: { authorization: `Bearer ${this.clientAuth}`, accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
    });
    if (res.statusCode !== 200) throw await this.httpError(res, path);
    let bytes = 0;
    // A body already buffered arrives chunk after chunk as microtasks: the loop gets a turn when due.
    const yielder = new Yielder();
    for await (const chunk of res.body) {
      bytes += (chunk as Buffer).length;
      if (bytes > this.maxResponseBytes) {
        res.body.destroy();
        throw new Error(`the control plane's answer to ${path.split('?')[0]} is larger than ${this.maxResponseBytes} bytes; refusing it`);
      }
      await onChunk(chunk as Buffer);
      await yielder.maybeYield();
    }
  }

  /** POSTs JSON; returns the status and parsed body (undefined when not JSON). */
  async postJson(path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: unknown }> {
    const res = await request(this.baseUrl + path, {
      dispatcher: this.dispatcher,
      method: 'POST',
      headers: { authorization: `Bearer ${this.clientAuth}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed };
  }

  private async httpError(res: Dispatcher.ResponseData, path: string): Promise<SyncHttpError> {
    let detail = '';
    let read = 0;
    for await (const chunk of res.body) {
      if (read < ERROR_BODY_MAX) detail += (chunk as Buffer).toString('utf8', 0, Math.min((chunk as Buffer).length, ERROR_BODY_MAX - read));
      read += (chunk as Buffer).length;
    }
    let message = detail.slice(0, 300);
    try {
      message = (JSON.parse(detail) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    const what = path.split('?')[0];
    return new SyncHttpError(res.statusCode, `control plane answered ${res.statusCode} to ${what}${message ? `: ${message}` : ''}`);
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close().catch(() => undefined);
  }
}
