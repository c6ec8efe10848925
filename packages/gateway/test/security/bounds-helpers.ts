/** Small pieces the bounds-* attack catalogue shares: chat requests through the gateway to a fake upstream, raw slow clients. */
import { connect, type Socket } from 'node:net';

export interface ChatOptions {
  headers?: Record<string, string>;
  config?: object;
  content?: string;
  stream?: boolean;
  signal?: AbortSignal;
}

/** POSTs a chat completion to the gateway, routed to `upstreamBase` (a fake's /v1 URL) as an OpenAI custom host. */
export function chat(gatewayUrl: string, upstreamBase: string, opts: ChatOptions = {}): Promise<Response> {
  return fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    signal: opts.signal,
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-upstream-test',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': upstreamBase,
      ...(opts.config ? { 'x-portkey-config': JSON.stringify(opts.config) } : {}),
      ...opts.headers,
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: opts.stream ?? false, messages: [{ role: 'user', content: opts.content ?? 'hello' }] }),
  });
}

/** How long `fn` takes, in ms, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** A client on a raw socket: what it received, and when the gateway closed the connection. */
export interface RawClient {
  socket: Socket;
  received(): string;
  /** Resolves with the ms from connect to close. */
  closed: Promise<number>;
}

/** Opens a connection to the gateway and writes `head`; `read: false` never reads a byte of the answer. */
export function rawClient(gatewayUrl: string, head: string, opts: { read?: boolean } = {}): Promise<RawClient> {
  const { hostname, port } = new URL(gatewayUrl);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let data = '';
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - started)));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      if (opts.read === false) socket.pause();
      else socket.on('data', (d) => (data += d.toString('latin1')));
      socket.write(head);
      resolve({ socket, received: () => data, closed });
    });
    socket.once('error', reject);
  });
}

/** Writes `text` one byte every `everyMs`, until it is written or the socket closes. */
export async function drip(socket: Socket, text: string, everyMs = 1000): Promise<void> {
  for (const ch of text) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(ch);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A chat request's head (and body) as raw HTTP/1.1 text. */
export function chatRequestText(upstreamBase: string, body: string, headers: Record<string, string> = {}): string {
  const lines = [
    'POST /v1/chat/completions HTTP/1.1', 'host: gateway', 'content-type: application/json', 'authorization: Bearer sk-upstream-test',
    'x-portkey-provider: openai', `x-portkey-custom-host: ${upstreamBase}`, `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
