import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';

for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`control plane basics on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    beforeAll(async () => {
      t = await startTestControlPlane(backend);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('answers health and metrics', async () => {
      const h = await call(t.url, 'GET', '/v1/health', undefined);
      expect(h.status).toBe(200);
      expect(h.body.status).toBe('ok');
      const head = await fetch(`${t.url}/v1/health`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const m = await fetch(`${t.url}/metrics`);
      expect(await m.text()).toContain('portico_cp_http_request_duration_seconds');
    });

    it('refuses admin calls without a key', async () => {
      const r = await call(t.url, 'GET', '/v1/configs', undefined);
      expect(r.status).toBe(401);
      expect(r.body.error.type).toBe('authentication_error');
    });

    it('creates a config and serves it in the snapshot', async () => {
      const c = await call(t.url, 'POST', '/v1/configs', t.adminKey, { name: 'fallback', config: { strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', api_key: 'x' }, { provider: 'anthropic', api_key: 'y' }] } });
      expect(c.status).toBe(200);
      const snap = await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` });
      expect(snap.status).toBe(200);
      expect(snap.body.configs.map((x: { id: string }) => x.id)).toContain(c.body.data.id);
    });
  });
}
