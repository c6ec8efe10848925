/**
 * The HTTP server every fake upstream runs on. A fake's handler may throw or reject (a failed schema
 * check, a bug in the fake, a spec that is missing): the request then still gets an answer, a 500 in
 * OpenAI's error shape naming the failure, or, once the head is sent, a destroyed socket. Without this,
 * an async handler's rejection leaves the gateway waiting for an answer that never comes, and the test
 * hangs for its whole timeout instead of failing at once.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

export function answerFailure(res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.writableEnded) {
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  const message = `fake upstream failed inside its handler: ${err instanceof Error ? err.message : String(err)}`;
  res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ error: { message, type: 'fake_server_error', param: null, code: null } }));
}

/** Runs `handler` for each request; a throw or rejection always ends in an answer (see above). */
export function guardHandler(handler: (req: IncomingMessage, res: ServerResponse) => unknown): RequestListener {
  return (req, res) => {
    let pending: unknown;
    try {
      pending = handler(req, res);
    } catch (err) {
      answerFailure(res, err);
      return;
    }
    if (pending instanceof Promise) pending.catch((err: unknown) => answerFailure(res, err));
  };
}

export function createFakeServer(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Server {
  return createServer(guardHandler(handler));
}
