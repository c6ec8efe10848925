import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Entra ID's token endpoint (POST /{tenant}/oauth2/v2.0/token, client
 * credentials, form-encoded) and Azure Key Vault's secrets API (GET /secrets/{name}[/{version}]
 * ?api-version=7.4 with the bearer token), answering in their published shapes, errors included.
 */
export interface FakeAzureKeyVault {
  url: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  seen: string[];
  close(): Promise<void>;
}

export async function startFakeAzureKeyVault(): Promise<FakeAzureKeyVault> {
  const tenant = 'contoso.onmicrosoft.com';
  const clientId = '11111111-2222-3333-4444-555555555555';
  const clientSecret = 'azure-client-secret-value';
  const accessToken = 'eyJ.fake-kv-token';
  const secrets: Record<string, string> = { 'openai-key': 'sk-from-key-vault' };
  const seen: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === `/${tenant}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://vault.azure.net/.default') return send(400, { error: 'invalid_request', error_description: 'AADSTS900144: bad request' });
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return send(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
      return send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
    }
    const m = /^\/secrets\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      if (url.searchParams.get('api-version') !== '7.4') return send(400, { error: { code: 'BadParameter', message: 'api-version' } });
      if (req.headers.authorization !== `Bearer ${accessToken}`) return send(401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
      const value = secrets[decodeURIComponent(m[1])];
      if (value === undefined) return send(404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${m[1]} was not found in this key vault.` } });
      return send(200, { value, id: `https://fake.vault.azure.net/secrets/${m[1]}/abc`, attributes: { enabled: true, created: 1.7e9, updated: 1.7e9, recoveryLevel: 'Recoverable' } });
    }
    send(404, { error: { code: 'NotFound', message: 'no such route' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tenant, clientId, clientSecret, seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
