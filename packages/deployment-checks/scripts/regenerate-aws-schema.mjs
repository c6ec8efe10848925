#!/usr/bin/env node
// Regenerates aws-provider-schema.json: the argument, block and attribute names of every AWS resource and
// data source type that terraform/ uses, read from the prebuilt @cdktn/provider-aws bindings (MPL-2.0,
// generated from hashicorp/aws), with each type's typed schema (scripts/binding-schema.mjs). The package is ~1 GB unpacked, so it is installed into a temp dir
// outside the repo and only the compact snapshot is committed.
//
// Usage: node scripts/regenerate-aws-schema.mjs [path/to/node_modules/@cdktn/provider-aws]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { bindingSchema } from './binding-schema.mjs';

export const PACKAGE = '@cdktn/provider-aws';
export const PACKAGE_VERSION = '25.7.0';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgRoot = path.resolve(here, '..');
const tfRoot = path.resolve(pkgRoot, '../../terraform');

function providerDir() {
  if (process.argv[2]) return path.resolve(process.argv[2]);
  const dir = mkdtempSync(path.join(tmpdir(), 'cdktn-aws-'));
  console.error(`installing ${PACKAGE}@${PACKAGE_VERSION} into ${dir} (large, takes a minute)`);
  execFileSync('npm', ['i', '--ignore-scripts', '--no-audit', '--no-fund', `${PACKAGE}@${PACKAGE_VERSION}`], { cwd: dir, stdio: 'inherit' });
  return path.join(dir, 'node_modules', PACKAGE);
}

function tfFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tfFiles(p));
    else if (name.endsWith('.tf')) out.push(p);
  }
  return out;
}

/** Resource and data source types used anywhere under terraform/. */
async function usedTypes() {
  const resource = new Set();
  const data = new Set();
  for (const f of tfFiles(tfRoot)) {
    const doc = await parse(f, readFileSync(f, 'utf8'));
    for (const t of Object.keys(doc.resource ?? {})) resource.add(t);
    for (const t of Object.keys(doc.data ?? {})) data.add(t);
  }
  return { resource: [...resource].sort(), data: [...data].sort() };
}

// Return-object entries of a generated `xToTerraform(struct)` function or of synthesizeAttributes().
function entriesAfter(src, start) {
  const open = src.indexOf('return {', start);
  const rest = src.slice(open + 'return {'.length);
  const body = rest.slice(0, rest.search(/\n\s*\};/));
  const entries = {};
  for (const line of body.split('\n')) {
    const m = /^\s+(\w+): (.*?),?$/.exec(line);
    if (!m) continue;
    const nested = [...m[2].matchAll(/(?<!cdktn\.)\b(\w+ToTerraform)\b/g)].map((x) => x[1]);
    entries[m[1]] = nested[0] ?? null;
  }
  return entries;
}

function extract(file) {
  const src = readFileSync(file, 'utf8');
  const fns = new Map();
  for (const m of src.matchAll(/^function (\w+ToTerraform)\(struct\) \{/gm)) fns.set(m[1], entriesAfter(src, m.index));
  const build = (entries, seen) => {
    const node = { args: Object.keys(entries).sort(), blocks: {} };
    for (const [k, fn] of Object.entries(entries)) {
      if (fn && fns.has(fn) && !seen.has(fn)) node.blocks[k] = build(fns.get(fn), new Set([...seen, fn]));
    }
    if (Object.keys(node.blocks).length === 0) delete node.blocks;
    return node;
  };
  const cls = /^class \w+ extends cdktn\.Terraform(Resource|DataSource) \{/m.exec(src);
  if (!cls) throw new Error(`${file}: no resource class found; did the binding layout change?`);
  const main = src.slice(cls.index);
  const syn = main.indexOf('synthesizeAttributes() {');
  const node = build(entriesAfter(main, syn), new Set());
  const attrs = new Set();
  const required = [];
  for (const m of main.matchAll(/^ {4}\/\/ (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$/gm)) {
    attrs.add(m[1]);
    if (m[4] === 'true') required.push(m[1]);
  }
  const version = /providerVersion: '([^']+)'/.exec(main)?.[1];
  return { version, node: { ...node, attrs: [...attrs].sort(), required: required.sort() } };
}

const dirName = (type) => type.replace(/^aws_/, '').replace(/_/g, '-');

async function main() {
  const dir = providerDir();
  const types = await usedTypes();
  const out = { _meta: {}, resource: {}, data: {} };
  // The typed schema (`terraform providers schema -json` layout) the stand-in provider serves to terraform.
  const providerFile = path.join(dir, 'lib', 'provider', 'index.js');
  const typed = { provider: { version: 0, block: bindingSchema(readFileSync(providerFile, 'utf8'), providerFile) }, resource_schemas: {}, data_source_schemas: {} };
  let providerVersion;
  for (const [kind, list] of Object.entries(types)) {
    for (const t of list) {
      const d = path.join(dir, 'lib', kind === 'data' ? `data-aws-${dirName(t)}` : dirName(t), 'index.js');
      if (!existsSync(d)) throw new Error(`${kind} type ${t} has no binding at ${d}: the AWS provider does not know it`);
      const { version, node } = extract(d);
      providerVersion = version ?? providerVersion;
      out[kind][t] = node;
      typed[kind === 'data' ? 'data_source_schemas' : 'resource_schemas'][t] = { version: 0, block: bindingSchema(readFileSync(d, 'utf8'), d) };
    }
  }
  out._meta = {
    provider: 'registry.terraform.io/hashicorp/aws',
    provider_version: providerVersion,
    source: `${PACKAGE}@${PACKAGE_VERSION} (MPL-2.0, generated from the hashicorp/aws provider schema)`,
    note: 'The types terraform/ uses: their names (args, blocks, attrs, required) for the offline checks, and under terraform_schema their typed schema for the stand-in provider (provider/). Regenerate with packages/deployment-checks/scripts/regenerate-aws-schema.mjs.',
  };
  out.terraform_schema = typed;
  const target = path.join(pkgRoot, 'aws-provider-schema.json');
  writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
  console.error(`wrote ${target}: ${types.resource.length} resource types, ${types.data.length} data sources, provider ${providerVersion}`);
}

await main();
