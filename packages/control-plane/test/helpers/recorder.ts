import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A recording pass-through in front of the control plane: the SDK talks to it, it forwards every
 * request unchanged and keeps each exchange (method, path, both bodies) for the spec checks.
 */
export interface Exchange {
  method: string;
  path: string;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

const parse = (text: string): unknown => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export async function startRecorder(target: () => string): Promise<{ url: string; exchanges: Exchange[]; close(): Promise<void> }> {
  const exchanges: Exchange[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
    const upstream = await fetch(target() + req.url, { method: req.method, headers, body: body.length ? body : undefined });
    const text = await upstream.text();
    exchanges.push({ method: req.method!, path: req.url!, requestBody: parse(body.toString('utf8')), status: upstream.status, responseBody: parse(text) });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
