import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, SETTINGS, settingNames } from '../../gateway/src/config/settings.js';
// Tests only: the data service's own schema and loader (production code never imports another package's src).
import { CONFIG_SCHEMA as DATA_SERVICE_SCHEMA, loadConfig as loadDataServiceConfig } from '../../data-service/src/config.js';
import { loadModule, type Module, repoRoot, rootDir, unwrap } from './hcl.js';

// Values for expressions that read variables (everything else is taken from the expression's own
// string literals). REDIS_URL covers both the built-in redis and a TLS ElastiCache endpoint.
const FROM_VARIABLES: Record<string, string[]> = {
  REDIS_URL: ['redis://redis:6379', 'rediss://clustercfg.portkey-prod.abc123.use1.cache.amazonaws.com:6379'],
  REDIS_MODE: ['standalone', 'cluster'],
  LOG_STORE_REGION: ['us-east-1'],
  LOG_STORE_GENERATIONS_BUCKET: ['my-portkey-prod-logs'],
  LOG_EXPORTS_BUCKET: ['my-portkey-prod-log-exports'],
  FINETUNES_BUCKET: ['my-portkey-prod-finetunes'],
  DATASERVICE_BASEPATH: ['http://data-service:8081'],
  CONTROL_PLANE_URL: ['http://control-plane:8788'],
  BEDROCK_FINETUNE_ROLE_ARN: ['arn:aws:iam::123456789012:role/bedrock-finetune'],
};

/** Every value one key of a base-environment local can take. */
function candidates(m: Module, key: string, raw: string): string[] {
  if (!raw.includes('${')) return [raw];
  // A template of plain locals ("http://${local.gateway_dns}:${local.gateway_port}") has one value.
  const parts = [...raw.matchAll(/\$\{local\.(\w+)\}/g)];
  if (parts.length > 0 && raw.replace(/\$\{local\.\w+\}/g, '').indexOf('${') < 0 && parts.every((p) => typeof m.locals[p[1]] === 'number' || (typeof m.locals[p[1]] === 'string' && !String(m.locals[p[1]]).includes('${')))) {
    return [raw.replace(/\$\{local\.(\w+)\}/g, (_, n: string) => String(m.locals[n]))];
  }
  const expr = unwrap(raw);
  const local = /^(?:tostring\()?local\.(\w+)\)?$/.exec(expr);
  if (local && typeof m.locals[local[1]] === 'number') return [String(m.locals[local[1]])];
  const literals = [...expr.matchAll(/"([^"$]*)"/g)].map((x) => x[1]).filter((s) => s !== '');
  const values = [...new Set([...literals, ...(FROM_VARIABLES[key] ?? [])])];
  if (values.length === 0) throw new Error(`${key} = ${raw}: add sample values for it to FROM_VARIABLES`);
  return values;
}

const readJson = (env: string, f: string) =>
  JSON.parse(readFileSync(path.join(rootDir, 'environments', env, f), 'utf8')) as Record<'gateway' | 'data-service', Record<string, string>>;

const gatewayNames = new Set(settingNames());
// The data service's schema, plus PORT, which loadConfig reads when DATA_SERVICE_PORT is unset (tested below).
const dataServiceNames = new Set([...Object.keys(DATA_SERVICE_SCHEMA.shape), 'PORT']);

/** The secrets a service gets: its own from secrets.json; the data service also shares the gateways' two. */
function secretNames(env: string, service: 'gateway' | 'data-service'): string[] {
  const own = Object.keys(readJson(env, 'secrets.json')[service]);
  const shared = service === 'data-service' ? Object.keys(readJson(env, 'secrets.json').gateway).filter((k) => ['PORTKEY_CLIENT_AUTH', 'ORGANISATIONS_TO_SYNC'].includes(k)) : [];
  return [...new Set([...shared, ...own])];
}

const SERVICES = [
  { service: 'gateway', local: 'gateway_base_environment', names: gatewayNames, load: (e: Record<string, string>) => loadSettings(e), where: 'packages/gateway/src/config/settings.ts' },
  { service: 'data-service', local: 'dataservice_base_environment', names: dataServiceNames, load: (e: Record<string, string>) => loadDataServiceConfig(e), where: 'packages/data-service/src/config.ts' },
] as const;

