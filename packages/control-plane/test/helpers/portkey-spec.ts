import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Portkey's published OpenAPI document (../shared/specs/portkey/openapi.yaml) as a test oracle: the
 * bodies the SDK sends and every answer Portico gives are validated against the operation's schema.
 * Absent (a fresh clone), the suites that need it skip and say so; REQUIRE_SPECS=1 makes that a failure.
 */
export const SPEC_FILE = join(import.meta.dirname, '../../../../../shared/specs/portkey/openapi.yaml');
const present = existsSync(SPEC_FILE);
export const specMissing = present ? undefined : `Portkey's OpenAPI document is missing (${SPEC_FILE})`;
if (!present && process.env.REQUIRE_SPECS === '1') throw new Error(`REQUIRE_SPECS=1 but ${specMissing}`);

type Json = Record<string, any>;

/**
 * Slips in the document, mended before compiling: `nullable` on a schema with no `type` (read as
 * "may also be null"), duplicate enum entries (deduplicated), and `oneOf` lists whose variants
 * overlap (guardrail check parameters, integration configurations: a valid body matches several),
 * read as `anyOf`. Nothing else is changed.
 */
function normalise(node: any): any {
  if (Array.isArray(node)) return node.map(normalise);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = normalise(v);
  if (Array.isArray(out.enum)) out.enum = [...new Set(out.enum)];
  if (Array.isArray(out.oneOf)) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    if (out.$ref || out.allOf || out.oneOf || out.anyOf) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export class PortkeySpec {
  private readonly doc: Json;
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ path: string; re: RegExp; literals: number }>;

  constructor() {
    // The YAML uses anchors and merge keys (x-server-groups); follow them.
    const text = readFileSync(SPEC_FILE, 'utf8');
    this.doc = normalise(parse(text, { merge: true, maxAliasCount: -1 })) as Json;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // The document says "UUID" in places where it means "uuid".
    this.ajv.addFormat('UUID', /^[0-9a-f-]{36}$/i);
    const components = JSON.parse(JSON.stringify(this.doc.components).replace(/"#\/components\//g, '"portkey#/components/'));
    this.ajv.addSchema({ $id: 'portkey', components });
    this.templates = Object.keys(this.doc.paths).map((p) => ({
      path: p,
      re: new RegExp('^' + p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
      literals: p.split('/').filter((s) => s && !s.startsWith('{')).length,
    })).sort((a, b) => b.literals - a.literals);
  }

  /** The spec path for a request path under /v1 (literal segments win). */
  template(path: string): string | undefined {
    const p = path.replace(/^\/v1/, '').split('?')[0];
    return this.templates.find((t) => t.re.test(p))?.path;
  }

  /** The servers a path is given: whether a self-hosted control plane serves it. */
  isControlPlanePath(template: string): boolean {
    const item = this.doc.paths[template];
    const servers = JSON.stringify(item?.servers ?? '') + JSON.stringify(Object.values(item ?? {}).map((op: any) => op?.servers ?? ''));
    return servers.includes('SELF_HOSTED_CONTROL_PLANE_URL');
  }

  private compile(key: string, schema: unknown): ValidateFunction {
    let v = this.cache.get(key);
    if (!v) {
      const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"portkey#/components/'));
      v = this.ajv.compile(rewritten);
      this.cache.set(key, v);
    }
    return v;
  }

  private resolve(o: any): any {
    while (o && o.$ref) o = o.$ref.split('/').slice(1).reduce((acc: any, k: string) => acc[k], this.doc);
    return o;
  }

  /** Problems with a request body, or [] (no schema means nothing to check). */
  checkRequest(method: string, template: string, body: unknown): string[] {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    if (!op) return [`${method} ${template} is not in Portkey's document`];
    const schema = this.resolve(op.requestBody)?.content?.['application/json']?.schema;
    if (!schema || body === undefined) return [];
    const v = this.compile(`req ${method} ${template}`, schema);
    return v(body) ? [] : (v.errors ?? []).map((e) => `request ${method} ${template}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** Problems with a response body against the documented response for its status (or the 2xx one). */
  checkResponse(method: string, template: string, status: number, body: unknown): string[] {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    if (!op) return [`${method} ${template} is not in Portkey's document`];
    const responses = op.responses ?? {};
    const entry = this.resolve(responses[String(status)] ?? (status < 300 ? responses['200'] ?? responses['201'] : undefined));
    const schema = entry?.content?.['application/json']?.schema;
    if (!schema) return status < 300 || responses[String(status)] ? [] : [];
    const v = this.compile(`res ${method} ${template} ${status}`, schema);
    return v(body) ? [] : (v.errors ?? []).map((e) => `response ${status} ${method} ${template}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
}
