import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSettings, settingNames } from '../../gateway/src/config/settings.js';
// Tests only: each service's own environment reader (production code never imports another package's src).
import { CONFIG_SCHEMA as DATA_SERVICE_SCHEMA, loadConfig as loadDataServiceConfig } from '../../data-service/src/config.js';
import { ENV_DOCS as CONTROL_PLANE_ENV, readEnv as readControlPlaneEnv } from '../../control-plane/src/env.js';
import { consoleSettingsFromEnv } from '../../control-plane/src/console/settings.js';
import { dockerfileInstructions } from '@portico/test-support/dockerfile';
import { repoRoot } from './hcl.js';

/** Problems of a Dockerfile against the image rules: multi-stage, non-root, HEALTHCHECK, prod deps. */
export function imageProblems(src: string, port: number, workspace: string): string[] {
  const ins = dockerfileInstructions(src);
  const out: string[] = [];
  const froms = ins.filter((i) => i.op === 'FROM');
  if (froms.length < 2) out.push('not multi-stage (needs a build stage and a runtime stage)');
  const lastFrom = ins.lastIndexOf(froms[froms.length - 1]);
  const final = ins.slice(lastFrom);
  const users = final.filter((i) => i.op === 'USER').map((i) => i.args);
  if (users.length === 0 || /^(root|0)(:|$)/.test(users[users.length - 1])) out.push('the runtime stage must end as a non-root USER');
  const hc = final.find((i) => i.op === 'HEALTHCHECK');
  if (!hc || !hc.args.includes('/v1/health') || !/CMD \["node"/.test(hc.args)) out.push('the runtime stage needs HEALTHCHECK CMD ["node", ...] on /v1/health');
  if (hc && /curl|wget/.test(hc.args)) out.push('HEALTHCHECK must not rely on curl/wget (absent from slim images)');
  if (!final.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes(String(port)))) out.push(`EXPOSE ${port} missing`);
  if (!final.some((i) => i.op === 'ENV' && /HOST=0\.0\.0\.0/.test(i.args))) out.push('ENV HOST=0.0.0.0 missing (the gateway binds 127.0.0.1 by default)');
  if (!ins.some((i) => i.op === 'RUN' && i.args.includes('npm ci') && i.args.includes('--omit=dev'))) out.push('production dependencies must be installed with npm ci --omit=dev');
  // One build command may name several workspaces (the shared contract first): -w a -w b.
  const builds = (args: string) => [...args.matchAll(/npm run build((?:\s+-w\s+\S+)+)/g)].flatMap((m) => m[1].trim().split(/\s+/).filter((w) => w !== '-w'));
  if (!ins.some((i) => i.op === 'RUN' && builds(i.args).includes(workspace))) out.push(`the build stage must run npm run build -w ${workspace}`);
  if (final.some((i) => i.op === 'COPY' && /^\S*\s*\.\s+\./.test(i.args))) out.push('the runtime stage must not copy the whole context');
  return out;
}

const read = (f: string) => readFileSync(path.join(repoRoot, f), 'utf8');

describe('container images', () => {
  it('gateway.Dockerfile: multi-stage, non-root, HEALTHCHECK with node, prod deps only, port 8787', () => {
    const src = read('docker/gateway.Dockerfile');
    expect(imageProblems(src, 8787, '@portico/gateway')).toEqual([]);
    expect(src).toContain('CMD ["node", "packages/gateway/dist/main.js"]');
  });

  it('data-service.Dockerfile: the same rules, port 8081', () => {
    expect(imageProblems(read('docker/data-service.Dockerfile'), 8081, '@portico/data-service')).toEqual([]);
  });

  it('the checks can fail: a single-stage root image with curl', () => {
    const bad = 'FROM node:20\nRUN npm ci\nUSER root\nHEALTHCHECK CMD curl -f http://localhost/v1/health\nCMD ["node","x"]\n';
    expect(imageProblems(bad, 8787, '@portico/gateway').length).toBeGreaterThanOrEqual(5);
    const otherWorkspace = 'FROM node:22 AS build\nRUN npm run build -w @portico/contract -w @portico/gateway-extra\n';
    expect(imageProblems(otherWorkspace, 8787, '@portico/gateway')).toContain('the build stage must run npm run build -w @portico/gateway');
  });

  it('.dockerignore keeps node_modules, build output, git and state out of the context', () => {
    const lines = read('.dockerignore').split('\n');
    for (const p of ['.git', '**/node_modules', '**/dist', '**/.env']) expect(lines).toContain(p);
  });
});

