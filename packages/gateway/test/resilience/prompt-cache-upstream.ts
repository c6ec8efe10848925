/**
 * A fake OpenAI chat upstream with a prompt cache, priced as OpenAI reports it: usage.prompt_tokens,
 * and usage.prompt_tokens_details.cached_tokens for the part of the prompt (the longest message
 * prefix) this upstream has seen before. Tokens are counted as characters / 4, rounded up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PromptCacheUpstream {
  baseUrl: string;
  requests: number;
  close(): Promise<void>;
}

const tokens = (s: string) => Math.ceil(s.length / 4);

export async function startPromptCacheUpstream(): Promise<PromptCacheUpstream> {
  const seenPrefixes = new Set<string>();
  const state = { requests: 0 };
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    state.requests++;
    const body = JSON.parse(raw || '{}') as { model?: string; messages?: unknown[] };
    const messages = body.messages ?? [];
    let prefix = '';
    let cached = 0;
    for (const m of messages) {
      prefix += JSON.stringify(m);
      if (seenPrefixes.has(prefix)) cached = tokens(prefix);
      else seenPrefixes.add(prefix);
    }
    const prompt = tokens(prefix);
    const out = JSON.stringify({
      id: `chatcmpl-${state.requests}`, object: 'chat.completion', created: 1700000000, model: body.model ?? 'gpt-4o-mini', system_fingerprint: 'fp_cache',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: prompt, completion_tokens: 1, total_tokens: prompt + 1, prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(out)) });
    res.end(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
