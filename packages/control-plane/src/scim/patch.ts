import { scimBad } from './errors.js';
import { MAX_OPERATIONS, PATCH_SCHEMA } from './schema.js';

/**
 * PATCH (RFC 7644 §3.5.2) applied to a resource's JSON, as Okta and Entra ID send it: op names in
 * any case ("Replace"); a path such as `active`, `name.givenName`, `emails[type eq "work"].value`,
 * `members[value eq "…"]` or an extension URN; or no path with an object of attributes. The result
 * is validated afterwards exactly like a PUT body, so PATCH and PUT can never store different things.
 */
type Json = Record<string, unknown>;

export interface PatchTarget {
  /** Lower-case top-level attribute → canonical name (unknown names are refused). */
  names: Map<string, string>;
  /** The resource's core schema URN, which a path may start with. */
  coreSchema: string;
  /** Extension URNs whose attributes live under their own key. */
  extensions: string[];
  /** Attributes no PATCH may change (id); others it may not change are ignored (meta, schemas, groups). */
  immutable: string[];
  ignored: string[];
  multiValued: Set<string>;
}

interface Path {
  /** Key under the resource: an attribute, or an extension URN. */
  attr: string;
  /** For an extension: the attribute inside it. */
  inner?: string;
  filter?: Array<{ sub: string; value: string }>;
  sub?: string;
}

function parseValueFilter(text: string): Array<{ sub: string; value: string }> {
  return text.split(/\s+and\s+/i).map((part) => {
    const m = /^\s*([A-Za-z$][\w$]*)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*$/i.exec(part);
    if (!m) throw scimBad(`path filter "${part.slice(0, 60)}" is not supported; use [subAttribute eq "value"]`, 'invalidPath');
    return { sub: m[1], value: m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2].toLowerCase() };
  });
}

function parsePath(raw: string, t: PatchTarget): Path {
  if (raw.length > 500) throw scimBad('path is longer than 500 characters', 'invalidPath');
  let rest = raw;
  for (const ext of t.extensions) {
    if (rest.toLowerCase().startsWith(`${ext.toLowerCase()}:`)) {
      const inner = rest.slice(ext.length + 1);
      if (!/^[A-Za-z][\w$]*(\.[A-Za-z][\w$]*)?$/.test(inner)) throw scimBad(`path "${raw.slice(0, 100)}" is not a valid attribute path`, 'invalidPath');
      return { attr: ext, inner };
    }
  }
  if (rest.toLowerCase().startsWith(`${t.coreSchema.toLowerCase()}:`)) rest = rest.slice(t.coreSchema.length + 1);
  const m = /^([A-Za-z$][\w$]*)(?:\[(.+)\])?(?:\.([A-Za-z$][\w$]*))?$/.exec(rest);
  if (!m) throw scimBad(`path "${raw.slice(0, 100)}" is not a valid attribute path`, 'invalidPath');
  const attr = t.names.get(m[1].toLowerCase());
  if (!attr) throw scimBad(`path names the unknown attribute "${m[1].slice(0, 60)}"`, 'invalidPath');
  return { attr, filter: m[2] ? parseValueFilter(m[2]) : undefined, sub: m[3] };
}

/** The key in obj spelled like name in any case, else name itself. */
const keyIn = (obj: Json, name: string) => Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
const matches = (el: unknown, filter: Array<{ sub: string; value: string }>) =>
  Boolean(el && typeof el === 'object') && filter.every((f) => String((el as Json)[keyIn(el as Json, f.sub)] ?? '').toLowerCase() === f.value.toLowerCase());
const asArray = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const sameValue = (a: unknown, b: unknown) =>
  a && b && typeof a === 'object' && typeof b === 'object' && 'value' in (a as Json) && 'value' in (b as Json) ? String((a as Json).value) === String((b as Json).value) : JSON.stringify(a) === JSON.stringify(b);

