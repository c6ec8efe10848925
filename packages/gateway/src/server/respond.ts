import type { ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';

/** Writes a JSON response unless the headers already went out. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Turns any thrown value into a GatewayError; unexpected ones become a 500 that names the trace id. */
export function toGatewayError(e: unknown, traceId: string): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError({
    status: 500,
    type: 'server_error',
    code: 'internal_error',
    message: `The gateway hit an unexpected error. It has been logged; quote trace id ${traceId} when reporting it.`,
    cause: e,
  });
}

/**
 * Resolves once `res` can take more (drain) or is gone (close), removing both listeners either way: a
 * slowly read stream waits here once per full buffer, and each wait must leave nothing behind.
 */
export function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
