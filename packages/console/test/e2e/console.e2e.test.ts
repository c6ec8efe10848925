/**
 * The console end to end, in real Chromium (playwright-core): a real control plane serving the built
 * console, a real gateway synced from it, and a fake OpenAI upstream. Signs in, creates a key, sends a
 * request through the gateway with it, finds it in the logs list within 5 s and on the requests chart,
 * opens its detail, saves a config with an error and sees the path named, runs a prompt in the
 * playground and watches it stream, revokes the key and sees the gateway refuse it. axe-core checks
 * each screen; screenshots go to test-artifacts/. Skipped, saying so, where Chromium is not installed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, CHROMIUM, launch, screenshot, seriousViolations } from './harness/browser.js';
import { admin, startStack, type Stack } from './harness/stack.js';
import { eventually } from '@portico/test-support/wait';
import { STREAM_WORDS } from './harness/fake-openai.js';

if (!haveChromium) console.warn(`console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const suite = haveChromium ? describe : describe.skip;

suite('console in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let gatewayKey = '';
  let traceId = '';
  const provider = 'fake-openai';
  const a11y: Record<string, string[]> = {};

  /** Records serious/critical axe violations of the current screen, checked together at the end. */
  async function checkA11y(screen: string): Promise<void> {
    a11y[screen] = (await seriousViolations(page)).map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  }

  /** Steps that send traffic through the gateway need it to know the keys the console creates. */
  function needsSync(ctx: { skip: (note?: string) => void }): void {
    if (!stack.gatewaySyncs) {
      const note = 'skipped: this gateway does not sync keys from the control plane yet (no sync state in /v1/health)';
      console.warn(note);
      ctx.skip(note);
    }
  }

  /** Every loading state on the screen has given way to content, an empty state or an error. */
  async function settled(p: Page): Promise<void> {
    await expect.poll(() => p.locator('.state-loading').count(), { timeout: 15_000 }).toBe(0);
  }

  async function go(hash: string): Promise<void> {
    await page.goto(`${stack.cpUrl}/${hash}`);
  }

  function chat(key: string, stream = false): Promise<Response> {
    return fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-api-key': key, 'x-portkey-provider': `@${provider}`, 'x-portkey-metadata': JSON.stringify({ team: 'e2e' }) },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'Hello, my card is 4111 1111 1111 1111' }] }),
    });
  }

  beforeAll(async () => {
    stack = await startStack();
    // The provider credential points at the fake upstream; set up through the Admin API, as an operator would.
    await admin(stack, 'POST', '/v1/integrations', {
      name: 'Fake OpenAI', slug: 'fake-openai-integration', ai_provider_id: 'openai', key: 'sk-fake-upstream-0123456789',
      configurations: { custom_host: `${stack.fake.url}/v1` }, default_provider_slug: provider,
    });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (d) => void d.accept());
  }, 120_000);

  // A failing step leaves a picture of the page behind, next to the artifacts.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) await screenshot(page, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('refuses a wrong key, then signs in with the admin API key', async () => {
    await go('');
    const field = page.getByLabel('API key', { exact: true });
    await field.fill('pt-not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await checkA11y('sign-in');
    await screenshot(page, 'sign-in');

    await field.fill(stack.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'portico_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Lax');
  });

  it('refuses a change without the CSRF token, even with the session cookie', async () => {
    const status = await page.evaluate(async () => {
      const res = await fetch('/v1/configs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', config: { retry: { attempts: 1 } } }) });
      return res.status;
    });
    expect(status).toBe(403);
  });

  it('creates a key and shows its secret once', async () => {
    await go('#/keys');
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await checkA11y('keys');
    await page.getByLabel('Name', { exact: true }).fill('e2e-key');
    await page.getByLabel('logs.view').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('new-key');
    await secret.waitFor();
    gatewayKey = (await secret.textContent())!.trim();
    expect(gatewayKey.length).toBeGreaterThan(20);
    await expect.poll(() => page.locator('tr[data-key-name="e2e-key"]').count()).toBe(1);
  });

  it('shows a request sent through the gateway in the logs list within 5 s, then its detail', async (ctx) => {
    needsSync(ctx);
    // The gateway learns of the new key by sync; wait until it takes it.
    const res = await eventually(async () => {
      const r = await chat(gatewayKey);
      if (r.status !== 200) throw new Error(`gateway answered ${r.status}: ${await r.text()}`);
      return r;
    }, 15_000, 200);
    traceId = res.headers.get('x-portkey-trace-id') ?? '';
    expect(traceId).not.toBe('');
    await res.json();
    const sentAt = Date.now();

    await go('#/logs?range=1h');
    await page.getByRole('heading', { name: 'Logs', level: 1 }).waitFor();
    const row = page.locator('tbody tr', { hasText: traceId.slice(0, 12) });
    await eventually(async () => {
      if ((await row.count()) === 0) {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.waitForTimeout(200);
        throw new Error('not listed yet');
      }
    }, 5000, 0);
    const seenAfter = Date.now() - sentAt;
    expect(seenAfter).toBeLessThanOrEqual(5000);
    await expect.poll(() => row.first().textContent()).toContain('gpt-4o-mini');
    await checkA11y('logs');
    await screenshot(page, 'logs');

    // Filters live in the URL: a status filter that excludes the row empties the list, shareably.
    await go('#/logs?range=1h&status=5xx');
    await page.getByText('No requests match these filters').waitFor();
    await go(`#/logs?range=1h&trace_id=${traceId}`);
    await row.first().waitFor();

    await row.first().getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Request body' }).waitFor();
    await expect.poll(() => page.locator('.json').first().textContent()).toContain('gpt-4o-mini');
    await expect.poll(() => page.locator('.facts').textContent()).toContain(traceId);
    await checkA11y('log-detail');
    await screenshot(page, 'log-detail');

    // The trace view groups the trace's requests on one time line.
    await page.locator('.facts').getByRole('link', { name: traceId }).click();
    await page.getByRole('heading', { name: `Trace ${traceId}`, level: 1 }).waitFor();
    await expect.poll(() => page.locator('.waterfall li').count()).toBe(1);
    await checkA11y('trace');
  });

  it('shows the request on the requests chart, as the analytics API counts it', async (ctx) => {
    needsSync(ctx);
    await go('#/overview?range=1h');
    const summary = page.getByTestId('summary-requests');
    await eventually(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await summary.waitFor();
      const text = (await summary.textContent()) ?? '';
      if (!/^[1-9]/.test(text)) throw new Error(`requests summary is "${text}"`);
    }, 15_000, 500);
    const to = new Date(Math.ceil((Date.now() + 1) / 60_000) * 60_000);
    const from = new Date(to.getTime() - 3_600_000);
    const graph = await admin<{ summary: { total: number } }>(stack, 'GET', `/v1/analytics/graphs/requests?time_of_generation_min=${from.toISOString()}&time_of_generation_max=${to.toISOString()}`);
    expect(await summary.textContent()).toBe(`${graph.summary.total} request${graph.summary.total === 1 ? '' : 's'}`);
    await expect.poll(() => page.locator('[data-chart="requests"] canvas').count()).toBeGreaterThan(0);
    await checkA11y('overview');
    await screenshot(page, 'overview');

    // Grouped by model, each line is the Admin API's graph for that provider__model pair.
    const grouped = page.waitForRequest((r) => r.url().includes('/v1/analytics/graphs/requests?') && new URL(r.url()).searchParams.get('ai_org_model') === 'openai__gpt-4o-mini');
    await go('#/overview?range=1h&group=model');
    await grouped;
    await settled(page);
    expect(await page.locator('[data-chart] .state-error').count()).toBe(0);
  });

  it('opening on the overview asks for the session and each graph once: the early requests are the ones the charts use', async () => {
    const asked: string[] = [];
    // In the order the browser reports them: requests sent, and the session check's answer.
    const events: string[] = [];
    const onRequest = (r: { url(): string }) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/v1/analytics/graphs/') || u.pathname === '/console/api/session') (asked.push(u.pathname), events.push(u.pathname));
    };
    const onResponse = (r: { url(): string }) => {
      if (new URL(r.url()).pathname === '/console/api/session') events.push('session answered');
    };
    page.on('request', onRequest);
    page.on('response', onResponse);
    try {
      await page.goto(`${stack.cpUrl}/?fresh=1#/overview?range=7d`);
      await expect.poll(() => page.locator('[data-testid^="summary-"]').count()).toBe(7);
      await settled(page);
      await expect.poll(() => page.locator('[data-chart] canvas').count()).toBe(7);
    } finally {
      page.off('request', onRequest);
      page.off('response', onResponse);
    }
    expect(asked[0]).toBe('/console/api/session');
    // The graphs were asked for before the session check answered, not after it and the first render.
    expect(events.findIndex((e) => e.startsWith('/v1/analytics/graphs/'))).toBeLessThan(events.indexOf('session answered'));
    expect([...asked].sort()).toEqual(['/console/api/session', ...['requests', 'cost', 'tokens', 'latency', 'errors/rate', 'cache/hit-rate', 'requests/rescued'].map((g) => `/v1/analytics/graphs/${g}`)].sort());
  });

  it('refuses to save a config with an error and names the path', async () => {
    await go('#/configs/new');
    await page.getByRole('heading', { name: 'New config', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('broken');
    const editor = page.getByLabel('Config JSON');
    await editor.fill(JSON.stringify({ strategy: { mode: 'loadbalance' }, targets: [{ provider: '@a', weight: 'heavy' }] }, null, 2));
    await expect.poll(() => page.getByTestId('config-check').textContent()).toContain('config.targets[0].weight');
    await page.getByRole('button', { name: 'Create config' }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toContain('config.targets[0].weight');
    await checkA11y('config-editor');
    await screenshot(page, 'config-editor');

    // A valid one saves, and a second version shows a diff against the first.
    const target = { provider: `@${provider}` };
    await editor.fill(JSON.stringify({ strategy: { mode: 'fallback' }, targets: [target, { ...target, override_params: { model: 'gpt-4o' } }] }, null, 2));
    await page.getByRole('button', { name: 'Create config' }).click();
    await page.getByRole('button', { name: 'Save new version' }).waitFor();
    await editor.fill(JSON.stringify({ strategy: { mode: 'fallback' }, targets: [target, { ...target, override_params: { model: 'gpt-4.1' } }] }, null, 2));
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.getByText('Saved as a new version.').waitFor();
    const versions = page.locator('.versions button');
    await expect.poll(() => versions.count()).toBeGreaterThan(1);
    await versions.last().click();
    await expect.poll(() => page.locator('.diff .add').allTextContents()).toContain('+         "model": "gpt-4.1"\n');
    await expect.poll(() => page.locator('.diff .del').allTextContents()).toContain('-         "model": "gpt-4o"\n');
  });

  it('runs a prompt in the playground through the gateway and streams the answer', async (ctx) => {
    needsSync(ctx);
    await go('#/prompts/new');
    await page.getByRole('heading', { name: 'New prompt', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('haiku');
    await page.getByLabel('Provider credential (slug)').fill(provider);
    await page.getByRole('button', { name: 'Create prompt' }).click();
    await page.getByRole('heading', { name: 'Playground' }).waitFor();
    await page.getByLabel('topic').fill('autumn');
    await page.getByLabel('Gateway API key').fill(gatewayKey);
    const output = page.getByTestId('playground-output');
    await page.getByRole('button', { name: 'Run' }).click();
    // Watch the text grow: it is seen part-way before it is whole.
    const seen = new Set<string>();
    const full = STREAM_WORDS.join('');
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const text = (await output.textContent()) ?? '';
      seen.add(text);
      if (text === full) break;
      await page.waitForTimeout(40);
    }
    expect(seen.has(full)).toBe(true);
    const partial = [...seen].filter((t) => t.length > 0 && t.length < full.length);
    expect(partial.length).toBeGreaterThan(0);
    const sent = stack.fake.requests.at(-1)!;
    expect(sent.body.stream).toBe(true);
    expect(JSON.stringify(sent.body.messages)).toContain('autumn');
    await checkA11y('prompt');
  });

  it('visits the other screens with no serious accessibility violations', async () => {
    for (const [hash, heading] of [['#/overview?range=7d&group=model', 'Overview'], ['#/logs?range=7d', 'Logs'], ['#/credentials', 'Provider credentials'], ['#/guardrails', 'Guardrails'], ['#/workspaces', 'Workspaces and members'], ['#/exports', 'Exports'], ['#/configs', 'Configs'], ['#/prompts', 'Prompts']] as const) {
      await go(hash);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await settled(page);
      await checkA11y(`visit ${hash.slice(2)}`);
    }
  });

  it('adds a guardrail and a workspace, and keeps the chosen workspace in the URL', async () => {
    await go('#/guardrails');
    await page.getByRole('heading', { name: 'Guardrails', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('no-ssn');
    await page.getByRole('button', { name: 'Add guardrail' }).click();
    await expect.poll(() => page.locator('tbody tr', { hasText: 'no-ssn' }).count()).toBe(1);

    await go('#/workspaces');
    await page.getByLabel('New workspace name').fill('Search team');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    const card = page.locator('.workspace-list > li', { hasText: 'Search team' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Work in this workspace' }).click();
    await expect.poll(() => new URL(page.url()).hash).toMatch(/[?&]ws=[\w-]*search-team/);
    const slug = /[?&]ws=([\w-]+)/.exec(new URL(page.url()).hash)![1];
    // Another screen, reloaded: the workspace comes from the URL alone.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.reload();
    await page.getByRole('heading', { name: `Create a key in ${slug}` }).waitFor();
    expect(await page.getByLabel('Workspace').inputValue()).toBe(slug);
  });

  it('exports the filtered logs through the data service: progress, then a download', async (ctx) => {
    await go('#/logs?range=1h&status=200');
    await page.getByRole('heading', { name: 'Logs', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Export these logs' }).click();
    await page.getByRole('heading', { name: 'Exports', level: 1 }).waitFor();
    expect(new URL(page.url()).hash).toContain('status=200');
    await page.getByRole('button', { name: 'Start export' }).click();
    const outcome = await Promise.race([
      page.locator('#export-progress').waitFor().then(() => 'progress' as const),
      page.getByTestId('exports-unavailable').waitFor().then(() => 'unavailable' as const),
    ]);
    if (outcome === 'unavailable') {
      // Said, not failed: this gateway does not forward /v1/logs/exports to the data service yet.
      expect(await page.getByTestId('exports-unavailable').textContent()).toContain('data service');
      await checkA11y('exports');
      const note = 'skipped the export itself: this gateway does not forward /v1/logs/exports to the data service';
      console.warn(note);
      ctx.skip(note);
      return;
    }
    const link = page.getByRole('link', { name: 'Download the export' });
    await link.waitFor({ timeout: 20_000 });
    const href = (await link.getAttribute('href'))!;
    const file = await fetch(new URL(href, stack.cpUrl));
    expect(file.status).toBe(200);
    const { gunzipSync } = await import('node:zlib');
    const text = gunzipSync(Buffer.from(await file.arrayBuffer())).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    // The request sent earlier (when the gateway could take the console's key) is in it.
    if (traceId) expect(text).toContain(traceId);
    await checkA11y('exports');
  });

  it('keeps a keyboard order: skip link first, then the switcher, the menu, the screen', async () => {
    await go('#/overview?range=1h');
    await page.reload();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('SELECT');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
  });

  it('fits a 390-wide phone screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const cookies = await page.context().cookies();
    await phone.context().addCookies(cookies);
    for (const hash of ['#/overview?range=1h', '#/logs?range=1h']) {
      await phone.goto(`${stack.cpUrl}/${hash}`);
      await phone.locator('h1').first().waitFor();
      await settled(phone);
      const measure = () => phone.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        // What sticks out, to say in the failure message.
        // The outermost elements that stick out: their parent fits.
        wide: [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1
          && (el.parentElement?.getBoundingClientRect().right ?? 0) <= window.innerWidth + 1
          && getComputedStyle(el.parentElement!).overflowX === 'visible' && !el.closest('.sidenav, .table-wrap'))
          .slice(0, 3).map((el) => `${el.tagName.toLowerCase()}.${(el as HTMLElement).className} (${Math.round(el.getBoundingClientRect().right)}px)`),
      }));
      // Charts settle their size after a layout pass: judge the page once it has settled.
      await expect.poll(async () => (await measure()).overflow, { timeout: 3000 }).toBeLessThanOrEqual(1).catch(async () => {
        const m = await measure();
        throw new Error(`${hash} scrolls sideways by ${m.overflow}px: ${m.wide.join(', ')}`);
      });
    }
    await screenshot(phone, 'logs-phone');
    await phone.close();
  });

  it('revokes the key, and the gateway refuses it', async (ctx) => {
    needsSync(ctx);
    await go('#/keys');
    await page.getByRole('button', { name: 'Revoke e2e-key' }).click();
    await expect.poll(() => page.locator('tr[data-key-name="e2e-key"]').count()).toBe(0);
    const refused = await eventually(async () => {
      const r = await chat(gatewayKey);
      if (r.status === 200) throw new Error('still accepted');
      return r;
    }, 15_000, 200);
    expect(refused.status).toBe(401);
  });

  it('sets a password from the admin key, signs out, and signs back in with it', async () => {
    await go('#/account');
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await checkA11y('account');
    await page.getByLabel('New password', { exact: true }).fill('a long console passphrase');
    await page.getByLabel('New password again').fill('a long console passphrase');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Password set.').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key', { exact: true }).fill('a long console passphrase');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back on the screen the session ended on.
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    expect(await page.getByText('A password can be set only from a session signed in with the API key itself.').count()).toBe(1);
    const session = await page.evaluate(async () => (await fetch('/console/api/session')).json() as Promise<{ method: string; role: string }>);
    expect(session).toMatchObject({ method: 'password', role: 'org_admin' });
  });

  it('found no serious or critical accessibility violations on any screen', () => {
    const failing = Object.entries(a11y).filter(([, v]) => v.length > 0);
    expect(Object.keys(a11y).length).toBeGreaterThanOrEqual(stack.gatewaySyncs ? 17 : 12);
    expect(failing, failing.map(([s, v]) => `${s}:\n  ${v.join('\n  ')}`).join('\n')).toEqual([]);
  });
});
