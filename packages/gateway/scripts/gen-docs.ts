/** Regenerates docs/environment.md, docs/providers.md and docs/errors.md from the code. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderErrorsDoc } from '@portico/contract';
import { renderEnvironmentDoc, renderProvidersDoc } from '../src/config/docs.js';
import { BUILTIN_PROVIDERS } from '../src/providers/registry.js';

const docs = resolve(import.meta.dirname, '../../../docs');
writeFileSync(resolve(docs, 'environment.md'), renderEnvironmentDoc());
writeFileSync(resolve(docs, 'providers.md'), renderProvidersDoc(BUILTIN_PROVIDERS));
writeFileSync(resolve(docs, 'errors.md'), renderErrorsDoc());
console.log('wrote docs/environment.md, docs/providers.md and docs/errors.md');
