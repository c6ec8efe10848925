/** Test driver: sends an UpstreamRequest with undici, as the gateway would, through provider mappings. */
import { getGlobalDispatcher, request } from 'undici';
import type { AuthorizeContext, ChatChunk, ChatRequest, Provider, ProviderTarget, UpstreamRequest } from '../../../src/providers/types.js';

/** Token endpoints the tests' fakes serve, allowed for the direct authorize() calls below. */
export const testAuthorizeContext: AuthorizeContext & { tokenUris: string[] } = { dispatcher: getGlobalDispatcher(), checkEgress: async () => undefined, tokenUris: [] };
import { createSseFramer } from '../../../src/streaming/framers/sse.js';

export async function send(provider: Provider, up: UpstreamRequest, target: ProviderTarget): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const signed = provider.authorize ? await provider.authorize(up, target, testAuthorizeContext) : up;
  const res = await request(signed.url, { method: signed.method, headers: signed.headers, body: signed.body });
  const text = await res.body.text();
  return { status: res.statusCode, text, headers: res.headers as Record<string, string> };
}

export async function chat(provider: Provider, req: ChatRequest, target: ProviderTarget) {
  const up = provider.chat!.toRequest(req, target, { stream: false });
  const res = await send(provider, up, target);
  if (res.status >= 300) throw provider.mapError(res.status, res.text, res.headers);
  return provider.chat!.fromResponse(JSON.parse(res.text), req, target);
}

/** Streams through the SSE framer and the provider's StreamMapping; returns chunks and the mapping's state. */
export async function chatStream(provider: Provider, req: ChatRequest, target: ProviderTarget): Promise<ChatChunk[]> {
  const up = provider.chat!.toRequest({ ...req, stream: true }, target, { stream: true });
  const signed = provider.authorize ? await provider.authorize(up, target, testAuthorizeContext) : up;
  const res = await request(signed.url, { method: signed.method, headers: signed.headers, body: signed.body });
  if (res.statusCode >= 300) throw provider.mapError(res.statusCode, await res.body.text(), res.headers as Record<string, string>);
  const mapping = provider.chat!.stream!;
  const state = mapping.createState({ model: req.model, includeUsage: req.stream_options?.include_usage === true });
  const framer = createSseFramer();
  const out: ChatChunk[] = [];
  try {
    for await (const piece of res.body) for (const ev of framer.push(piece as Buffer)) out.push(...mapping.fromEvent(state, ev));
  } catch (e) {
    // A cut connection: what the framer saw still decides whether the stream finished.
    if (!(e instanceof Error) || !/terminated|socket|aborted|other side closed/i.test(e.message)) throw e;
  }
  for (const ev of framer.end()) out.push(...mapping.fromEvent(state, ev));
  out.push(...mapping.finish(state));
  return out;
}
