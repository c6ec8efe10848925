import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADMIN_SEGMENTS, isAdminPath } from '../../src/server/admin-forward.js';
import { matchPromptRoute } from '../../src/server/prompt-routes.js';
import { findRepoRoot } from '@portico/test-support/repo-root';

/**
 * The paths the gateway forwards to its control plane are those Portkey's OpenAPI document serves from
 * a (self-hosted) control plane, and no path it serves from the gateway (the data plane).
 */
const specFile = path.resolve(findRepoRoot(), '../shared/specs/portkey/openapi.yaml');
const missing = !existsSync(specFile);
if (missing && process.env.REQUIRE_SPECS === '1') throw new Error(`REQUIRE_SPECS=1 but Portkey's OpenAPI document is missing at ${specFile}`);

describe.skipIf(missing)(`admin forwarding against Portkey's OpenAPI document${missing ? ` (skipped: ${specFile} is missing)` : ''}`, () => {
  const doc = missing ? { paths: {} } : (parse(readFileSync(specFile, 'utf8'), { maxAliasCount: -1 }) as { paths: Record<string, { servers?: Array<{ url: string }> }> });
  const entries = Object.entries(doc.paths).map(([p, item]) => ({ path: `/v1${p.replace(/\{[^}]+\}/g, 'x')}`, servers: JSON.stringify(item.servers ?? []) }));

  it('forwards every path of the control-plane server group', () => {
    const controlPlane = entries.filter((e) => e.servers.includes('SELF_HOSTED_CONTROL_PLANE_URL'));
    expect(controlPlane.length).toBeGreaterThan(30);
    for (const e of controlPlane) {
      // /v1/logs is both: the gateway's own log documents come first (see docs/gateway.md).
      if (e.path.startsWith('/v1/logs')) continue;
      expect(isAdminPath(e.path), e.path).toBe(true);
    }
  });

  it('keeps every data-plane path on the gateway', () => {
    const dataPlane = entries.filter((e) => e.servers.includes('SELF_HOSTED_GATEWAY_URL') && !e.servers.includes('SELF_HOSTED_CONTROL_PLANE_URL'));
    expect(dataPlane.length).toBeGreaterThan(30);
    for (const e of dataPlane) {
      const served = isAdminPath(e.path) ? (matchPromptRoute(e.path) ? 'gateway' : 'control plane') : 'gateway';
      expect(served, e.path).toBe('gateway');
    }
  });

  it('lists only segments the document has', () => {
    const firsts = new Set(entries.map((e) => e.path.split('/')[2]));
    // /v1/workspaces is not in the document (Portkey's is /v1/admin/workspaces); forwarded for older clients.
    for (const s of ADMIN_SEGMENTS) if (s !== 'workspaces') expect(firsts.has(s), s).toBe(true);
  });
});
