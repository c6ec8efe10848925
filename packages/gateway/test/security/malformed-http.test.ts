/**
 * A malformed request gets a 400 in OpenAI's error shape, and its connection is closed by the gateway
 * at once, even when the client keeps its side open (no half-open sockets piling up).
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

const connections = () => new Promise<number>((resolve, reject) => gw.gateway.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

it('a bad request line gets a 400 with the error body, and the gateway closes the socket', async () => {
  const { port } = new URL(gw.url);
  const sockets: net.Socket[] = [];
  const answers = await Promise.all(Array.from({ length: 20 }, () => new Promise<string>((resolve, reject) => {
    // allowHalfOpen: this client never ends its own side, as a careless or hostile one would not.
    const s = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(s);
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('end', () => resolve(text));
    s.on('error', reject);
    s.write('GARBAGE\r\n\r\n');
  })));
  for (const a of answers) {
    expect(a).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(a.slice(a.indexOf('\r\n\r\n') + 4)).error.code).toBe('bad_http_request');
  }
  await eventually(async () => expect(await connections()).toBe(0), 3000);
  for (const s of sockets) s.destroy();
});
