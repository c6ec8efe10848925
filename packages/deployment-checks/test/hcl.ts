// Loads terraform/ as hcl2json sees it: one merged document per module directory.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { inject } from 'vitest';
import type {} from './global-setup.js';
import { filesUnder, tfRoot, repoRoot, pkgRoot } from '../scripts/lib.mjs';

export { tfRoot, repoRoot, pkgRoot };
export const files = (dir: string, suffixes: string[]): string[] => filesUnder(dir, suffixes) as string[];

// hcl2json's JSON: blocks are arrays of objects, expressions are "${...}" strings.
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export interface Module {
  dir: string;
  variables: Record<string, Obj>;
  locals: Record<string, Json>;
  outputs: Record<string, Obj>;
  modules: Record<string, Obj>;
  resources: Record<string, Record<string, Obj>>;
  data: Record<string, Record<string, Obj>>;
  terraform: Obj[];
  /** file name -> parsed document */
  docs: Record<string, Obj>;
}

const cache = new Map<string, Promise<Module>>();

export function loadModule(dir: string): Promise<Module> {
  if (!cache.has(dir)) cache.set(dir, load(dir));
  return cache.get(dir)!;
}

async function load(dir: string): Promise<Module> {
  const m: Module = { dir, variables: {}, locals: {}, outputs: {}, modules: {}, resources: {}, data: {}, terraform: [], docs: {} };
  const tfs = files(dir, ['.tf']).filter((f) => path.dirname(f) === dir);
  if (tfs.length === 0) throw new Error(`no .tf files in ${dir}`);
  for (const f of tfs) {
    const doc = (await parsed(f)) as Record<string, Json>;
    m.docs[path.basename(f)] = doc as Obj;
    const one = <T>(x: Json | undefined, into: Record<string, T>, what: string) => {
      for (const [k, v] of Object.entries((x ?? {}) as Obj)) {
        if (k in into) throw new Error(`${what} ${k} is declared twice in ${dir}`);
        into[k] = (Array.isArray(v) ? v[0] : v) as T;
      }
    };
    one(doc.variable, m.variables, 'variable');
    one(doc.output, m.outputs, 'output');
    one(doc.module, m.modules, 'module');
    for (const block of (doc.locals ?? []) as Obj[]) one(block, m.locals, 'local');
    for (const [kind, into] of [['resource', m.resources], ['data', m.data]] as const) {
      for (const [type, byName] of Object.entries((doc[kind] ?? {}) as Obj)) {
        into[type] ??= {};
        one(byName, into[type], `${kind} ${type}`);
      }
    }
    m.terraform.push(...((doc.terraform ?? []) as Obj[]));
  }
  return m;
}

/** A file as hcl2json parses it, from the global setup's cache when there is one. */
export async function parsed(f: string): Promise<Record<string, unknown>> {
  const cached = inject('hclDocs')?.[f];
  if (cached?.error) throw new Error(`${f} does not parse: ${cached.error}`);
  return cached?.doc ?? parse(f, readFileSync(f, 'utf8'));
}

export const rootDir = tfRoot as string;
export const moduleDirs = (): string[] => [rootDir, path.join(rootDir, 'modules/ecs-service')];

/** Every "${...}" expression string under a JSON value, with a path for messages. */
export function expressions(v: Json, at = ''): { at: string; expr: string }[] {
  if (typeof v === 'string') return v.includes('${') ? [{ at, expr: v }] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => expressions(x, `${at}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [...(k.includes('${') ? [{ at, expr: k }] : []), ...expressions(x, `${at}.${k}`)]);
  return [];
}

/** "${var.x}" -> "var.x"; a plain string stays as it is. */
export const unwrap = (s: string): string => (s.startsWith('${') && s.endsWith('}') ? s.slice(2, -1) : s);