function addValues(resource: Json, attr: string, value: unknown, t: PatchTarget): void {
  if (t.multiValued.has(attr)) {
    const current = asArray(resource[attr]);
    for (const v of asArray(value)) if (!current.some((c) => sameValue(c, v))) current.push(v);
    resource[attr] = current;
  } else if (value && typeof value === 'object' && !Array.isArray(value) && resource[attr] && typeof resource[attr] === 'object') {
    resource[attr] = { ...(resource[attr] as Json), ...(value as Json) };
  } else resource[attr] = value;
}

function applyWithoutPath(resource: Json, op: string, value: unknown, t: PatchTarget): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw scimBad(`an "${op}" without a path needs an object of attributes as its value`, 'invalidSyntax');
  for (const [k, v] of Object.entries(value as Json)) {
    const ext = t.extensions.find((e) => e.toLowerCase() === k.toLowerCase());
    if (ext) {
      resource[ext] = { ...((resource[ext] as Json) ?? {}), ...((v as Json) ?? {}) };
      continue;
    }
    // Entra ID also writes an extension attribute as one key: "urn:…:enterprise:2.0:User:department".
    const within = t.extensions.find((e) => k.toLowerCase().startsWith(`${e.toLowerCase()}:`));
    if (within) {
      applyAtPath(resource, op, parsePath(k, t), v, true, t);
      continue;
    }
    // Okta sends the path-less form with "urn:…:User:attr" keys too.
    const plain = k.toLowerCase().startsWith(`${t.coreSchema.toLowerCase()}:`) ? k.slice(t.coreSchema.length + 1) : k;
    const attr = t.names.get(plain.toLowerCase());
    if (!attr) throw scimBad(`"${k.slice(0, 60)}" is not an attribute of this resource`, 'invalidPath');
    if (t.immutable.includes(attr)) {
      if (resource[attr] !== undefined && v !== resource[attr]) throw scimBad(`${attr} cannot be changed`, 'mutability');
      continue;
    }
    if (t.ignored.includes(attr)) continue;
    if (op === 'add') addValues(resource, attr, v, t);
    else resource[attr] = v && typeof v === 'object' && !Array.isArray(v) && resource[attr] && typeof resource[attr] === 'object' && !t.multiValued.has(attr) ? { ...(resource[attr] as Json), ...(v as Json) } : v;
  }
}

function applyAtPath(resource: Json, op: string, path: Path, value: unknown, hasValue: boolean, t: PatchTarget): void {
  if (t.immutable.includes(path.attr)) throw scimBad(`${path.attr} cannot be changed`, 'mutability');
  if (t.ignored.includes(path.attr)) throw scimBad(`${path.attr} is read-only`, 'mutability');
  if (path.inner) {
    const ext = ((resource[path.attr] as Json) ?? {}) as Json;
    const [first, second] = path.inner.split('.');
    const k = keyIn(ext, first);
    if (op === 'remove') {
      if (second && ext[k] && typeof ext[k] === 'object') delete (ext[k] as Json)[keyIn(ext[k] as Json, second)];
      else delete ext[k];
    } else if (second) ext[k] = { ...((ext[k] as Json) ?? {}), [second]: value };
    else ext[k] = value;
    resource[path.attr] = ext;
    return;
  }
  if (path.filter) {
    const list = asArray(resource[path.attr]) as Json[];
    const hit = list.filter((el) => matches(el, path.filter!));
    if (op === 'remove') {
      resource[path.attr] = path.sub ? list.map((el) => (hit.includes(el) ? (({ [keyIn(el, path.sub!)]: _gone, ...keep }) => keep)(el) : el)) : list.filter((el) => !hit.includes(el));
      return;
    }
    if (hit.length === 0) {
      // Entra ID adds `emails[type eq "work"].value` to a user with no work email yet: create the element.
      const created: Json = Object.fromEntries(path.filter.map((f) => [f.sub, f.value]));
      if (path.sub) created[path.sub] = value;
      else if (value && typeof value === 'object') Object.assign(created, value);
      resource[path.attr] = [...list, created];
      return;
    }
    for (const el of hit) {
      if (path.sub) el[keyIn(el, path.sub)] = value;
      else if (value && typeof value === 'object') Object.assign(el, value);
    }
    resource[path.attr] = list;
    return;
  }
  if (path.sub) {
    if (t.multiValued.has(path.attr)) throw scimBad(`${path.attr}.${path.sub} names every ${path.attr} value; select one with ${path.attr}[type eq "…"].${path.sub}`, 'invalidPath');
    const obj = ((resource[path.attr] as Json) ?? {}) as Json;
    const k = keyIn(obj, path.sub);
    if (op === 'remove') delete obj[k];
    else obj[k] = value;
    resource[path.attr] = obj;
    return;
  }
  if (op === 'remove') {
    // Entra ID removes group members with path "members" and the members to remove as the value.
    if (hasValue && t.multiValued.has(path.attr)) {
      const gone = asArray(value);
      resource[path.attr] = asArray(resource[path.attr]).filter((c) => !gone.some((g) => sameValue(c, g)));
    } else delete resource[path.attr];
    return;
  }
  if (op === 'add') addValues(resource, path.attr, value, t);
  else resource[path.attr] = value;
}

