#!/usr/bin/env node
// Rewrites every .tf, .tfvars and .tftest.hcl file under terraform/ the way `terraform fmt` does
// (hclwrite via @cdktf/hcl-tools), for machines without a terraform binary.
// Usage: node scripts/fmt.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { format } from '@cdktf/hcl-tools';
import { hclFiles } from './lib.mjs';

const check = process.argv.includes('--check');
let bad = 0;
for (const f of hclFiles()) {
  const src = readFileSync(f, 'utf8');
  const out = await format(src);
  if (out === src) continue;
  bad++;
  if (check) console.error(`not formatted: ${f}`);
  else writeFileSync(f, out);
}
if (check && bad) process.exit(1);
