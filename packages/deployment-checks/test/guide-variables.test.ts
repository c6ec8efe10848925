import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, TARGETS, typeText, variableTable } from '../scripts/gen-variable-table.mjs';
import { loadModule, type Obj, repoRoot, rootDir, unwrap } from './hcl.js';

// The variable table of the deployment guide (shared/spec/ecs-deployment-guide.md), typed out:
// name, default (undefined = no default), requiredness, and for Conditional ones the variable it depends on.
type Req = 'yes' | 'no' | { conditionalOn: string };
const GUIDE: [string, unknown, Req][] = [
  ['project_name', 'portkey', 'no'],
  ['environment', 'dev', 'no'],
  ['aws_region', undefined, 'yes'],
  ['environment_variables_file_path', undefined, 'yes'],
  ['secrets_file_path', undefined, 'yes'],
  ['create_new_vpc', undefined, 'yes'],
  ['vpc_cidr', null, { conditionalOn: 'create_new_vpc' }],
  ['num_az', 2, 'no'],
  ['single_nat_gateway', true, 'no'],
  ['vpc_id', null, { conditionalOn: 'create_new_vpc' }],
  ['public_subnet_ids', [], { conditionalOn: 'create_new_vpc' }],
  ['private_subnet_ids', [], { conditionalOn: 'create_new_vpc' }],
  ['create_cluster', true, 'no'],
  ['cluster_name', null, { conditionalOn: 'create_cluster' }],
  ['capacity_provider_name', null, { conditionalOn: 'create_cluster' }],
  ['instance_type', 't4g.medium', 'no'],
  ['max_asg_size', 3, 'no'],
  ['min_asg_size', 1, 'no'],
  ['desired_asg_size', 2, 'no'],
  ['target_capacity', 70, 'no'],
  ['gateway_image', { image: 'portkeyai/gateway_enterprise', tag: 'latest' }, 'no'],
  ['data_service_image', { image: 'portkeyai/data-service', tag: 'latest' }, 'no'],
  ['docker_cred_secret_arn', undefined, 'yes'],
  ['redis_image', { image: 'redis', tag: '7.2-alpine' }, 'no'],
  ['gateway_desired_task', 1, 'no'],
  ['gateway_cpu', 256, 'no'],
  ['gateway_memory', 1024, 'no'],
  ['gateway_enable_autoscaling', false, 'no'],
  ['gateway_min_capacity', 1, 'no'],
  ['gateway_max_capacity', 3, 'no'],
  ['gateway_target_cpu_utilization', null, 'no'],
  ['gateway_target_memory_utilization', null, 'no'],
  ['gateway_scale_in_cooldown', 120, 'no'],
  ['gateway_scale_out_cooldown', 60, 'no'],
  ['enable_dataservice', false, 'no'],
  ['dataservice_desired_task', 1, 'no'],
  ['dataservice_cpu', 256, 'no'],
  ['dataservice_memory', 1024, 'no'],
  ['dataservice_enable_autoscaling', false, 'no'],
  ['dataservice_min_capacity', 1, 'no'],
  ['dataservice_max_capacity', 3, 'no'],
  ['dataservice_target_cpu_utilization', null, 'no'],
  ['dataservice_target_memory_utilization', null, 'no'],
  ['dataservice_scale_in_cooldown', 120, 'no'],
  ['dataservice_scale_out_cooldown', 60, 'no'],
  ['redis_type', 'redis', 'no'],
  ['redis_endpoint', '', { conditionalOn: 'redis_type' }],
  ['redis_cpu', 256, 'no'],
  ['redis_memory', 1024, 'no'],
  ['redis_tls_enabled', false, 'no'],
  ['redis_mode', 'standalone', 'no'],
  ['object_storage', undefined, 'yes'],
  ['enable_bedrock_access', false, 'no'],
  ['create_nlb', true, 'no'],
  ['internal_nlb', true, 'no'],
  ['allowed_nlb_cidrs', [], 'no'],
  ['tls_certificate_arn', '', 'no'],
  ['enable_blue_green', false, 'no'],
];

describe("variables.tf matches the deployment guide's table", () => {
  it('declares exactly the guide variables, plus the control plane\'s and the data service\'s extras, prefixed and off by default', async () => {
    const m = await loadModule(rootDir);
    const extra = Object.keys(m.variables).filter((n) => !GUIDE.some(([g]) => g === n));
    expect(Object.keys(m.variables).filter((n) => !extra.includes(n)).sort()).toEqual(GUIDE.map(([n]) => n).sort());
    expect(GUIDE).toHaveLength(58);
    for (const n of extra) {
      expect(n, 'a variable beyond the guide must be prefixed control_plane_ or dataservice_').toMatch(/^(control_plane_|dataservice_)/);
      expect('default' in m.variables[n], `${n} must have a default`).toBe(true);
    }
    expect(m.variables.control_plane_enabled.default).toBe(false);
    // They live in their own file, so the guide's table in variables.tf (and the docs) stays the guide's.
    const inVariablesTf = Object.keys(((m.docs['variables.tf'].variable ?? {}) as Obj));
    expect(inVariablesTf.filter((n) => extra.includes(n))).toEqual([]);
    expect(m.variables.dataservice_bedrock_finetune_role_arn.default).toBe('');
  });

  it.each(GUIDE)('%s: same default and requiredness, with a type and a description', async (name, def, req) => {
    const v = (await loadModule(rootDir)).variables[name];
    expect(v, `${name} is not declared`).toBeDefined();
    if (req === 'yes') expect('default' in v, `${name} must have no default (required)`).toBe(false);
    else expect(v.default).toEqual(def);
    expect(typeof v.type).toBe('string');
    expect(String(v.description).length).toBeGreaterThan(10);
    if (typeof req === 'object') {
      const conditions = ((v.validation ?? []) as Obj[]).map((x) => unwrap(String(x.condition)));
      expect(conditions.some((c) => c.includes(`var.${req.conditionalOn}`) && c.includes(`var.${name}`)), `${name}: a validation must tie it to ${req.conditionalOn}`).toBe(true);
    }
  });

  it('redis_type accepts redis, aws-elasti-cache and aws-elastic-cache', async () => {
    const v = (await loadModule(rootDir)).variables.redis_type;
    const cond = unwrap(String((v.validation as Obj[])[0].condition));
    for (const t of ['redis', 'aws-elasti-cache', 'aws-elastic-cache']) expect(cond).toContain(`"${t}"`);
  });
});

describe('the variable table in the docs is generated from variables.tf', () => {
  it.each(TARGETS.map((f: string) => [path.relative(repoRoot, f), f]))('%s has no drift', async (_rel, f) => {
    const text = readFileSync(f, 'utf8');
    const a = text.indexOf(BEGIN);
    const b = text.indexOf(END);
    expect(a, `${f} lacks the generated-table markers`).toBeGreaterThanOrEqual(0);
    // On failure run: node packages/deployment-checks/scripts/gen-variable-table.mjs --write
    expect(text.slice(a + BEGIN.length, b).trim()).toBe((await variableTable()).trim());
  });

  it('prints object types on one line with commas between attributes, as HCL writes them', async () => {
    expect(typeText('object({\n    image = string\n    tag   = string\n  })')).toBe('object({ image = string, tag = string })');
    expect(typeText('list(string)')).toBe('list(string)');
    const row = (await variableTable()).split('\n').find((l) => l.startsWith('| `object_storage` '));
    expect(row).toContain('`object({ log_store_bucket = string, log_exports_bucket = optional(string, ""), finetune_bucket = optional(string, ""), bucket_region = string, kms_key_arn = optional(string, "") })`');
  });
});
