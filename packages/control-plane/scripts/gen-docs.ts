import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from '../src/docs.js';

/** Regenerates the tables in docs/control-plane.md from the code: npm run docs -w @portico/control-plane. */
const file = join(import.meta.dirname, '../../../docs/control-plane.md');
writeFileSync(file, render(readFileSync(file, 'utf8')));
console.log(`updated ${file}`);
