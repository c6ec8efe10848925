/** Small pieces the bounds-* attack catalogue shares: a chat request through the gateway to a fake upstream. */
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
