/**
 * A fake of OpenAI's Realtime API (GA event names): WebSocket at /v1/realtime?model=..., Bearer auth
 * checked in the handshake (401 JSON otherwise, as the API answers), session.created on connect,
 * session.update → session.updated, response.create → response.created, output text deltas and
 * response.done with usage in the API's shape.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createFakeServer } from '../helpers/fake-server.js';

export interface FakeRealtime {
  url: string;
  /** Base URL with /v1, as a custom_host. */
  baseUrl: string;
  /** The handshake of every connection: its path with query, and headers. */
  handshakes: Array<{ path: string; headers: IncomingHttpHeaders }>;
  /** Client events received, by type. */
  received: string[];
  close(): Promise<void>;
}

export const FAKE_REALTIME_USAGE = {
  total_tokens: 57, input_tokens: 40, output_tokens: 17,
  input_token_details: { text_tokens: 40, audio_tokens: 0, cached_tokens: 8 },
  output_token_details: { text_tokens: 17, audio_tokens: 0 },
};

export async function startFakeRealtime(): Promise<FakeRealtime> {
  const handshakes: FakeRealtime['handshakes'] = [];
  const received: string[] = [];
  const server = createFakeServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not a realtime route","type":"invalid_request_error","param":null,"code":null}}');
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    handshakes.push({ path: `${url.pathname}${url.search}`, headers: req.headers });
    const deny = (status: number, message: string) => {
      const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: status === 401 ? 'invalid_api_key' : null } });
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    if (url.pathname !== '/v1/realtime') return deny(400, `No realtime endpoint at ${url.pathname}`);
    if (req.headers.authorization !== 'Bearer sk-realtime-good') return deny(401, 'Incorrect API key provided.');
    const model = url.searchParams.get('model');
    if (!model) return deny(400, "Missing required parameter: 'model'.");
    wss.handleUpgrade(req, socket, head, (ws) => session(ws, model, received));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, baseUrl: `${url}/v1`, handshakes, received,
    close: () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function session(ws: WebSocket, model: string, received: string[]): void {
  let n = 0;
  const id = (p: string) => `${p}_${++n}`;
  const send = (event: Record<string, unknown>) => ws.send(JSON.stringify({ event_id: id('event'), ...event }));
  const sessionObject = { id: 'sess_fake', object: 'realtime.session', type: 'realtime', model, output_modalities: ['text'] };
  send({ type: 'session.created', session: sessionObject });
  ws.on('message', (data) => {
    let event: { type?: string; session?: Record<string, unknown> };
    try {
      event = JSON.parse(data.toString());
    } catch {
      return send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_json', message: 'The event is not JSON.' } });
    }
    received.push(String(event.type));
    if (event.type === 'session.update') return send({ type: 'session.updated', session: { ...sessionObject, ...event.session } });
    if (event.type === 'response.create') {
      const response = { id: id('resp'), object: 'realtime.response', status: 'in_progress', output: [], usage: null };
      send({ type: 'response.created', response });
      for (const delta of ['Hello', ' from', ' realtime']) send({ type: 'response.output_text.delta', response_id: response.id, item_id: 'item_1', output_index: 0, content_index: 0, delta });
      send({ type: 'response.done', response: { ...response, status: 'completed', usage: FAKE_REALTIME_USAGE } });
    }
  });
}
