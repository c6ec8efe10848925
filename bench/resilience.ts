/**
 * Resilience suite: what OpenTelemetry costs (c=50 JSON, gateway/direct with tracing off, on, and on at
 * 10% sampling, in the same run, with the gateway's CPU time per request beside), and the sticky-routing gain as the cached-token share of a conversation workload against
 * upstreams that price cached prompt tokens, with strategy.sticky and without.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fmt, gatewayTarget, load, SECONDS, startFakeUpstream, startGateway, warmUp, type Target } from './lib.js';
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
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const upstream = await startFakeUpstream();
  const variants: Array<{ name: string; env: Record<string, string> }> = [
    { name: 'tracing off', env: {} },
    { name: 'tracing on (OTLP/HTTP protobuf)', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } },
    { name: 'tracing on, 10% sampled', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
  ];
  const gateways = await Promise.all(variants.map((v) => startGateway({ LOG_STORE: 'none', ...v.env })));
  const direct: Target = { name: 'direct', url: upstream.url, headers: {} };
  const targets = gateways.map((g, i) => gatewayTarget(variants[i].name, g.url, upstream.url));
  await warmUp(direct, ...targets);
  // Interleaved rounds (the order turns each round), medians over rounds: on a machine shared with other
  // work, load drifts over a minute far more than tracing costs, so each variant is measured beside the others.
  const rounds = Number(process.env.BENCH_OTEL_ROUNDS ?? 5);
  const seconds = Math.max(2, Math.round(SECONDS * 0.6));
  const runs = targets.map(() => ({ ratio: [] as number[], rps: [] as number[], p99: [] as number[], cpu: [] as number[] }));
  for (let round = 0; round < rounds; round++) {
    const d = await load(direct, 50, false, seconds);
    for (let k = 0; k < targets.length; k++) {
      const i = (k + round) % targets.length;
      const pid = gateways[i].proc.child.pid!;
      const cpu0 = cpuSeconds(pid);
      const r = await load(targets[i], 50, false, seconds);
      runs[i].cpu.push(((cpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, r.rps * seconds));
      runs[i].ratio.push(r.rps / d.rps);
      runs[i].rps.push(r.rps);
      runs[i].p99.push(r.p99);
    }
  }
  console.log(`\nOpenTelemetry, c=50 JSON, ${rounds} interleaved rounds of ${seconds} s, medians (log store none in all; load average at start ${loadAverage()}):`);
  console.log('| gateway | req/s | gateway/direct | p99 ms | gateway CPU µs per request |\n|---|---|---|---|---|');
  const m = runs.map((r) => ({ ratio: median(r.ratio), rps: median(r.rps), p99: median(r.p99), cpu: median(r.cpu) }));
  for (let i = 0; i < targets.length; i++) console.log(`| ${variants[i].name} | ${fmt(m[i].rps, 0)} | ${fmt(100 * m[i].ratio)}% | ${m[i].p99} | ${fmt(m[i].cpu, 0)} |`);
  console.log(`cost of tracing: ${fmt(100 * (1 - m[1].ratio / m[0].ratio))}% of the gateway's throughput, +${fmt(m[1].cpu - m[0].cpu, 0)} µs CPU a request; at 10% sampling ${fmt(100 * (1 - m[2].ratio / m[0].ratio))}%, +${fmt(m[2].cpu - m[0].cpu, 0)} µs; ${exports} OTLP exports received; load average at end ${loadAverage()}`);
  await Promise.all([...gateways.map((g) => g.proc.stop()), upstream.proc.stop()]);
  await new Promise((r) => sink.close(r));
}

/** utime + stime of a process, seconds (Linux /proc, 10 ms ticks): robust where req/s on a shared machine is not. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
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
