// Reads one generated @cdktn/provider-aws binding (lib/<type>/index.js) back into the Terraform schema it was
// generated from, in the format of `terraform providers schema -json` (block: attributes, block_types).
// The bindings keep everything needed: per member a comment "// name - computed, optional, required",
// its getter (the value type), its class (nested objects, list or set), and in the *ToHclTerraform
// functions whether it is written as a block and its list/set/map storage.

const lowerFirst = (s) => s[0].toLowerCase() + s.slice(1);

/** `name: { value: ..., isBlock, type, storageClassType }` entries of an HCL attrs literal. */
function hclEntries(body) {
  const out = {};
  const re = /^\s+(\w+): \{\n\s+value: (.*),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",\n\s+\},?$/gm;
  for (const m of body.matchAll(re)) {
    const nested = /(?<!cdktn\.)\b(\w+)ToHclTerraform\b/.exec(m[2]);
    out[m[1]] = { isBlock: m[3] === 'true', kind: m[4], storage: m[5], fn: nested ? nested[1] : null };
  }
  return out;
}

function attrsLiteral(src, start) {
  const open = src.indexOf('const attrs = {', start);
  return src.slice(open, src.indexOf('// remove undefined attributes', open));
}

function parseBinding(src) {
  const fns = new Map();
  for (const m of src.matchAll(/^function (\w+)ToHclTerraform\(struct\) \{/gm)) fns.set(m[1], hclEntries(attrsLiteral(src, m.index)));
  const classes = new Map();
  const starts = [...src.matchAll(/^class (\w+) extends cdktn\.(\w+) \{/gm)];
  starts.forEach((m, i) => {
    const body = src.slice(m.index, i + 1 < starts.length ? starts[i + 1].index : src.length);
    const members = {};
    const re = /^ {4}\/\/ (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n(?: {4}_\w+(?: = new ((?:cdktn\.)?\w+)\(this, "\w+"(?:, (true|false))?\))?;\n)? {4}get \w+\(\) \{\n {8}return (.*);/gm;
    for (const x of body.matchAll(re)) {
      members[x[1]] = { computed: x[2] === 'true', optional: x[3] === 'true', required: x[4] === 'true', cls: x[5] ?? null, wrapsSet: x[6] === 'true', getter: x[7] };
    }
    const synth = body.indexOf('synthesizeHclAttributes() {');
    classes.set(m[1], { base: m[2], members, hcl: synth >= 0 ? hclEntries(attrsLiteral(body, synth)) : null });
  });
  return { fns, classes };
}

const SIMPLE = { string: 'string', number: 'number', boolean: 'bool' };

function simpleType(kind, storage) {
  if (SIMPLE[storage]) return SIMPLE[storage];
  const list = /^(string|number|boolean)List$/.exec(storage);
  if (list) return [kind === 'set' ? 'set' : 'list', SIMPLE[list[1]]];
  const map = /^(string|number|boolean)Map$/.exec(storage);
  if (map) return ['map', SIMPLE[map[1]]];
  const listList = /^(string|number|boolean)ListList$/.exec(storage);
  if (listList) return ['list', ['list', SIMPLE[listList[1]]]];
  return null;
}

function getterType(getter) {
  if (/^cdktn\.Fn\.tolist\(this\.getListAttribute\(/.test(getter)) return ['set', 'string'];
  const g = /^this\.(\w+)\(/.exec(getter)?.[1];
  const t = {
    getStringAttribute: 'string',
    getNumberAttribute: 'number',
    getBooleanAttribute: 'bool',
    getListAttribute: ['list', 'string'],
    getNumberListAttribute: ['list', 'number'],
    getStringMapAttribute: ['map', 'string'],
    getNumberMapAttribute: ['map', 'number'],
    getBooleanMapAttribute: ['map', 'bool'],
  }[g];
  return t ?? null;
}

function flagsOf({ required, optional, computed }) {
  const f = {};
  if (required) f.required = true;
  if (optional) f.optional = true;
  if (computed) f.computed = true;
  if (!required && !optional && !computed) f.optional = true;
  return f;
}

/** Builds the schema block of a class (resource, data source or nested OutputReference). */
function buildBlock(b, clsName, hcl, file) {
  const cls = b.classes.get(clsName);
  const block = { attributes: {}, block_types: {} };
  const names = new Set([...Object.keys(cls?.members ?? {}), ...Object.keys(hcl ?? {})]);
  for (const name of [...names].sort()) {
    const mem = cls?.members[name];
    const h = hcl?.[name];
    const flags = mem ?? { computed: false, optional: true, required: false };
    if (mem?.cls === 'cdktn.StringMap') {
      block.attributes[name] = { type: ['map', 'string'], ...flagsOf(flags) };
      continue;
    }
    const elementClass = mem?.cls ? mem.cls.replace(/(List|Map|OutputReference)$/, 'OutputReference') : null;
    const nestedHcl = (c) => b.fns.get(lowerFirst(c.replace(/OutputReference$/, '')));
    if (h?.isBlock) {
      const elem = elementClass ?? (h.fn ? h.fn[0].toUpperCase() + h.fn.slice(1) + 'OutputReference' : null);
      const inner = buildBlock(b, elem, h.fn ? b.fns.get(h.fn) : nestedHcl(elem), file);
      const single = mem?.cls?.endsWith('OutputReference');
      const nesting = h.kind === 'struct' ? 'single' : h.kind === 'set' ? 'set' : h.kind === 'map' ? 'map' : 'list';
      const nb = { nesting_mode: nesting, block: inner };
      if (flags.required && nesting !== 'single') nb.min_items = 1;
      if (single && nesting !== 'single') nb.max_items = 1;
      block.block_types[name] = nb;
      continue;
    }
    let type = h ? simpleType(h.kind, h.storage) : null;
    if (!type && mem?.cls) {
      const inner = buildBlock(b, elementClass, nestedHcl(elementClass), file);
      const obj = ['object', Object.fromEntries(Object.entries(inner.attributes).map(([k, v]) => [k, v.type]))];
      if (mem.cls.endsWith('List')) type = [mem.wrapsSet ? 'set' : 'list', obj];
      else if (mem.cls.endsWith('Map')) type = ['map', obj];
      else type = h?.kind === 'list' ? ['list', obj] : obj;
    }
    if (!type && mem) type = getterType(mem.getter);
    if (!type) throw new Error(`${file}: cannot tell the type of ${clsName}.${name} (${h ? h.storage : mem?.getter})`);
    block.attributes[name] = { type, ...flagsOf(flags) };
  }
  if (Object.keys(block.block_types).length === 0) delete block.block_types;
  return block;
}

/** The schema block of the resource, data source or provider class defined in a binding file. */
export function bindingSchema(src, file) {
  const b = parseBinding(src);
  const main = [...b.classes].find(([, c]) => /^Terraform(Resource|DataSource|Provider)$/.test(c.base));
  if (!main) throw new Error(`${file}: no resource, data source or provider class`);
  return buildBlock(b, main[0], main[1].hcl, file);
}
