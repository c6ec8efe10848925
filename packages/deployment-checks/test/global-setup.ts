// Parses every HCL file once for all test workers (hcl2json runs Go in WebAssembly: ~0.1-1 s a file).
import { readFileSync } from 'node:fs';
import { parse } from '@cdktf/hcl2json';
import type { TestProject } from 'vitest/node';
import { hclFiles } from '../scripts/lib.mjs';

export type ParsedFiles = Record<string, { doc?: Record<string, unknown>; error?: string }>;

declare module 'vitest' {
  export interface ProvidedContext {
    hclDocs: ParsedFiles;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const out: ParsedFiles = {};
  for (const f of hclFiles()) {
    try {
      out[f] = { doc: await parse(f, readFileSync(f, 'utf8')) };
    } catch (e) {
      out[f] = { error: (e as Error).message };
    }
  }
  project.provide('hclDocs', out);
}
