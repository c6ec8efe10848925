import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { spawnNodeScript } from '@portico/test-support/spawn';
import { GATEWAY_PKG, spawnGateway } from '../helpers/gateway-process.js';
import { eventually } from '../helpers/gateway.js';

/** The real gateway process: SIGTERM drains in-flight streams, flushes the log store and exits 0. */
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake?.close();
});

describe('SIGTERM', () => {
  it('finishes in-flight streams, refuses new work, flushes logs and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-drain-'));
    const gw = await spawnGateway({ LOG_STORE_FILE_DIR: join(dataDir, 'logs'), SHUTDOWN_TIMEOUT_MS: '10000' });
    const { proc: child, url, output } = gw;
    fake.enqueue({ eventDelayMs: 150 });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-drain', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl, 'x-portkey-trace-id': 'drain-trace-1' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    // Stops listening once it has handled the signal (soon, but not within a fixed 100 ms on a loaded machine).
    await eventually(() => expect(fetch(`${url}/v1/health`)).rejects.toThrow(), 5000, 20);

    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('data: [DONE]');
    expect(text).toContain('eight');
    expect(await exited).toBe(0);
    expect(output()).toContain('shutdown complete');
    expect(output()).not.toContain('drain deadline reached');
    const logDir = join(dataDir, 'logs');
    expect(existsSync(logDir)).toBe(true);
    const all = readdirSync(logDir).flatMap((d) => readdirSync(join(logDir, d)).map((f) => readFileSync(join(logDir, d, f), 'utf8'))).join('');
    const doc = JSON.parse(all.split('\n').find((l) => l.includes('drain-trace-1'))!);
    expect(doc.stream_outcome).toBe('complete');
    expect(doc.usage.total_tokens).toBe(21);
  }, 30_000);

  it('writes the document of a request whose guardrail webhook is still running when SIGTERM comes', async () => {
    const { createServer } = await import('node:http');
    // A webhook that answers after the response went out (an "async": true hook never holds it).
    const hook = createServer((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"verdict":true,"data":{"seen":"late"}}'), 600);
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/`;
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-drain-hook-'));
    const { proc: child, url } = await spawnGateway({ LOG_STORE_FILE_DIR: join(dataDir, 'logs'), SHUTDOWN_TIMEOUT_MS: '10000' });
    try {
      const config = { provider: 'openai', custom_host: fake.baseUrl, before_request_hooks: [{ id: 'audit', async: true, checks: [{ id: 'default.webhook', parameters: { webhookURL: hookUrl } }] }] };
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-drain', 'x-portkey-config': JSON.stringify(config), 'x-portkey-trace-id': 'drain-hook-1' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const logDir = join(dataDir, 'logs');
      const all = readdirSync(logDir).flatMap((d) => readdirSync(join(logDir, d)).map((f) => readFileSync(join(logDir, d, f), 'utf8'))).join('');
      const doc = JSON.parse(all.split('\n').find((l) => l.includes('drain-hook-1'))!);
      expect(doc.hook_results.before_request_hooks[0]).toMatchObject({ id: 'audit', checks: [{ data: { webhook: { seen: 'late' } } }] });
    } finally {
      hook.closeAllConnections();
      hook.close();
    }
  }, 30_000);

  it('exits on SIGTERM when nobody reads its stdout any more (a parent that died)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-drain-pipe-'));
    const { proc: child } = await spawnGateway({ LOG_STORE_FILE_DIR: join(dataDir, 'logs'), SHUTDOWN_TIMEOUT_MS: '2000' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // Close the read end of the gateway's stdout: its next log line (the drain's) meets EPIPE.
      child.stdout!.destroy();
      child.kill('SIGTERM');
      // Before the fix, pino's flush at exit retried EPIPE forever and the process never exited.
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
      expect({ code, signal: child.signalCode }).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('refuses to start with a bad environment, naming the variable', async () => {
    const child = spawnNodeScript('src/main.ts', [], { cwd: GATEWAY_PKG, env: { ...process.env, PORT: 'eighty', CACHE_STORE: 'memcached' } });
    expect((await child.exited).code).toBe(2);
    const err = child.output();
    expect(err).toContain('PORT must be an integer');
    expect(err).toContain('CACHE_STORE must be one of');
  }, 20_000);
});
