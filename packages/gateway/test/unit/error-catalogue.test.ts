/**
 * One error catalogue (packages/contract/src/error-catalogue.ts): every code the gateway gives is in
 * it, with the status the call site uses; each failure has one code (no synonyms); docs/errors.md is
 * generated from it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, catalogued, isErrorCode, renderErrorsDoc } from '@portico/contract';
import { truncated, badEvent, createBedrockStreamState } from '../../src/providers/bedrock/stream-state.js';
import { badStreamEvent, truncatedStreamError } from '../../src/providers/anthropic/errors.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const SOURCES = [resolve(ROOT, 'packages/gateway/src'), resolve(ROOT, 'packages/contract/src')];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The text of the innermost `{ ... }` around `at`, skipping nested braces. */
function enclosingObject(src: string, at: number): string {
  let depth = 0;
  let start = at;
  for (; start > 0; start--) {
    const c = src[start];
    if (c === '}') depth++;
    else if (c === '{') {
      if (depth === 0) break;
      depth--;
    }
  }
  depth = 0;
  let end = at;
  for (; end < src.length; end++) {
    const c = src[end];
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) break;
      depth--;
    }
  }
  return src.slice(start, end + 1);
}

/** Top-level arguments of the call whose "(" is at `open` (strings and nesting respected). */
function callArgs(src: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      cur += c;
      if (c === '\\') cur += src[++i];
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) {
        args.push(cur.trim());
        return args;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  return args;
}

interface Use {
  code: string;
  status?: number;
  where: string;
}

function codeUses(): Use[] {
  const uses: Use[] = [];
  for (const file of SOURCES.flatMap(tsFiles)) {
    if (file.endsWith('error-catalogue.ts')) continue;
    const src = readFileSync(file, 'utf8');
    const where = (i: number) => `${relative(ROOT, file)}:${src.slice(0, i).split('\n').length}`;
    for (const m of src.matchAll(/\bcode: (?:[^,}\n]*\? )?'([a-z][a-z0-9_]*)'(?: : '([a-z][a-z0-9_]*)')?/g)) {
      const obj = enclosingObject(src, m.index);
      const status = /\bstatus: (\d{3})\b/.exec(obj);
      for (const code of [m[1], m[2]].filter(Boolean) as string[]) uses.push({ code, status: status ? Number(status[1]) : undefined, where: where(m.index) });
    }
    for (const m of src.matchAll(/\bbadRequest\(/g)) {
      const args = callArgs(src, m.index + m[0].length - 1);
      const code = /^'([a-z][a-z0-9_]*)'$/.exec(args[2] ?? '');
      if (code) uses.push({ code: code[1], status: 400, where: where(m.index) });
    }
    for (const m of src.matchAll(/\bcatalogued\('([a-z][a-z0-9_]*)'/g)) uses.push({ code: m[1], where: where(m.index) });
  }
  return uses;
}

describe('the error catalogue', () => {
  const uses = codeUses();

  it('finds the codes the gateway gives (the scan works)', () => {
    const codes = new Set(uses.map((u) => u.code));
    for (const c of ['invalid_json', 'missing_api_key', 'stream_truncated', 'invalid_stream_event', 'custom_host_forbidden', 'budget_exceeded', 'rate_limit_exceeded']) expect(codes, c).toContain(c);
  });

  it('lists every code a call site gives, with the status the call site uses', () => {
    const missing = uses.filter((u) => !isErrorCode(u.code)).map((u) => `${u.code} (${u.where})`);
    expect(missing, 'codes given but not in packages/contract/src/error-catalogue.ts').toEqual([]);
    const wrongStatus = uses
      .filter((u) => isErrorCode(u.code) && u.status !== undefined && u.status !== ERROR_CATALOGUE[u.code as keyof typeof ERROR_CATALOGUE].status)
      .map((u) => `${u.code}: ${u.status} at ${u.where}, catalogue says ${ERROR_CATALOGUE[u.code as keyof typeof ERROR_CATALOGUE].status}`);
    expect(wrongStatus).toEqual([]);
  });

  it('has no synonyms: the merged codes are gone everywhere', () => {
    for (const gone of ['upstream_stream_truncated', 'bad_stream_event', 'upstream_bad_event']) {
      expect(isErrorCode(gone), gone).toBe(false);
      expect(uses.filter((u) => u.code === gone).map((u) => u.where), gone).toEqual([]);
    }
  });

  it('gives one code per stream failure, whichever provider streamed', () => {
    const state = createBedrockStreamState({ model: 'm', includeUsage: false });
    expect([truncated('messageStop', state).code, truncatedStreamError('content_block_delta').code]).toEqual(['stream_truncated', 'stream_truncated']);
    expect([badEvent('contentBlockDelta', 'is not JSON').code, badStreamEvent('message_start', 'not JSON').code]).toEqual(['invalid_stream_event', 'invalid_stream_event']);
  });

  it('builds an error from its code: status and type from the table, in the one error shape', () => {
    const e = catalogued('unknown_virtual_key', 'Virtual key "x" is not configured.', { param: 'x-portkey-virtual-key' });
    expect([e.status, e.type]).toEqual([400, 'invalid_request_error']);
    expect(e.toBody()).toEqual({ error: { message: 'Virtual key "x" is not configured.', type: 'invalid_request_error', param: 'x-portkey-virtual-key', code: 'unknown_virtual_key' } });
  });

  it('says what each code means and what to do, in full sentences', () => {
    for (const [code, e] of Object.entries(ERROR_CATALOGUE)) {
      expect(e.means, code).toMatch(/^[A-Z`].*\.$/);
      expect(e.fix, code).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('docs/errors.md is generated from it', () => {
    expect(readFileSync(resolve(ROOT, 'docs/errors.md'), 'utf8'), 'docs/errors.md is stale: run `npm run docs -w @portico/gateway` and commit the result').toBe(renderErrorsDoc());
  });
});
