import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a recording upstream saw it. */
export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingUpstream {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Base URL with /v1, as a custom_host. */
  baseUrl: string;
  requests: Recorded[];
  /** The next answers, in order; afterwards an OpenAI chat completion. */
  answer(...replies: Array<{ status: number; body: unknown }>): void;
  close(): Promise<void>;
}

/** An OpenAI chat completion in the published shape, echoing the model. */
export function chatCompletion(model: string, text = 'ok'): Record<string, unknown> {
  return {
    id: 'chatcmpl-rec', object: 'chat.completion', created: 1_700_000_000, model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  };
}

/**
 * An upstream (or an attacker's server) that records every request it gets and answers each with an
 * OpenAI chat completion, or a scripted status and body. What it saw is what a host would learn.
 */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: Recorded[] = [];
  const replies: Array<{ status: number; body: unknown }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const reply = replies.shift();
      let model = 'gpt-4o-mini';
      try {
        model = (JSON.parse(body) as { model?: string }).model ?? model;
      } catch {
        // not JSON: the default model
      }
      const out = JSON.stringify(reply ? reply.body : chatCompletion(model));
      res.writeHead(reply?.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    answer: (...r) => void replies.push(...r),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
