/**
 * CORS in a real browser (Chromium, driven by playwright-core): a page on an allowed origin calls the gateway
 * with fetch and the Portkey headers, which makes Chromium send a preflight first, and reads the answer, its
 * exposed headers and a stream; a page on another origin is stopped by the browser before its request is sent.
 * Skipped, with the reason, where Chromium is not installed (.ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser CORS tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

let fake: FakeOpenAI;
let gateway: TestGateway;
let pages: Server;
let browser: Browser;
let allowedOrigin: string;
let otherOrigin: string;

beforeAll(async () => {
  if (!haveChromium) return;
  // One server for the pages; localhost and 127.0.0.1 are two origins on it, and only the first is allowed.
  pages = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
  const port = (pages.address() as AddressInfo).port;
  allowedOrigin = `http://localhost:${port}`;
  otherOrigin = `http://127.0.0.1:${port}`;
  fake = await startFakeOpenAI();
  gateway = await startTestGateway({ CORS_ALLOWED_ORIGINS: allowedOrigin });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await fake?.close();
  await new Promise((r) => (pages ? pages.close(r) : r(undefined)));
});

async function pageAt(origin: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  return page;
}

interface BrowserAnswer {
  status?: number;
  traceId?: string | null;
  provider?: string | null;
  text?: string;
  chunks?: number;
  failed?: string;
}

/** Runs fetch in the page: a chat completion through the gateway, streamed or not, read whole. */
function chatFromPage(page: Page, stream: boolean): Promise<BrowserAnswer> {
  return page.evaluate(async ({ url, upstream, stream }) => {
    try {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-browser-0123456789', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'from a page' }] }),
      });
      let text = '';
      let chunks = 0;
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks++;
        text += decoder.decode(value, { stream: true });
      }
      return { status: res.status, traceId: res.headers.get('x-portkey-trace-id'), provider: res.headers.get('x-portkey-provider'), text, chunks };
    } catch (e) {
      return { failed: String(e) };
    }
  }, { url: gateway.url, upstream: fake.baseUrl, stream });
}

describe.skipIf(!haveChromium)('CORS in Chromium', () => {
  it('lets a page on an allowed origin call the gateway with Portkey headers and read the answer and its headers', async () => {
    const page = await pageAt(allowedOrigin);
    const before = fake.requests.length;
    const answer = await chatFromPage(page, false);
    expect(answer.failed).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text!).choices[0].message.content).toBe('Echo: from a page');
    // Readable only because the gateway exposes them to the page.
    expect(answer.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.provider).toBe('openai');
    // The preflight was answered by the gateway: only the real request reached the provider.
    expect(fake.requests.length - before).toBe(1);
    await page.close();
  });

  it('streams to the page as server-sent events, ending in [DONE]', async () => {
    const page = await pageAt(allowedOrigin);
    const answer = await chatFromPage(page, true);
    expect(answer.failed).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('data: [DONE]');
    const deltas = answer.text!.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)).choices[0]?.delta?.content ?? '').join('');
    expect(deltas).toBe('Echo: from a page');
    await page.close();
  });

  it('has the browser stop a page on any other origin before its request leaves', async () => {
    const page = await pageAt(otherOrigin);
    const before = fake.requests.length;
    const answer = await chatFromPage(page, false);
    expect(answer.failed).toMatch(/Failed to fetch/);
    expect(fake.requests.length).toBe(before);
    await page.close();
  });
});