/** Applies a PatchOp body to a copy of the resource and returns it (to be validated like a PUT). */
export function applyPatch(current: Json, body: unknown, t: PatchTarget): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw scimBad('a PATCH body is a PatchOp object', 'invalidSyntax');
  const b = body as Json;
  const schemas = b[keyIn(b, 'schemas')];
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_SCHEMA)) throw scimBad(`a PATCH body's schemas must be ["${PATCH_SCHEMA}"]`, 'invalidSyntax');
  const unknown = Object.keys(b).filter((k) => !['schemas', 'operations'].includes(k.toLowerCase()));
  if (unknown.length) throw scimBad(`unknown field "${unknown[0].slice(0, 60)}" in the PatchOp; it takes schemas and Operations`, 'invalidSyntax');
  const ops = b[keyIn(b, 'Operations')];
  if (!Array.isArray(ops) || ops.length === 0) throw scimBad('Operations must be a non-empty array', 'invalidSyntax');
  if (ops.length > MAX_OPERATIONS) throw scimBad(`at most ${MAX_OPERATIONS} Operations per PATCH`, 'tooMany');
  const resource = structuredClone(current);
  for (const [i, raw] of ops.entries()) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw scimBad(`Operations[${i}] must be an object`, 'invalidSyntax');
    const o = raw as Json;
    const extra = Object.keys(o).filter((k) => !['op', 'path', 'value'].includes(k.toLowerCase()));
    if (extra.length) throw scimBad(`Operations[${i}] has the unknown field "${extra[0].slice(0, 60)}"; an operation takes op, path and value`, 'invalidSyntax');
    const op = String(o[keyIn(o, 'op')] ?? '').toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw scimBad(`Operations[${i}].op must be add, replace or remove`, 'invalidSyntax');
    const pathRaw = o[keyIn(o, 'path')];
    const hasValue = keyIn(o, 'value') in o;
    const value = o[keyIn(o, 'value')];
    if (pathRaw === undefined || pathRaw === null || pathRaw === '') {
      if (op === 'remove') throw scimBad(`Operations[${i}]: remove needs a path`, 'noTarget');
      applyWithoutPath(resource, op, value, t);
      continue;
    }
    if (typeof pathRaw !== 'string') throw scimBad(`Operations[${i}].path must be a string`, 'invalidPath');
    if (op !== 'remove' && !hasValue) throw scimBad(`Operations[${i}]: ${op} needs a value`, 'invalidSyntax');
    applyAtPath(resource, op, parsePath(pathRaw, t), value, hasValue, t);
  }
  return resource;
}
