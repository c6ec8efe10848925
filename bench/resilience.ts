/**
 * Resilience suite: what OpenTelemetry costs (c=50 JSON, gateway/direct with tracing off and on, in the
 * same run), and the sticky-routing gain as the cached-token share of a conversation workload against
 * upstreams that price cached prompt tokens, with strategy.sticky and without.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compare, fmt, gatewayTarget, startFakeUpstream, startGateway, warmUp, type Target } from './lib.js';
import { startPromptCacheUpstream } from '../packages/gateway/test/resilience/prompt-cache-upstream.js';

export async function runResilience(): Promise<void> {
  console.log('\n## resilience');
  await otelCost();
  await stickyGain();
}

async function otelCost(): Promise<void> {
  // A sink that answers OTLP/HTTP as a collector does; it counts spans so the printout shows they flowed.
  let exports = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const upstream = await startFakeUpstream();
  const off = await startGateway({ LOG_STORE: 'none' });
  const on = await startGateway({ LOG_STORE: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}` });
  const direct: Target = { name: 'direct', url: upstream.url, headers: {} };
  const gOff = gatewayTarget('otel off', off.url, upstream.url);
  const gOn = gatewayTarget('otel on', on.url, upstream.url);
  await warmUp(direct, gOff, gOn);
  const rOff = await compare(direct, gOff, 50, 3);
  const rOn = await compare(direct, gOn, 50, 3);
  console.log(`\nOpenTelemetry, c=50 JSON (log store none in both):\n| gateway | req/s | gateway/direct | p99 ms |\n|---|---|---|---|`);
  console.log(`| tracing off | ${fmt(rOff.b.rps, 0)} | ${fmt(100 * rOff.ratio)}% | ${rOff.b.p99} |`);
  console.log(`| tracing on (OTLP/HTTP) | ${fmt(rOn.b.rps, 0)} | ${fmt(100 * rOn.ratio)}% | ${rOn.b.p99} |`);
  console.log(`cost of tracing: ${fmt(100 * (1 - rOn.ratio / rOff.ratio))}% of the gateway's throughput; ${exports} OTLP exports received`);
  await Promise.all([off.proc.stop(), on.proc.stop(), upstream.proc.stop()]);
  await new Promise((r) => sink.close(r));
}

async function stickyGain(): Promise<void> {
  const caches = await Promise.all([startPromptCacheUpstream(), startPromptCacheUpstream(), startPromptCacheUpstream()]);
  const gw = await startGateway({ LOG_STORE: 'none' });
  const share = async (sticky: boolean, tag: string): Promise<number> => {
    const config = JSON.stringify({
      strategy: { mode: 'loadbalance', ...(sticky ? { sticky: true } : {}) },
      targets: caches.map((c) => ({ provider: 'openai', api_key: 'sk-bench', custom_host: c.baseUrl })),
    });
    let prompt = 0;
    let cached = 0;
    // 40 conversations of 6 turns, 8 at a time: a long shared system prompt, then growing history.
    const conversation = async (c: number) => {
      const messages: Array<{ role: string; content: string }> = [
        { role: 'system', content: `You are support agent ${tag}-${c}. ${'Policy text that every turn repeats. '.repeat(60)}` },
        { role: 'user', content: `Ticket ${c}: my order has not arrived.` },
      ];
      for (let turn = 0; turn < 6; turn++) {
        const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-config': config }, body: JSON.stringify({ model: 'gpt-4o-mini', messages }) });
        const body = (await res.json()) as { usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens?: number } } };
        prompt += body.usage.prompt_tokens;
        cached += body.usage.prompt_tokens_details?.cached_tokens ?? 0;
        messages.push({ role: 'assistant', content: 'Let me check.' }, { role: 'user', content: `More detail ${turn}.` });
      }
    };
    for (let batch = 0; batch < 5; batch++) await Promise.all(Array.from({ length: 8 }, (_, i) => conversation(batch * 8 + i)));
    return cached / prompt;
  };
  const without = await share(false, 'plain');
  const withSticky = await share(true, 'sticky');
  console.log(`\nSticky routing, 3 upstreams with prompt caches, 40 conversations × 6 turns:\n| loadbalance | cached-token share |\n|---|---|`);
  console.log(`| by weight only | ${fmt(100 * without)}% |\n| strategy.sticky | ${fmt(100 * withSticky)}% |`);
  await gw.proc.stop();
  await Promise.all(caches.map((c) => c.close()));
}
