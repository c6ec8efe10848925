import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSettings, settingNames } from '../../gateway/src/config/settings.js';
import { repoRoot } from './hcl.js';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
export function instructions(src: string): Instruction[] {
  return src
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** Problems of a Dockerfile against the image rules: multi-stage, non-root, HEALTHCHECK, prod deps. */
export function imageProblems(src: string, port: number, workspace: string): string[] {
  const ins = instructions(src);
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
  const compose = parse(read('docker/docker-compose.yml')) as {
    services: Record<string, { environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; build?: { dockerfile: string }; image?: string }>;
  };

  it('runs the gateway, redis, an S3-compatible store and a bucket-creating init container', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'minio', 'minio-init', 'redis']);
    expect(compose.services.gateway.build?.dockerfile).toBe('docker/gateway.Dockerfile');
    expect(compose.services.gateway.depends_on?.['minio-init'].condition).toBe('service_completed_successfully');
    const env = compose.services.gateway.environment!;
    expect([env.CACHE_STORE, env.LOG_STORE]).toEqual(['redis', 's3_custom']);
    expect(JSON.stringify(compose.services['minio-init'])).toContain(`local/${env.LOG_STORE_GENERATIONS_BUCKET}`);
  });

  it("the gateway's environment is accepted by loadSettings and names only real settings", () => {
    const env = compose.services.gateway.environment!;
    expect(Object.keys(env).filter((k) => !settingNames().includes(k))).toEqual([]);
    expect(() => loadSettings(env)).not.toThrow();
  });
});
