#!/usr/bin/env node
/**
 * `npm start`: one process tree with everything Portico needs on one machine.
 *
 *   1. builds the packages that run (contract, gateway, control plane, data service, console);
 *   2. on first start, makes the embedded organisation id and client-auth key, kept in
 *      DATA_DIR/embedded.json (0600), so restarts keep them;
 *   3. starts the embedded control plane (CONTROL_PLANE_PORT, default 8788) and waits for it, then the
 *      gateway (PORT, 8787) synced from it, and the data service (DATA_SERVICE_PORT, 8081) when its
 *      package is there, all on HOST;
 *   4. prints where everything is, once every part answers /v1/health (within 15 s, or it stops);
 *   5. SIGTERM / SIGINT: stops every part and waits for them, so nothing keeps listening.
 *
 * With CONTROL_PLANE_URL set, that control plane is used and none is embedded (PORTKEY_CLIENT_AUTH and
 * ORGANISATIONS_TO_SYNC then come from the environment). `--no-build` skips step 1; `--build-only` does
 * only step 1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const HOST = env.HOST || '127.0.0.1';
const PORT = env.PORT || '8787';
const CONTROL_PLANE_PORT = env.CONTROL_PLANE_PORT || '8788';
const DATA_SERVICE_PORT = env.DATA_SERVICE_PORT || '8081';
const DATA_DIR = path.resolve(env.DATA_DIR || './data');
const HEALTH_DEADLINE_MS = 15_000;
const STOP_DEADLINE_MS = Number(env.SHUTDOWN_TIMEOUT_MS || 25_000) + 5_000;

const pkg = (name) => path.join(root, 'packages', name);
const has = (name) => existsSync(path.join(pkg(name), 'package.json'));
/** A URL other processes on this machine reach the listener on (0.0.0.0 and :: are not addresses). */
const reach = (port) => `http://${HOST === '0.0.0.0' || HOST === '::' ? '127.0.0.1' : HOST.includes(':') ? `[${HOST}]` : HOST}:${port}`;
const say = (line) => process.stdout.write(`[portico] ${line}\n`);

function build() {
  const workspaces = ['contract', 'gateway', 'control-plane', 'console', 'data-service'].filter(has);
  say(`building ${workspaces.join(', ')}`);
  const args = ['run', 'build', '--if-present', ...workspaces.flatMap((w) => ['-w', `@portico/${w}`])];
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    say('the build failed; see above');
    process.exit(r.status ?? 1);
  }
}

