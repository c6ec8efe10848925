import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expressions, files, loadModule, type Module, type Obj, parsed, rootDir } from './hcl.js';
import { referencesOf } from './refs.js';

const schema = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../aws-provider-schema.json'), 'utf8')) as {
  resource: Record<string, { attrs: string[] }>;
  data: Record<string, { attrs: string[] }>;
};

// Names that are not references to declarations: meta objects and iterators.
const NON_DECLARATION = new Set(['each', 'count', 'self', 'path', 'terraform']);

const isIndex = (s: string) => /^\d+$/.test(s) || /^".*"$/.test(s);

async function problems(m: Module, dynamicIterators: Set<string>): Promise<string[]> {
  const out: string[] = [];
  // Variable types (string, list(string)) and lifecycle.ignore_changes name types and attributes, not values.
  const all = expressions({ locals: m.locals, variable: m.variables, output: m.outputs, module: m.modules, resource: m.resources, data: m.data } as unknown as Obj).filter(
    ({ at }) => !/^\.variable\.\w+\.type$/.test(at) && !/\.lifecycle\[0\]\.ignore_changes/.test(at),
  );
  const refs = await referencesOf(all.map((x) => x.expr));
  for (const [i, { at }] of all.entries()) {
    for (const value of refs[i]) {
      const seg = value.split('.');
      const [head] = seg;
      const where = `${path.relative(rootDir, m.dir) || '.'}: ${at}: ${value}`;
      if (NON_DECLARATION.has(head) || dynamicIterators.has(head)) continue;
      if (head === 'var') {
        if (!(seg[1] in m.variables)) out.push(`${where}: variable ${seg[1]} is not declared`);
      } else if (head === 'local') {
        if (!(seg[1] in m.locals)) out.push(`${where}: local ${seg[1]} is not defined`);
      } else if (head === 'module') {
        const call = m.modules[seg[1]];
        if (!call) {
          out.push(`${where}: module ${seg[1]} does not exist`);
          continue;
        }
        const attr = seg.slice(2).find((s) => !isIndex(s));
        if (attr) {
          const child = await loadModule(path.resolve(m.dir, String(call.source)));
          if (!(attr in child.outputs)) out.push(`${where}: module ${seg[1]} has no output ${attr}`);
        }
      } else if (head === 'data') {
        const [, type, name] = seg;
        if (!m.data[type]?.[name]) out.push(`${where}: data.${type}.${name} is not declared`);
        const attr = seg.slice(3).find((s) => !isIndex(s));
        if (attr && schema.data[type] && !schema.data[type].attrs.includes(attr)) out.push(`${where}: data source ${type} has no attribute ${attr}`);
      } else if (head.startsWith('aws_')) {
        const [type, name] = seg;
        if (!m.resources[type]?.[name]) out.push(`${where}: resource ${type}.${name} is not declared`);
        const attr = seg.slice(2).find((s) => !isIndex(s));
        if (attr && schema.resource[type] && !schema.resource[type].attrs.includes(attr)) out.push(`${where}: resource ${type} has no attribute ${attr}`);
      } else {
        out.push(`${where}: unknown reference root ${head}`);
      }
    }
  }
  return out;
}

/** Names of dynamic blocks (their iterator is the block name) and for-expression variables are not declarations. */
function iterators(m: Module): Set<string> {
  const names = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'dynamic') Object.keys(x as object).forEach((n) => names.add(n));
        walk(x);
      }
    }
  };
  walk(m.resources);
  walk(m.data);
  return names;
}

describe('every reference resolves', () => {
  for (const dir of [rootDir, path.join(rootDir, 'modules/ecs-service')]) {
    it(`${path.relative(rootDir, dir) || 'root module'}: var, local, module, resource and data references exist`, async () => {
      const m = await loadModule(dir);
      expect(await problems(m, iterators(m))).toEqual([]);
    });
  }

  it('detects an undeclared variable (the check can fail)', async () => {
    const m = await loadModule(rootDir);
    const broken: Module = { ...m, locals: { ...m.locals, extra: '${var.never_declared}' } };
    expect(await problems(broken, iterators(broken))).toEqual([expect.stringContaining('variable never_declared is not declared')]);
  });

  it('module calls pass exactly the inputs the module declares, and every required one', async () => {
    const root = await loadModule(rootDir);
    const meta = new Set(['source', 'version', 'count', 'for_each', 'depends_on', 'providers']);
    const out: string[] = [];
    for (const [name, call] of Object.entries(root.modules)) {
      const src = String(call.source);
      if (!src.startsWith('./')) continue;
      const child = await loadModule(path.resolve(rootDir, src));
      for (const k of Object.keys(call)) if (!meta.has(k) && !(k in child.variables)) out.push(`module ${name}: ${k} is not a variable of ${src}`);
      for (const [v, spec] of Object.entries(child.variables)) if (!('default' in spec) && !(v in call)) out.push(`module ${name}: required input ${v} is missing`);
    }
    expect(out).toEqual([]);
  });

  it('modules from a registry or git are pinned to an exact version', async () => {
    const out: string[] = [];
    for (const dir of [rootDir, path.join(rootDir, 'modules/ecs-service')]) {
      const m = await loadModule(dir);
      for (const [name, call] of Object.entries(m.modules)) {
        const src = String(call.source);
        if (src.startsWith('./') || src.startsWith('../')) continue;
        const pinned = src.includes('?ref=') ? /\?ref=v?\d+\.\d+\.\d+$/.test(src) : /^\d+\.\d+\.\d+$/.test(String(call.version ?? ''));
        if (!pinned) out.push(`module ${name} (${src}) is not pinned to an exact version`);
      }
    }
    expect(out).toEqual([]);
  });

  it('tfvars set only declared variables and every variable without a default', async () => {
    const root = await loadModule(rootDir);
    const required = Object.entries(root.variables).filter(([, v]) => !('default' in v)).map(([k]) => k);
    for (const f of files(path.join(rootDir, 'environments'), ['.tfvars'])) {
      const doc = await parsed(f);
      const set = Object.keys(doc);
      expect(set.filter((k) => !(k in root.variables)), f).toEqual([]);
      expect(required.filter((k) => !set.includes(k)), f).toEqual([]);
    }
  });
});
