/**
 * S3 with SigV4 checked for real: s3rver stores objects but does not verify Signature Version 4, so
 * this proxy in front of it recomputes every request's signature with `aws4` (independent of the
 * gateway's signer) for service `s3`, checks x-amz-content-sha256 against the body, answers AWS's
 * 403 on a mismatch, and forwards good requests to s3rver. It records each operation it saw.
 */
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { createFakeServer } from './fake-server.js';
import { verifySigV4, type FakeAwsCredential } from '../providers/bedrock/sigv4-verify.js';

export interface SigV4S3Proxy {
  url: string;
  /** "METHOD query-keys" per request, e.g. "POST uploads", "PUT partNumber,uploadId", "PUT". */
  operations: string[];
  rejected: number;
  close(): Promise<void>;
}

export async function startSigV4S3Proxy(target: string, credentials: FakeAwsCredential[], region = 'us-east-1'): Promise<SigV4S3Proxy> {
  const operations: string[] = [];
  const out = { rejected: 0 };
  const server = createFakeServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '/';
    const q = path.includes('?') ? new URLSearchParams(path.slice(path.indexOf('?') + 1)) : new URLSearchParams();
    operations.push(`${req.method} ${[...q.keys()].sort().join(',')}`.trim());
    const sig = verifySigV4({ method: req.method!, rawPath: path, headers: req.headers, body }, { service: 's3', region, credentials });
    if (!sig.ok || !req.headers['x-amz-content-sha256']) {
      out.rejected++;
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>${sig.ok ? 'x-amz-content-sha256 is missing' : sig.message}</Message><StringToSign>AWS4-HMAC-SHA256 secret-free but never to be relayed</StringToSign></Error>`);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
    const up = await request(`${target}${path}`, { method: req.method as 'GET', headers, body: body.length ? body : undefined });
    const back: Record<string, string> = {};
    for (const [k, v] of Object.entries(up.headers)) if (typeof v === 'string' && k !== 'connection' && k !== 'transfer-encoding') back[k] = v;
    res.writeHead(up.statusCode, back);
    for await (const c of up.body) res.write(c);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    operations,
    get rejected() {
      return out.rejected;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
