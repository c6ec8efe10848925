// Turns the typed schema in aws-provider-schema.json (`terraform providers schema -json` layout, generated
// from the @cdktn/provider-aws bindings by scripts/regenerate-aws-schema.mjs) into tfplugin6 messages.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../aws-provider-schema.json');

const NESTING = { single: 'SINGLE', list: 'LIST', set: 'SET', map: 'MAP', group: 'GROUP' };

function toBlock(block) {
  return {
    version: 0,
    attributes: Object.entries(block.attributes ?? {}).map(([name, a]) => ({
      name,
      // cty's JSON type encoding, e.g. "string" or ["list","string"]: what Terraform decodes.
      type: Buffer.from(JSON.stringify(a.type)),
      required: !!a.required,
      optional: !!a.optional,
      computed: !!a.computed,
      sensitive: !!a.sensitive,
    })),
    block_types: Object.entries(block.block_types ?? {}).map(([name, b]) => {
      if (!NESTING[b.nesting_mode]) throw new Error(`block ${name}: unknown nesting mode ${b.nesting_mode}`);
      return { type_name: name, block: toBlock(b.block), nesting: NESTING[b.nesting_mode], min_items: b.min_items ?? 0, max_items: b.max_items ?? 0 };
    }),
  };
}

const toSchema = (s) => ({ version: s.version ?? 0, block: toBlock(s.block) });
const mapValues = (o, f) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** The GetProviderSchema response: provider, resource and data source schemas. */
export function providerSchemaResponse(file = SCHEMA_FILE) {
  const typed = JSON.parse(readFileSync(file, 'utf8')).terraform_schema;
  if (!typed) throw new Error(`${file} has no terraform_schema: run scripts/regenerate-aws-schema.mjs`);
  return {
    provider: toSchema(typed.provider),
    resource_schemas: mapValues(typed.resource_schemas, toSchema),
    data_source_schemas: mapValues(typed.data_source_schemas, toSchema),
    diagnostics: [],
    server_capabilities: { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false },
  };
}
