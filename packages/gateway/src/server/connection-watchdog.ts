import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../errors.js';

/**
 * Bounds on how slowly a client may send or read, checked for every connection once a second (Node
 * checks its own headersTimeout only every connectionsCheckingInterval, and an idle timeout never fires
 * for a client that drips one byte at a time):
 * - write idle: a connection with answer bytes waiting that accepts none of them for writeIdleMs is
 *   closed, freeing its buffers and, through the response's close, its upstream connection;
 * - body rate: once a request body has taken graceMs, it must have averaged minBytesPerS, not counting
 *   time the gateway itself held it back (a body it reads slowly because the upstream does); else 408.
 */
export interface WatchdogOptions {
  writeIdleMs: number;
  bodyMinBytesPerS: number;
  bodyGraceMs: number;
  /** How often connections are checked. */
  tickMs?: number;
  /** Called when a connection is cut, with why (metrics, tests). */
  onCut?: (reason: 'write_idle' | 'slow_body') => void;
}

interface Watched {
  socket: Socket;
  req?: IncomingMessage;
  res?: ServerResponse;
  /** When the current request arrived, less the time its body was held back by the gateway. */
  bodyClock: number;
  readAtRequest: number;
  /** Bytes handed on to the network (written less still queued) at the last check, and since when unchanged. */
  flushed: number;
  stuckSince: number;
}

/** Starts watching the server's connections; returns the function that stops it. */
export function watchConnections(server: Server, opts: WatchdogOptions): () => void {
  const tickMs = opts.tickMs ?? 1000;
  const watched = new Map<Socket, Watched>();
  const onConnection = (socket: Socket) => {
    const w: Watched = { socket, bodyClock: 0, readAtRequest: 0, flushed: 0, stuckSince: Date.now() };
    watched.set(socket, w);
    socket.once('close', () => watched.delete(socket));
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const w = watched.get(req.socket);
    if (!w) return;
    w.req = req;
    w.res = res;
    w.bodyClock = Date.now();
    w.readAtRequest = req.socket.bytesRead;
  };
  let last = Date.now();
  const tick = () => {
    const now = Date.now();
    const elapsed = now - last;
    last = now;
    for (const w of watched.values()) {
      if (checkWrites(w, now, opts.writeIdleMs)) {
        opts.onCut?.('write_idle');
        w.socket.destroy();
      } else if (opts.bodyMinBytesPerS > 0 && tooSlowBody(w, now, elapsed, opts)) {
        opts.onCut?.('slow_body');
        refuseSlowBody(w, opts);
      }
    }
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  server.on('connection', onConnection);
  server.on('request', onRequest);
  const stop = () => {
    clearInterval(timer);
    server.off('connection', onConnection);
    server.off('request', onRequest);
    watched.clear();
  };
  server.once('close', stop);
  return stop;
}

/** True when the connection has had bytes waiting, none of them taken, for writeIdleMs. */
function checkWrites(w: Watched, now: number, writeIdleMs: number): boolean {
  const socket = w.socket;
  if (socket.destroyed) return false;
  const queued = socket.writableLength;
  const flushed = socket.bytesWritten - queued;
  if (queued === 0 || flushed !== w.flushed) {
    w.flushed = flushed;
    w.stuckSince = now;
    return false;
  }
  return now - w.stuckSince >= writeIdleMs;
}

function tooSlowBody(w: Watched, now: number, elapsed: number, opts: WatchdogOptions): boolean {
  const req = w.req;
  if (!req || req.complete || req.socket.destroyed) return false;
  // Bytes the gateway has not read yet: the client is waiting on us, so this time does not count.
  if (req.readableLength > 0 || req.socket.isPaused()) {
    w.bodyClock += elapsed;
    return false;
  }
  const took = now - w.bodyClock;
  if (took < opts.bodyGraceMs) return false;
  const received = req.socket.bytesRead - w.readAtRequest;
  return received < (opts.bodyMinBytesPerS * took) / 1000;
}

function refuseSlowBody(w: Watched, opts: WatchdogOptions): void {
  const res = w.res;
  const socket = w.socket;
  if (res && !res.headersSent && !res.writableEnded) {
    const body = JSON.stringify(new GatewayError({
      status: 408, type: 'timeout_error', code: 'request_body_too_slow',
      message: `The request body arrived slower than ${opts.bodyMinBytesPerS} bytes a second after ${opts.bodyGraceMs} ms (REQUEST_BODY_MIN_BYTES_PER_S); the connection is closed.`,
    }).toBody());
    res.writeHead(408, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body, () => socket.destroy());
    // A client that reads nothing either: the write-idle check, or this, closes it.
    setTimeout(() => socket.destroy(), 1000).unref();
    return;
  }
  socket.destroy();
}
