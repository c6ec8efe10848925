import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderEnvironmentDoc, renderProvidersDoc } from '../../src/config/docs.js';
import { BUILTIN_PROVIDERS } from '../../src/providers/registry.js';

const docs = resolve(import.meta.dirname, '../../../../docs');
const stale = 'is stale: run `npm run docs -w @portico/gateway` and commit the result';

describe('generated docs', () => {
  it(`docs/environment.md matches the settings table`, () => {
    expect(readFileSync(resolve(docs, 'environment.md'), 'utf8'), `docs/environment.md ${stale}`).toBe(renderEnvironmentDoc());
  });
  it(`docs/providers.md matches the providers' capabilities`, () => {
    expect(readFileSync(resolve(docs, 'providers.md'), 'utf8'), `docs/providers.md ${stale}`).toBe(renderProvidersDoc(BUILTIN_PROVIDERS));
  });
});
