/**
 * Azure OpenAI's Realtime API through the gateway with an Entra identity: the WebSocket handshake goes
 * to {base}/realtime?api-version=...&deployment=... and carries the signed Entra token as its bearer
 * (no api-key), checked by a fake Azure realtime endpoint against the fake tenant's key.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearEntraTokenCache } from '../../../src/providers/azure-openai/entra.js';
import { startFakeEntra, type FakeEntra } from '../../fakes/entra.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

const CLIENT_ID = 'c0ffee00-1111-2222-3333-444455556666';
const SECRET = 'entra~realtime~secret';
let gw: TestGateway;
let entra: FakeEntra;
let azure: Server;
let azureOrigin: string;
const handshakes: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
let savedAuthority: string | undefined;

beforeAll(async () => {
  entra = await startFakeEntra();
  entra.addSecretApp(CLIENT_ID, SECRET);
  savedAuthority = process.env.AZURE_AUTHORITY_HOST;
  process.env.AZURE_AUTHORITY_HOST = entra.authority;
  azure = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  azure.on('upgrade', (req, socket, head) => {
    handshakes.push({ path: req.url ?? '', headers: req.headers });
    const verdict = entra.verifyAccessToken(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://azure');
    if (url.pathname !== '/openai/realtime' || !url.searchParams.get('api-version') || !url.searchParams.get('deployment') || !verdict.ok || req.headers['api-key']) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify({ type: 'session.created', event_id: 'e1', session: { id: 'sess_az', model: url.searchParams.get('deployment') } })));
  });
  await new Promise<void>((r) => azure.listen(0, '127.0.0.1', r));
  azureOrigin = `http://127.0.0.1:${(azure.address() as AddressInfo).port}`;
  gw = await startTestGateway();
  clearEntraTokenCache();
}, 30_000);
afterAll(async () => {
  if (savedAuthority === undefined) delete process.env.AZURE_AUTHORITY_HOST;
  else process.env.AZURE_AUTHORITY_HOST = savedAuthority;
  await gw?.close();
  azure?.closeAllConnections();
  await new Promise((r) => (azure ? azure.close(r) : r(undefined)));
  await entra?.close();
});

describe('azure-openai realtime with Entra client credentials', () => {
  it('the handshake reaches Azure\'s realtime path with the Entra bearer; session.created comes back', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/realtime?model=gpt-4o-realtime-preview`, {
      headers: {
        'x-portkey-provider': 'azure-openai', 'x-portkey-custom-host': `${azureOrigin}/openai`, 'x-portkey-azure-deployment-id': 'rt-deploy',
        'x-portkey-azure-auth-mode': 'entra', 'x-portkey-azure-entra-tenant-id': entra.tenant, 'x-portkey-azure-entra-client-id': CLIENT_ID, 'x-portkey-azure-entra-client-secret': SECRET,
      },
    });
    try {
      const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
        ws.once('message', (d) => resolve(JSON.parse(d.toString())));
        ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
        ws.once('error', reject);
      });
      expect(first).toMatchObject({ type: 'session.created', session: { model: 'rt-deploy' } });
      const hs = handshakes.at(-1)!;
      expect(hs.path).toBe('/openai/realtime?api-version=2024-10-01-preview&deployment=rt-deploy');
      expect(entra.verifyAccessToken(hs.headers.authorization)).toMatchObject({ ok: true, appid: CLIENT_ID });
      expect(hs.headers['api-key']).toBeUndefined();
    } finally {
      ws.terminate();
    }
  });
});
