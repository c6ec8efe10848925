import http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SYNC_PATHS, type GatewayKey } from '@portico/contract';

/**
 * The control plane's key introspection, exactly as packages/contract/src/sync.ts states it:
 * POST /v1/sync/keys/introspect, `Authorization: Bearer <client auth>` compared in constant time with
 * the organisation's client-auth key (403 for another organisation's), body { organisation, hash }
 * → the GatewayKey, or 404. Counts calls, so tests can see the cache working.
 */
export interface FakeControlPlane {
  url: string;
  calls: number;
  addKey(organisation: string, apiKey: string, key: Omit<GatewayKey, 'hash'>): void;
  close(): Promise<void>;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function startFakeControlPlane(clientAuth: Record<string, string>): Promise<FakeControlPlane> {
  const keys = new Map<string, Map<string, GatewayKey>>();
  const state = { calls: 0 };
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== SYNC_PATHS.introspect) return send(404, { error: { message: 'not found' } });
      state.calls++;
      let body: { organisation?: string; hash?: string };
      try {
        body = JSON.parse(text);
      } catch {
        return send(400, { error: { message: 'invalid JSON' } });
      }
      const expected = body.organisation ? clientAuth[body.organisation] : undefined;
      const presented = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!expected) return send(403, { error: { message: 'unknown organisation' } });
      if (expected.length !== presented.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(presented))) return send(403, { error: { message: 'client auth does not match' } });
      const key = keys.get(body.organisation!)?.get(body.hash ?? '');
      return key ? send(200, key) : send(404, { error: { message: 'no such key' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get calls() {
      return state.calls;
    },
    addKey(organisation, apiKey, key) {
      if (!keys.has(organisation)) keys.set(organisation, new Map());
      const hash = sha256(apiKey);
      keys.get(organisation)!.set(hash, { ...key, hash, organisation });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
