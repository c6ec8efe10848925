/** Regenerates docs/environment.md and docs/providers.md from the code. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderEnvironmentDoc, renderProvidersDoc } from '../src/config/docs.js';
import { BUILTIN_PROVIDERS } from '../src/providers/registry.js';

const docs = resolve(import.meta.dirname, '../../../docs');
writeFileSync(resolve(docs, 'environment.md'), renderEnvironmentDoc());
writeFileSync(resolve(docs, 'providers.md'), renderProvidersDoc(BUILTIN_PROVIDERS));
console.log('wrote docs/environment.md and docs/providers.md');
