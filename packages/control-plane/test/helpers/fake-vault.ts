import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for HashiCorp Vault's HTTP API: KV v2 reads (GET /v1/secret/data/<path>, answered
 * as {"data":{"data":{…},"metadata":{…}}}) that need X-Vault-Token, and AppRole login (POST
 * /v1/auth/approle/login) that issues a token. Refusals use Vault's {"errors":[…]} shape.
 */
export interface FakeVault {
  url: string;
  token: string;
  roleId: string;
  secretId: string;
  seen: Array<{ path: string; namespace: string | null }>;
  close(): Promise<void>;
}

export async function startFakeVault(): Promise<FakeVault> {
  const token = 'hvs.fake-root-token-0001';
  const roleId = 'role-1234';
  const secretId = 'secret-5678';
  const issued = 'hvs.fake-approle-token-0002';
  const kv: Record<string, Record<string, string>> = { 'prod/openai': { api_key: 'sk-from-vault', org: 'org-1' } };
  const seen: FakeVault['seen'] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, namespace: (req.headers['x-vault-namespace'] as string | undefined) ?? null });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/v1/auth/approle/login') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (body.role_id !== roleId || body.secret_id !== secretId) return send(400, { errors: ['invalid role or secret ID'] });
      return send(200, { auth: { client_token: issued, policies: ['default'], lease_duration: 3600, renewable: true } });
    }
    const m = /^\/v1\/secret\/data\/(.+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return send(404, { errors: [] });
    const presented = req.headers['x-vault-token'];
    if (presented !== token && presented !== issued) return send(403, { errors: ['permission denied'] });
    const entry = kv[decodeURIComponent(m[1])];
    if (!entry) return send(404, { errors: [] });
    send(200, { request_id: 'r', lease_id: '', renewable: false, lease_duration: 0, data: { data: entry, metadata: { created_time: '2026-01-01T00:00:00Z', version: 1, destroyed: false } } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, roleId, secretId, seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
