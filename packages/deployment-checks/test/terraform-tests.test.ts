import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModule, type Obj, parsed, repoRoot, rootDir, unwrap } from './hcl.js';

type Run = { command?: string; expect_failures?: string[]; assert?: Obj[] };
const runs = async (file: string) => {
  const f = path.join(rootDir, 'tests', file);
  const doc = (await parsed(f)) as { mock_provider?: Record<string, unknown>; run: Record<string, Run[]> };
  return doc;
};

describe('terraform test files (for users with terraform)', () => {
  it('mock the aws provider and only plan', async () => {
    for (const f of ['plan.tftest.hcl', 'validations.tftest.hcl']) {
      const doc = await runs(f);
      expect(Object.keys(doc.mock_provider ?? {}), f).toEqual(['aws']);
      for (const [name, [r]] of Object.entries(doc.run)) expect(unwrap(String(r.command)), `${f} run ${name}`).toBe('plan');
    }
  });

  it('every variable with a validation (cross-variable ones included) has an expect_failures run', async () => {
    const m = await loadModule(rootDir);
    const validated = Object.entries(m.variables)
      .filter(([, v]) => ((v.validation ?? []) as Obj[]).length > 0)
      .map(([name]) => name);
    const crossVar = validated.filter((name) =>
      ((m.variables[name].validation ?? []) as Obj[]).some((x) => [...String(x.condition).matchAll(/var\.(\w+)/g)].some((g) => g[1] !== name)),
    );
    const doc = await runs('validations.tftest.hcl');
    const expected = new Set(Object.values(doc.run).flatMap(([r]) => (r.expect_failures ?? []).map((x) => unwrap(x).replace(/^var\./, ''))));
    expect(crossVar.length).toBeGreaterThanOrEqual(10);
    expect(validated.filter((n) => !expected.has(n))).toEqual([]);
    for (const n of expected) expect(m.variables[n], `expect_failures names unknown variable ${n}`).toBeDefined();
  });

  it('plan assertions cover TLS, create_nlb, NAT per AZ, existing VPC, AMI architecture, ElastiCache and blue/green', async () => {
    const doc = await runs('plan.tftest.hcl');
    const text = JSON.stringify(doc.run);
    for (const s of ['tls_certificate_arn', 'create_nlb', 'single_nat_gateway', 'create_new_vpc', 'amazon-linux-2023/arm64', 'aws-elastic-cache', 'aws-elasti-cache', 'enable_blue_green', 'gateway_enable_autoscaling'])
      expect(text, s).toContain(s);
  });
});

describe('architecture', () => {
  it('has the diagram source and its SVG rendering', () => {
    const dot = readFileSync(path.join(repoRoot, 'architecture/deployment.dot'), 'utf8');
    const svg = readFileSync(path.join(repoRoot, 'architecture/deployment.svg'), 'utf8').replace(/&#45;/g, '-');
    expect(dot).toMatch(/^digraph /m);
    expect(svg).toContain('<svg');
    // The rendering shows what the source says (re-render with dot -Tsvg after editing).
    for (const label of ['gateway:8787', 'data-service:8081', 'redis:6379', 'control-plane:8788', '/v1/health']) {
      expect(dot).toContain(label);
      expect(svg).toContain(label);
    }
    expect(existsSync(path.join(repoRoot, 'architecture/README.md'))).toBe(true);
  });
});