describe("the environment terraform sets is exactly what each service reads", () => {
  for (const { service, local, names, load, where } of SERVICES) {
    for (const env of ['dev', 'prod']) {
      it(`${service} (${env}): every variable is one of its settings and its loader accepts every combination`, async () => {
        const m = await loadModule(rootDir);
        const base = m.locals[local] as Record<string, string>;
        const extra = readJson(env, 'environment-variables.json')[service];
        const secrets = secretNames(env, service);
        const all = [...Object.keys(base), ...Object.keys(extra), ...secrets];
        expect(all.filter((k) => !names.has(k)), `names no setting in ${where} reads`).toEqual([]);

        const options = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, candidates(m, k, v)]));
        const first = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, v[0]]));
        const secretValues = Object.fromEntries(secrets.map((k) => [k, `secret-value-of-${k}`]));
        // Vary one key at a time over every value terraform can give it; the rest stay as first chosen.
        let tried = 0;
        for (const [k, values] of Object.entries(options)) {
          for (const value of values) {
            const envVars = { ...first, [k]: value, ...extra, ...secretValues };
            expect(() => load(envVars), `${k}=${value}`).not.toThrow();
            tried++;
          }
        }
        expect(tried).toBeGreaterThan(Object.keys(base).length);
      });
    }
  }

  it('the data service reads PORT as its port, and refuses a control plane without its client auth', () => {
    expect(loadDataServiceConfig({ PORT: '8081' }).DATA_SERVICE_PORT).toBe(8081);
    expect(dataServiceNames.has('CACHE_STORE'), 'a gateway-only setting is not a data-service one').toBe(false);
    expect(() => loadDataServiceConfig({ CONTROL_PLANE_URL: 'http://control-plane:8788', DATA_DIR: '/nonexistent' })).toThrow(/PORTKEY_CLIENT_AUTH is required/);
  });

  it('the data service gets GATEWAY_URL=http://gateway:8787, PORT 8081, and CONTROL_PLANE_URL only with the control plane', async () => {
    const m = await loadModule(rootDir);
    const ds = m.locals.dataservice_base_environment as Record<string, string>;
    expect(candidates(m, 'GATEWAY_URL', ds.GATEWAY_URL)).toEqual(['http://gateway:8787']);
    expect(candidates(m, 'PORT', ds.PORT)).toEqual(['8081']);
    expect(unwrap(ds.CONTROL_PLANE_URL)).toBe('var.control_plane_enabled ? local.control_plane_url : ""');
    for (const env of ['dev', 'prod']) expect(secretNames(env, 'data-service').sort()).toEqual(['ORGANISATIONS_TO_SYNC', 'PORTKEY_CLIENT_AUTH']);
  });

  it('sets the settings the deployment contract names, HOST=0.0.0.0 and the ports 8787 / 8081', async () => {
    const m = await loadModule(rootDir);
    const gw = m.locals.gateway_base_environment as Record<string, string>;
    expect(Object.keys(gw).sort()).toEqual(
      ['CACHE_STORE', 'REDIS_URL', 'REDIS_TLS_ENABLED', 'REDIS_MODE', 'LOG_STORE', 'LOG_STORE_REGION', 'LOG_STORE_GENERATIONS_BUCKET', 'LOG_EXPORTS_BUCKET', 'FINETUNES_BUCKET', 'DATASERVICE_BASEPATH', 'CONTROL_PLANE_URL', 'PORT', 'HOST'].sort(),
    );
    expect(gw.HOST).toBe('0.0.0.0');
    expect(candidates(m, 'PORT', gw.PORT)).toEqual(['8787']);
    const ds = m.locals.dataservice_base_environment as Record<string, string>;
    expect(candidates(m, 'PORT', ds.PORT)).toEqual(['8081']);
    for (const env of ['dev', 'prod']) expect(Object.keys(readJson(env, 'secrets.json').gateway).sort()).toEqual(['ORGANISATIONS_TO_SYNC', 'PORTKEY_CLIENT_AUTH']);
  });

  it('CACHE_STORE and LOG_STORE only take values the settings schema allows', async () => {
    const m = await loadModule(rootDir);
    const gw = m.locals.gateway_base_environment as Record<string, string>;
    const allowed = (n: string) => (SETTINGS.find((s) => s.name === n) as { values?: readonly string[] }).values;
    for (const k of ['CACHE_STORE', 'LOG_STORE', 'REDIS_MODE']) for (const v of candidates(m, k, gw[k])) expect(allowed(k)).toContain(v);
  });

  it('the check can fail: an unknown name or a bad value is rejected', () => {
    expect(gatewayNames.has('REDIS_HOST')).toBe(false);
    expect(() => loadSettings({ CACHE_STORE: 'redis' })).toThrow(/REDIS_URL is required/);
  });

  it('docs/deployment.md lists every variable terraform sets, one table per service', async () => {
    const m = await loadModule(rootDir);
    const doc = readFileSync(path.join(repoRoot, 'docs/deployment.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Container environment'));
    expect(section.length, 'docs/deployment.md needs a "## Container environment" section').toBeGreaterThan(30);
    const body = section.slice(0, section.indexOf('\n## ', 5) >>> 0);
    const split = body.indexOf('\n### Data service');
    expect(split, 'the section needs a "### Data service" table').toBeGreaterThan(0);
    const listed = (text: string) => [...new Set([...text.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((x) => x[1]))].sort();
    const gw = Object.keys(m.locals.gateway_base_environment as object);
    expect(listed(body.slice(0, split))).toEqual([...new Set([...gw, ...secretNames('dev', 'gateway')])].sort());
    const ds = Object.keys(m.locals.dataservice_base_environment as object);
    expect(listed(body.slice(split))).toEqual([...new Set([...ds, ...secretNames('dev', 'data-service')])].sort());
  });
});
