import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, SETTINGS, settingNames } from '../../gateway/src/config/settings.js';
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
};

/** Every value one key of a base-environment local can take. */
function candidates(m: Module, key: string, raw: string): string[] {
  if (!raw.includes('${')) return [raw];
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

const names = new Set(settingNames());

describe('the environment terraform sets is exactly what the gateway reads', () => {
  for (const [service, local] of [['gateway', 'gateway_base_environment'], ['data-service', 'dataservice_base_environment']] as const) {
    for (const env of ['dev', 'prod']) {
      it(`${service} (${env}): every variable is a gateway setting and loadSettings accepts every combination`, async () => {
        const m = await loadModule(rootDir);
        const base = m.locals[local] as Record<string, string>;
        const extra = readJson(env, 'environment-variables.json')[service];
        const secrets = readJson(env, 'secrets.json')[service];
        const all = [...Object.keys(base), ...Object.keys(extra), ...Object.keys(secrets)];
        expect(all.filter((k) => !names.has(k)), 'names no setting in packages/gateway/src/config/settings.ts reads').toEqual([]);

        const options = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, candidates(m, k, v)]));
        const first = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, v[0]]));
        const secretValues = Object.fromEntries(Object.keys(secrets).map((k) => [k, `secret-value-of-${k}`]));
        // Vary one key at a time over every value terraform can give it; the rest stay as first chosen.
        let tried = 0;
        for (const [k, values] of Object.entries(options)) {
          for (const value of values) {
            const envVars = { ...first, [k]: value, ...extra, ...secretValues };
            expect(() => loadSettings(envVars), `${k}=${value}`).not.toThrow();
            tried++;
          }
        }
        expect(tried).toBeGreaterThan(Object.keys(base).length);
      });
    }
  }

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
    expect(names.has('REDIS_HOST')).toBe(false);
    expect(() => loadSettings({ CACHE_STORE: 'redis' })).toThrow(/REDIS_URL is required/);
  });

  it('docs/deployment.md lists every variable terraform sets, as one list', async () => {
    const m = await loadModule(rootDir);
    const doc = readFileSync(path.join(repoRoot, 'docs/deployment.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Container environment'));
    expect(section.length, 'docs/deployment.md needs a "## Container environment" section').toBeGreaterThan(30);
    const listed = [...section.slice(0, section.indexOf('\n## ', 5) >>> 0).matchAll(/^\| `([A-Z_]+)` \|/gm)].map((x) => x[1]);
    const gw = Object.keys(m.locals.gateway_base_environment as object);
    const secrets = Object.keys(readJson('dev', 'secrets.json').gateway);
    expect([...new Set(listed)].sort()).toEqual([...new Set([...gw, ...secrets])].sort());
  });
});
