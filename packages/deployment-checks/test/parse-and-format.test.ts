import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { format } from '@cdktf/hcl-tools';
import { describe, expect, it } from 'vitest';
import { files, parsed, rootDir } from './hcl.js';

const hcl = files(rootDir, ['.tf', '.tfvars', '.tftest.hcl']);

describe('terraform files parse and are formatted like terraform fmt', () => {
  it('finds the layout the deployment guide describes', () => {
    const rel = hcl.map((f) => path.relative(rootDir, f));
    for (const env of ['dev', 'prod']) {
      expect(rel).toContain(`environments/${env}/${env}.tfvars`);
      for (const f of ['environment-variables.json', 'secrets.json', 'backend.config']) {
        expect(() => readFileSync(path.join(rootDir, 'environments', env, f)), `${env}/${f}`).not.toThrow();
      }
    }
    expect(rel).toContain('variables.tf');
    expect(rel).toContain('versions.tf');
    expect(rel).toContain('modules/ecs-service/main.tf');
    expect(rel.filter((f) => f.startsWith('tests/') && f.endsWith('.tftest.hcl')).length).toBeGreaterThan(0);
  });

  it.each(hcl.map((f) => [path.relative(rootDir, f), f]))('%s parses', async (_rel, f) => {
    const doc = await parsed(f);
    expect(Object.keys(doc).length).toBeGreaterThan(0);
  });

  it.each(hcl.map((f) => [path.relative(rootDir, f), f]))('%s matches hclwrite formatting', async (_rel, f) => {
    const src = readFileSync(f, 'utf8');
    // On failure run: node packages/deployment-checks/scripts/fmt.mjs (or terraform fmt -recursive)
    expect(await format(src)).toBe(src);
  });

  it('backend.config files parse as HCL with bucket, key and region', async () => {
    for (const env of ['dev', 'prod']) {
      const f = path.join(rootDir, 'environments', env, 'backend.config');
      const doc = await parse(f, readFileSync(f, 'utf8'));
      expect(Object.keys(doc)).toEqual(expect.arrayContaining(['bucket', 'key', 'region']));
    }
  });

  it('environment-variables.json and secrets.json have the keys gateway and data-service with string values', () => {
    for (const env of ['dev', 'prod']) {
      for (const f of ['environment-variables.json', 'secrets.json']) {
        const doc = JSON.parse(readFileSync(path.join(rootDir, 'environments', env, f), 'utf8')) as Record<string, Record<string, unknown>>;
        expect(Object.keys(doc).sort(), `${env}/${f}`).toEqual(['data-service', 'gateway']);
        for (const svc of Object.values(doc)) for (const v of Object.values(svc)) expect(typeof v).toBe('string');
      }
    }
  });
});