describe('docker-compose.yml', () => {
  type Service = { environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; build?: { dockerfile: string }; image?: string; ports?: string[]; volumes?: string[] };
  // Compose resolves YAML anchors and merge keys (<<), as the file uses them for the shared settings.
  const compose = parse(read('docker/docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const env = (name: string) => compose.services[name].environment!;

  it('runs the gateway, the control plane, the data service, redis, an S3-compatible store and a bucket-creating init container', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['control-plane', 'data-service', 'gateway', 'minio', 'minio-init', 'redis']);
    expect(compose.services.gateway.build?.dockerfile).toBe('docker/gateway.Dockerfile');
    expect(compose.services['control-plane'].build?.dockerfile).toBe('docker/control-plane.Dockerfile');
    expect(compose.services['data-service'].build?.dockerfile).toBe('docker/data-service.Dockerfile');
    expect(compose.services['control-plane'].ports).toEqual(['8788:8788']);
    expect(compose.services['data-service'].ports, 'the data service is reached through the gateway').toBeUndefined();
    for (const s of ['gateway', 'data-service']) {
      expect(compose.services[s].depends_on?.['minio-init'].condition).toBe('service_completed_successfully');
      expect(compose.services[s].depends_on?.['control-plane'].condition).toBe('service_healthy');
    }
    expect([env('gateway').CACHE_STORE, env('gateway').LOG_STORE]).toEqual(['redis', 's3_custom']);
  });

  it('minio-init creates every bucket the gateway and the data service use', () => {
    const init = JSON.stringify(compose.services['minio-init']);
    for (const s of ['gateway', 'data-service']) {
      for (const k of ['LOG_STORE_GENERATIONS_BUCKET', 'LOG_EXPORTS_BUCKET', 'FINETUNES_BUCKET']) expect(init, `${s} ${k}`).toContain(`local/${env(s)[k]}`);
    }
  });

  it("the gateway's environment is accepted by loadSettings and names only real settings", () => {
    expect(Object.keys(env('gateway')).filter((k) => !settingNames().includes(k))).toEqual([]);
    expect(() => loadSettings(env('gateway'))).not.toThrow();
    expect(env('gateway').DATASERVICE_BASEPATH).toBe('http://data-service:8081');
    expect(env('gateway').CONTROL_PLANE_URL).toBe('http://control-plane:8788');
  });

  it("the data service's environment names only its settings, loadConfig accepts it, and it reaches the gateway", () => {
    const names = new Set([...Object.keys(DATA_SERVICE_SCHEMA.shape), 'PORT']);
    const e = env('data-service');
    expect(Object.keys(e).filter((k) => !names.has(k))).toEqual([]);
    const config = loadDataServiceConfig(e);
    expect([config.DATA_SERVICE_PORT, config.GATEWAY_URL, config.CONTROL_PLANE_URL]).toEqual([8081, 'http://gateway:8787', 'http://control-plane:8788']);
  });

  it("the control plane's environment names only its settings, readEnv accepts it, and its organisation and client auth are the ones the others sync with", () => {
    // Its own settings, and those its console reads (packages/control-plane/src/console/settings.ts).
    const consoleNames = [...read('packages/control-plane/src/console/settings.ts').matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((x) => x[1]);
    expect(consoleNames).toContain('GATEWAY_URL');
    const names = new Set([...CONTROL_PLANE_ENV.map(([n]) => n), ...consoleNames]);
    const e = env('control-plane');
    expect(Object.keys(e).filter((k) => !names.has(k))).toEqual([]);
    const cp = readControlPlaneEnv(e);
    expect([cp.host, cp.port]).toEqual(['0.0.0.0', 8788]);
    expect(consoleSettingsFromEnv(e).gatewayUrl, 'the console reaches the gateway by its compose name').toBe('http://gateway:8787');
    for (const s of ['gateway', 'data-service']) {
      expect(env(s).ORGANISATIONS_TO_SYNC, s).toBe(cp.organisationId);
      expect(env(s).PORTKEY_CLIENT_AUTH, s).toBe(cp.clientAuth);
    }
    expect(compose.services['control-plane'].volumes).toContain('control-plane-data:/app/data');
  });

  it('the checks can fail: a gateway-only name is not a data-service setting', () => {
    expect(Object.keys(DATA_SERVICE_SCHEMA.shape)).not.toContain('CACHE_STORE');
    expect(() => loadDataServiceConfig({ CONTROL_PLANE_URL: 'http://control-plane:8788', PORTKEY_CLIENT_AUTH: 'k', DATA_DIR: '/nonexistent' })).toThrow(/ORGANISATIONS_TO_SYNC/);
  });
});
