// Shared paths for the deployment scripts and tests.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const pkgRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(pkgRoot, '../..');
export const tfRoot = path.join(repoRoot, 'terraform');

/** Files under dir (recursively) whose name ends with one of the suffixes, sorted. */
export function filesUnder(dir, suffixes) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== '.terraform') out.push(...filesUnder(p, suffixes));
    } else if (suffixes.some((s) => name.endsWith(s))) out.push(p);
  }
  return out;
}

export const hclFiles = () => filesUnder(tfRoot, ['.tf', '.tfvars', '.tftest.hcl']);