/** The embedded organisation and client-auth key: made once, then read at every start. */
function embeddedIdentity() {
  const file = path.join(DATA_DIR, 'embedded.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const identity = { organisation_id: randomUUID(), client_auth: `pcl-${randomBytes(32).toString('base64url')}` };
  writeFileSync(file, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return identity;
}

const children = [];
let stopping = false;

/** Every part stops when the launcher goes away, even killed (exit-with-parent.mjs, over an IPC channel). */
const exitWithParent = path.join(root, 'scripts/exit-with-parent.mjs');

function start(name, script, childEnv) {
  const child = spawn(process.execPath, ['--import', exitWithParent, script], { cwd: root, env: childEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push({ name, child });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited (${signal ?? `code ${code}`}); stopping the others`);
    void stopAll(code || 1);
  });
  return child;
}

async function healthy(name, url, deadline) {
  while (Date.now() < deadline) {
    if (stopping) return false;
    try {
      const r = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  say(`${name} did not answer ${url}/v1/health within ${HEALTH_DEADLINE_MS / 1000} s`);
  return false;
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  const running = children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  const exits = running.map(({ child }) => new Promise((r) => child.once('exit', r)));
  for (const { child } of running) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const { name, child } of running) {
      if (child.exitCode === null && child.signalCode === null) {
        say(`${name} did not stop in time; killing it`);
        child.kill('SIGKILL');
      }
    }
  }, STOP_DEADLINE_MS);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}

async function main() {
  if (!process.argv.includes('--no-build')) build();
  if (process.argv.includes('--build-only')) return;
  mkdirSync(DATA_DIR, { recursive: true, mode: 0o700 });
  const common = { ...env, HOST, DATA_DIR };
  const gatewayEnv = {
    ...common,
    PORT,
    LOG_STORE_FILE_DIR: env.LOG_STORE_FILE_DIR || path.join(DATA_DIR, 'logs'),
    LOG_STORE_SPILL_DIR: env.LOG_STORE_SPILL_DIR || path.join(DATA_DIR, 'spill'),
  };
  const deadline = Date.now() + HEALTH_DEADLINE_MS;
  const parts = [];
  let controlPlaneUrl = env.CONTROL_PLANE_URL || '';
  let clientAuth = env.PORTKEY_CLIENT_AUTH || '';

  let identity;
  if (!controlPlaneUrl && has('control-plane')) {
    identity = embeddedIdentity();
    controlPlaneUrl = reach(CONTROL_PLANE_PORT);
    clientAuth = identity.client_auth;
    start('control plane', path.join(pkg('control-plane'), 'dist/main.js'), {
      ...common, PORT: CONTROL_PLANE_PORT, CONTROL_PLANE_PORT, ORGANISATION_ID: identity.organisation_id, PORTKEY_CLIENT_AUTH: identity.client_auth,
    });
  } else if (!controlPlaneUrl) {
    say('no control plane package here: the gateway runs on its entities file alone');
  }

  // The data service needs nothing of the control plane to start: it boots while the control plane does.
  const dataService = path.join(pkg('data-service'), 'dist/main.js');
  if (existsSync(dataService)) {
    const url = reach(DATA_SERVICE_PORT);
    start('data service', dataService, {
      ...common, PORT: DATA_SERVICE_PORT, DATA_SERVICE_PORT, CONTROL_PLANE_URL: controlPlaneUrl, PORTKEY_CLIENT_AUTH: clientAuth, GATEWAY_URL: reach(PORT),
    });
    parts.push(['data service', url]);
    gatewayEnv.DATASERVICE_BASEPATH ||= url;
  }

  if (identity) {
    // The gateway starts once the control plane answers, so it begins with a snapshot.
    if (!(await healthy('the control plane', controlPlaneUrl, deadline))) return stopAll(1);
    parts.push(['control plane', controlPlaneUrl]);
    Object.assign(gatewayEnv, { CONTROL_PLANE_URL: controlPlaneUrl, PORTKEY_CLIENT_AUTH: identity.client_auth, ORGANISATIONS_TO_SYNC: identity.organisation_id });
  }
  start('gateway', path.join(pkg('gateway'), 'dist/main.js'), gatewayEnv);
  parts.unshift(['gateway', reach(PORT)]);

  const answers = await Promise.all(parts.map(([name, url]) => healthy(name, url, deadline)));
  if (answers.includes(false)) return stopAll(1);
  say(`gateway        ${reach(PORT)}   (OpenAI-compatible API under /v1)`);
  if (controlPlaneUrl) say(`control plane  ${controlPlaneUrl}   (Portkey's Admin API under /v1; also through the gateway)`);
  if (controlPlaneUrl && !env.CONTROL_PLANE_URL) {
    // The control plane serves the console's built pages, when that package is here.
    if (has('console')) say(`console        ${controlPlaneUrl}/`);
    say(env.ADMIN_API_KEY
      ? 'first admin key: the ADMIN_API_KEY you set at first start'
      : `first admin key: printed once above at first start, and kept in ${path.join(DATA_DIR, 'admin-api-key')} (readable only by you)`);
  }
  for (const [name, url] of parts) if (name === 'data service') say(`data service   ${url}`);
  say('stop with Ctrl-C (SIGINT) or SIGTERM: every part drains and exits');
}

process.on('SIGTERM', () => void stopAll(0));
process.on('SIGINT', () => void stopAll(0));
main().catch((e) => {
  say(`failed to start: ${e?.stack ?? e}`);
  void stopAll(1);
});
