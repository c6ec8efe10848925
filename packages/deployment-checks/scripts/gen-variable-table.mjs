#!/usr/bin/env node
// Generates the Terraform variable table of docs/deployment.md and terraform/README.md from
// terraform/variables.tf (groups come from its "# ---- Group" comments).
// Usage: node scripts/gen-variable-table.mjs            print the table
//        node scripts/gen-variable-table.mjs --write    replace it between the markers in both files
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { repoRoot, tfRoot } from './lib.mjs';

export const BEGIN = '<!-- BEGIN VARIABLES: generated from terraform/variables.tf by packages/deployment-checks/scripts/gen-variable-table.mjs; do not edit -->';
export const END = '<!-- END VARIABLES -->';
export const TARGETS = [path.join(repoRoot, 'docs/deployment.md'), path.join(tfRoot, 'README.md')];

function hclValue(v) {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(hclValue).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}=${hclValue(x)}`).join(', ')}}`;
  return String(v);
}

/** A multi-line type constraint on one line, attributes separated by commas as HCL would accept them. */
export function typeText(type) {
  const lines = type.split('\n').map((l) => l.trim().replace(/\s+=\s+/, ' = ')).filter(Boolean);
  let out = lines[0] ?? '';
  for (const l of lines.slice(1)) out += /[({[]$/.test(out) || /^[)}\]]/.test(l) ? ` ${l}` : `, ${l}`;
  return out;
}

const cell = (s) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

export async function variableTable() {
  const file = path.join(tfRoot, 'variables.tf');
  const src = readFileSync(file, 'utf8');
  const doc = await parse(file, src);
  const rows = ['| Variable Name | Type | Default | Required | Description |', '|---|---|---|---|---|'];
  const order = [...src.matchAll(/^# -{3,} (.+)$|^variable "(\w+)"/gm)];
  for (const m of order) {
    if (m[1]) {
      rows.push(`| **${m[1].trim()}** | | | | |`);
      continue;
    }
    const v = doc.variable[m[2]][0];
    const type = typeText(String(v.type).replace(/^\$\{|\}$/g, ''));
    const required = !('default' in v) ? '**Yes**' : /\((required|must be provided) if /i.test(v.description) ? 'Conditional*' : 'No';
    const def = 'default' in v ? `\`${hclValue(v.default)}\`` : '-';
    rows.push(`| \`${m[2]}\` | \`${cell(type)}\` | ${def} | ${required} | ${cell(v.description)} |`);
  }
  rows.push('', '*Conditional: required depending on other variables (see the description); enforced by validation blocks.');
  return rows.join('\n');
}

export function splice(text, table, file) {
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file} lacks the ${BEGIN} ... ${END} markers; add them where the table belongs`);
  return `${text.slice(0, a + BEGIN.length)}\n${table}\n${text.slice(b)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const table = await variableTable();
  if (!process.argv.includes('--write')) console.log(table);
  else for (const f of TARGETS) writeFileSync(f, splice(readFileSync(f, 'utf8'), table, f));
}
