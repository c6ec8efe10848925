/**
 * A fake OpenAI-compatible upstream over a raw socket, so it can misbehave below HTTP: every fault of
 * the stream-fault suite. Healthy answers follow OpenAI's published chat-completion formats (JSON, and
 * SSE chunks ending with `data: [DONE]`). Each request takes the next queued fault, else the default.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type Fault =
  | 'ok'
  | 'stall_before_first_byte'
  | 'stall_mid_stream'
  | 'malformed_chunk'
  | 'no_done'
  | 'slow_headers'
  | 'reset_mid_body'
  | 'flap'
  | 'rate_limited'
  | 'html_200'
  | 'error_500';

export interface FaultUpstream {
  baseUrl: string;
  /** Requests whose head arrived, in order, with the fault each met. */
  seen: Fault[];
  setDefault(f: Fault): void;
  enqueue(...f: Fault[]): void;
  close(): Promise<void>;
}

const chunk = (content: string | null, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-fault', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini', system_fingerprint: 'fp_fault', choices: [{ index: 0, delta: content === null ? {} : { content }, logprobs: null, finish_reason: finish }] })}\n\n`;

const completion = () => JSON.stringify({
  id: 'chatcmpl-fault', object: 'chat.completion', created: 1700000000, model: 'gpt-4o-mini', system_fingerprint: 'fp_fault',
  choices: [{ index: 0, message: { role: 'assistant', content: 'fine', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
});

const SSE_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n';

export async function startFaultUpstream(): Promise<FaultUpstream> {
  const queue: Fault[] = [];
  const seen: Fault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let fallback: Fault = 'ok';
  let flapUp = false;
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buf.subarray(0, end).toString();
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      socket.off('data', onData);
      const body = JSON.parse(buf.subarray(end + 4, end + 4 + length).toString() || '{}');
      let fault = queue.shift() ?? fallback;
      seen.push(fault);
      if (fault === 'flap') {
        flapUp = !flapUp;
        fault = flapUp ? 'ok' : 'error_500';
      }
      answer(socket, fault, body.stream === true);
    };
    socket.on('data', onData);
  });

  function answer(socket: Socket, fault: Fault, stream: boolean): void {
    switch (fault) {
      case 'stall_before_first_byte':
        return; // Accepts the request and never answers.
      case 'ok':
        if (!stream) {
          const body = completion();
          socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
          return;
        }
        socket.end(SSE_HEAD + chunk('fi') + chunk('ne') + chunk(null, 'stop') + 'data: [DONE]\n\n');
        return;
      case 'stall_mid_stream':
        socket.write(SSE_HEAD + chunk('partial'));
        return; // Then silence, with the connection open.
      case 'malformed_chunk':
        socket.write(SSE_HEAD + chunk('partial'));
        later(20, () => socket.end('data: {"id":"chatcmpl-fault","choices":[{"delta":{"content":"tru\n\ndata: [DONE]\n\n'));
        return;
      case 'no_done':
        socket.write(SSE_HEAD + chunk('partial'));
        later(20, () => socket.end(chunk(' and then nothing')));
        return;
      case 'slow_headers': {
        const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-slow: ' + 'x'.repeat(40) + '\r\n\r\n';
        let i = 0;
        const drip = () => {
          if (socket.destroyed || i >= head.length) return;
          socket.write(head[i++]);
          later(100, drip);
        };
        drip();
        return;
      }
      case 'reset_mid_body':
        socket.write(SSE_HEAD + chunk('partial'));
        later(20, () => socket.resetAndDestroy());
        return;
      case 'rate_limited': {
        const body = JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o-mini. Please try again in 1s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
        socket.end(`HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 1\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      case 'html_200': {
        const body = '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>We will be back soon</h1></body></html>';
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      case 'error_500': {
        const body = JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } });
        socket.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      case 'flap':
        return;
    }
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    setDefault(f) {
      fallback = f;
      flapUp = false;
    },
    enqueue: (...f) => queue.push(...f),
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
