import { chromium } from 'playwright-core';
const base = process.argv[2];
const key = process.argv[3];
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-dev-shm-usage','--no-first-run'] });
const p = await b.newPage({ viewport: { width: 1280, height: 800 } });
p.on('console', (m) => console.log('console:', m.type(), m.text().slice(0, 200)));
await p.goto(base + '/');
await p.screenshot({ path: '/tmp/shots/signin.png' });
await p.getByLabel('API key', { exact: true }).fill(key);
await p.getByRole('button', { name: 'Sign in' }).click();
await p.getByRole('heading', { name: 'Overview' }).waitFor();
await p.waitForTimeout(1500);
await p.screenshot({ path: '/tmp/shots/overview.png' });
for (const s of (process.argv[4] ?? 'keys,logs,configs/new,prompts/new,credentials,workspaces,guardrails,exports').split(',')) {
  await p.goto(base + '/#/' + s);
  await p.waitForTimeout(1200);
  await p.screenshot({ path: `/tmp/shots/${s.replace(/\//g, '_')}.png`, fullPage: true });
}
await b.close();
