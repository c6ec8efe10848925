import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileLogRelativePath } from '@portico/contract';

/**
 * Writes `count` log documents into a file log store's layout (contract's log-store-layout), shaped as
 * the gateway writes them (~0.9 kB each, small bodies), spread over `hours` hours ending now.
 */
export async function generateFileLogs(dir: string, count: number, hours: number): Promise<{ fromMs: number; toMs: number; bytes: number }> {
  const toMs = Date.now();
  const fromMs = toMs - hours * 3_600_000;
  const step = (toMs - fromMs) / count;
  let bytes = 0;
  let current = '';
  let out: ReturnType<typeof createWriteStream> | undefined;
  let buf: string[] = [];
  const flush = async () => {
    if (!out || !buf.length) return;
    const text = buf.join('');
    buf = [];
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((r) => out!.once("drain", () => r()));
  };
  const trace = randomUUID();
  for (let i = 0; i < count; i++) {
    const at = Math.floor(fromMs + i * step);
    const file = join(dir, fileLogRelativePath(at));
    if (file !== current) {
      await flush();
      if (out) await new Promise((r) => out!.end(r));
      mkdirSync(dirname(file), { recursive: true });
      out = createWriteStream(file, { flags: 'a' });
      current = file;
    }
    const iso = new Date(at).toISOString();
    const provider = i % 3 === 0 ? 'anthropic' : 'openai';
    buf.push(`{"id":"${at.toString(36)}${(i % 1e9).toString(36).padStart(8, '0')}","trace_id":"${trace}","created_at":"${iso}","timings":{"started_at":"${iso}","total_ms":${100 + (i % 400)}},"request":{"method":"POST","path":"/v1/chat/completions","endpoint":"chatComplete","stream":false,"headers":{"content-type":"application/json","x-portkey-provider":"${provider}"},"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is the capital of country number ${i}?"}]}},"response":{"status":${i % 50 === 0 ? 429 : 200},"body":{"id":"chatcmpl-${i}","object":"chat.completion","created":${Math.floor(at / 1000)},"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"The capital of country number ${i} is a city."},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":11,"total_tokens":25}}},"provider":"${provider}","model":"gpt-4o-mini","retries":0,"cache_status":"DISABLED","usage":{"prompt_tokens":14,"completion_tokens":11,"total_tokens":25},"cost":{"usd":0.0000087,"priced":true},"metadata":{"_user":"user-${i % 100}","team":"${i % 2 ? 'a' : 'b'}"},"principal":{"key_id":"key-1","workspace":"ws-${i % 4}"}}\n`);
    if (buf.length >= 2000) await flush();
  }
  await flush();
  if (out) await new Promise((r) => out!.end(r));
  return { fromMs, toMs, bytes };
}
