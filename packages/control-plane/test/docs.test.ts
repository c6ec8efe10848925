import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render } from '../src/docs.js';
import { allRoutes } from '../src/routes/index.js';

describe('docs/control-plane.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/control-plane.md'), 'utf8');

  it('matches the route table, the environment and the scope mapping (npm run docs -w @portico/control-plane regenerates it)', () => {
    expect(render(doc)).toBe(doc);
  });

  it('lists every route once', () => {
    for (const r of allRoutes()) expect(doc).toContain(`| \`${r.method}\` | \`${r.path.replace(/:([A-Za-z-]+)/g, '{$1}')}\` |`);
  });

  it('no two routes share a method and path', () => {
    const keys = allRoutes().map((r) => `${r.method} ${r.path.replace(/:[A-Za-z-]+/g, ':')}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
