import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModule, moduleDirs, type Obj, rootDir, unwrap } from './hcl.js';

interface Node {
  args: string[];
  blocks?: Record<string, Node>;
  attrs?: string[];
  required?: string[];
}
const schema = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../aws-provider-schema.json'), 'utf8')) as {
  _meta: { provider_version: string; source: string };
  resource: Record<string, Node>;
  data: Record<string, Node>;
  terraform_schema: {
    resource_schemas: Record<string, { block: { attributes: Record<string, { type: unknown }>; block_types?: Record<string, unknown> } }>;
    data_source_schemas: Record<string, unknown>;
  };
};

const META = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection', 'dynamic']);

/** Problems of one block body against its schema node: unknown arguments and nested blocks, recursively. */
export function check(body: Obj, node: Node, where: string, top = true): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (top && META.has(k)) continue;
    if (k === 'dynamic') {
      for (const [name, defs] of Object.entries(v as Obj)) {
        if (!node.args.includes(name)) out.push(`${where}: dynamic block ${name} is not an argument`);
        const content = ((defs as Obj[])[0].content as Obj[] | undefined)?.[0];
        if (content && node.blocks?.[name]) out.push(...check(content, node.blocks[name], `${where}.${name}`, false));
      }
      continue;
    }
    if (!node.args.includes(k)) {
      out.push(`${where}: unknown argument or block ${k}`);
      continue;
    }
    const nested = node.blocks?.[k];
    if (nested && Array.isArray(v)) for (const [i, b] of v.entries()) if (b && typeof b === 'object' && !Array.isArray(b)) out.push(...check(b as Obj, nested, `${where}.${k}[${i}]`, false));
  }
  if (top) for (const r of node.required ?? []) if (!(r in body)) out.push(`${where}: required argument ${r} is missing`);
  return out;
}

describe('every resource and data source matches the AWS provider schema', () => {
  it('the snapshot was generated at the provider version versions.tf requires', async () => {
    for (const dir of moduleDirs()) {
      const m = await loadModule(dir);
      const aws = (m.terraform[0].required_providers as Obj[])[0].aws as Obj;
      expect(aws.source).toBe('hashicorp/aws');
      const [, major, minor] = /^~> (\d+)\.(\d+)$/.exec(String(aws.version)) ?? [];
      expect(`${major}.${minor}`, `${dir}: pin the aws provider as "~> X.Y"`).toBe(schema._meta.provider_version.split('.').slice(0, 2).join('.'));
      expect(unwrap(String(m.terraform[0].required_version))).toMatch(/^>= 1\.(9|\d{2,})/);
    }
    expect(schema._meta.source).toMatch(/@cdktn\/provider-aws@\d+\.\d+\.\d+ \(MPL-2\.0/);
  });

  for (const dir of moduleDirs()) {
    it(`${path.relative(rootDir, dir) || 'root module'}: resource and data types, arguments and blocks exist`, async () => {
      const m = await loadModule(dir);
      const out: string[] = [];
      for (const [kind, all] of [['resource', m.resources], ['data', m.data]] as const) {
        for (const [type, byName] of Object.entries(all)) {
          const node = schema[kind][type];
          if (!node) {
            out.push(`${kind} ${type} is not in aws-provider-schema.json (not an AWS type, or run scripts/regenerate-aws-schema.mjs)`);
            continue;
          }
          for (const [name, body] of Object.entries(byName)) out.push(...check(body, node, `${type}.${name}`));
        }
      }
      expect(out).toEqual([]);
    });
  }

  it('the typed schema the stand-in provider serves covers the same types, with every attribute named in the snapshot', () => {
    expect(Object.keys(schema.terraform_schema.resource_schemas).sort()).toEqual(Object.keys(schema.resource).sort());
    expect(Object.keys(schema.terraform_schema.data_source_schemas).sort()).toEqual(Object.keys(schema.data).sort());
    for (const [type, s] of Object.entries(schema.terraform_schema.resource_schemas)) {
      const names = [...Object.keys(s.block.attributes), ...Object.keys(s.block.block_types ?? {})];
      for (const a of schema.resource[type].attrs ?? []) expect(names, `${type}.${a}`).toContain(a);
    }
  });

  it('rejects an argument the provider lacks (the check can fail)', () => {
    const body = { name: 'x', deployment_configuration: [{ strategy: 'BLUE_GREEN', no_such_thing: 1 }], launch_typo: 'EC2' } as Obj;
    expect(check(body, schema.resource.aws_ecs_service, 'aws_ecs_service.t')).toEqual([
      'aws_ecs_service.t.deployment_configuration[0]: unknown argument or block no_such_thing',
      'aws_ecs_service.t: unknown argument or block launch_typo',
    ]);
    expect(check({}, schema.resource.aws_lb_listener, 'aws_lb_listener.t')).toEqual(
      expect.arrayContaining(['aws_lb_listener.t: required argument load_balancer_arn is missing']),
    );
  });
});
