import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../src/pipeline/body.js';

// readBody against a real node:http server and raw sockets, so packet boundaries are under the test's control.
let server: Server;
let port: number;
const LIMIT = 1000;
const UPLOAD_LIMIT = 3000;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    try {
      // /upload: bodies past LIMIT become uploads (up to UPLOAD_LIMIT), read back here whole.
      const body = req.url === '/upload' ? await readBody(req, LIMIT, UPLOAD_LIMIT) : await readBody(req, LIMIT);
      if (!Buffer.isBuffer(body)) {
        const parts: Buffer[] = [];
        for await (const c of body.chunks()) parts.push(c);
        const text = Buffer.concat(parts).toString();
        res.end(JSON.stringify({ streamed: true, length: text.length, text, declared: body.declaredLength ?? null }));
        return;
      }
      res.end(JSON.stringify({ length: body.length, text: body.toString() }));
    } catch (e) {
      res.writeHead((e as { status: number }).status).end(String((e as Error).message));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => server.close(r)));

/** Sends raw request pieces with a pause between them; resolves with the raw response. */
function rawRequest(pieces: string[], gapMs = 15): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    let i = 0;
    const next = () => {
      socket.write(pieces[i++]);
      if (i < pieces.length) setTimeout(next, gapMs);
    };
    socket.on('connect', next);
  });
}

// connection: close, so the server ends the socket once it has answered.
const head = (extra: string, path = '/x') => `POST ${path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-type: application/json\r\n${extra}\r\n`;
const bodyOf = (raw: string) => JSON.parse(raw.split('\r\n\r\n')[1]);

describe('readBody', () => {
  it('takes a body that came with its headers in one read', async () => {
    const body = '{"model":"m","messages":[]}';
    expect(bodyOf(await rawRequest([head(`content-length: ${body.length}\r\n`) + body]))).toEqual({ length: body.length, text: body });
  });

  it('waits for a body that arrives in pieces after its headers', async () => {
    const body = '{"model":"m","input":"' + 'é'.repeat(50) + '"}';
    const bytes = Buffer.byteLength(body);
    const raw = await rawRequest([head(`content-length: ${bytes}\r\n`) + body.slice(0, 5), body.slice(5, 30), body.slice(30)]);
    expect(bodyOf(raw)).toEqual({ length: bytes, text: body });
  });

  it('reads a chunked body', async () => {
    const raw = await rawRequest([head('transfer-encoding: chunked\r\n') + '5\r\n{"a":\r\n', '3\r\n"b"\r\n', '1\r\n}\r\n0\r\n\r\n']);
    expect(bodyOf(raw)).toEqual({ length: 9, text: '{"a":"b"}' });
  });

  it('gives an empty buffer for content-length 0', async () => {
    expect(bodyOf(await rawRequest([head('content-length: 0\r\n')]))).toEqual({ length: 0, text: '' });
  });

  it('refuses a declared length over the limit, and a chunked body that grows past it', async () => {
    expect(await rawRequest([head(`content-length: ${LIMIT + 1}\r\n`) + 'x'.repeat(LIMIT + 1)])).toMatch(/^HTTP\/1.1 413/);
    const piece = 'x'.repeat(600);
    expect(await rawRequest([head('transfer-encoding: chunked\r\n'), `258\r\n${piece}\r\n`, `258\r\n${piece}\r\n`, '0\r\n\r\n'])).toMatch(/^HTTP\/1.1 413/);
  });

  it('with an upload limit, streams a body past the limit instead of refusing it, starting with the bytes already read', async () => {
    const piece = 'x'.repeat(600);
    const chunked = bodyOf(await rawRequest([head('transfer-encoding: chunked\r\n', '/upload'), `258\r\n${piece}\r\n`, `258\r\n${piece.replace(/x/g, 'y')}\r\n`, '0\r\n\r\n']));
    expect(chunked).toEqual({ streamed: true, length: 1200, text: piece + piece.replace(/x/g, 'y'), declared: null });
    const declared = 'z'.repeat(LIMIT + 1);
    expect(bodyOf(await rawRequest([head(`content-length: ${declared.length}\r\n`, '/upload') + declared]))).toEqual({ streamed: true, length: declared.length, text: declared, declared: declared.length });
    // Small bodies are still buffered.
    expect(bodyOf(await rawRequest([head('content-length: 2\r\n', '/upload') + '{}']))).toEqual({ length: 2, text: '{}' });
  });

  it('refuses an upload past the upload limit: at once when declared, mid-stream when chunked', async () => {
    expect(await rawRequest([head(`content-length: ${UPLOAD_LIMIT + 1}\r\n`, '/upload')])).toMatch(/^HTTP\/1.1 413[\s\S]*MAX_UPLOAD_BYTES/);
    const piece = 'x'.repeat(1000);
    const pieces = Array.from({ length: 4 }, () => `3e8\r\n${piece}\r\n`);
    expect(await rawRequest([head('transfer-encoding: chunked\r\n', '/upload'), ...pieces, '0\r\n\r\n'])).toMatch(/^HTTP\/1.1 413[\s\S]*MAX_UPLOAD_BYTES/);
  });
});
