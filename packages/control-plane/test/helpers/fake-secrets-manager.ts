import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for AWS Secrets Manager that speaks its JSON 1.1 protocol (POST /, X-Amz-Target:
 * secretsmanager.GetSecretValue, application/x-amz-json-1.1) and checks each request's SigV4
 * signature the way AWS does: the canonical request from the signed headers and the body's hash,
 * the string to sign over the credential scope, the signing key derived from the caller's secret
 * access key. A bad signature, an unknown key or a missing secret gets AWS's error shape.
 */
export interface SmRequest {
  target: string;
  secretId: string;
  accessKeyId: string;
  region: string;
  signatureValid: boolean;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

function verify(req: IncomingMessage, body: Buffer, secrets: Map<string, string>): { ok: boolean; accessKeyId: string; region: string; problem?: string } {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, accessKeyId: '', region: '', problem: 'MissingAuthenticationTokenException' };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m;
  const secret = secrets.get(accessKeyId);
  if (!secret) return { ok: false, accessKeyId, region, problem: 'UnrecognizedClientException' };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date) || service !== 'secretsmanager') return { ok: false, accessKeyId, region, problem: 'InvalidSignatureException' };
  const skew = Math.abs(Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now());
  if (!(skew < 15 * 60_000)) return { ok: false, accessKeyId, region, problem: 'InvalidSignatureException' };
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return { ok: false, accessKeyId, region, problem: 'InvalidSignatureException' };
  const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = typeof req.headers['x-amz-content-sha256'] === 'string' ? req.headers['x-amz-content-sha256'] : sha256(body);
  if (payloadHash !== sha256(body)) return { ok: false, accessKeyId, region, problem: 'InvalidSignatureException' };
  const url = new URL(req.url ?? '/', 'http://x');
  const canonicalRequest = [req.method, url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const ok = timingSafeEqual(expected, Buffer.from(signature, 'hex'));
  return { ok, accessKeyId, region, problem: ok ? undefined : 'InvalidSignatureException' };
}

const MESSAGES: Record<string, string> = {
  MissingAuthenticationTokenException: 'Missing Authentication Token',
  UnrecognizedClientException: 'The security token included in the request is invalid.',
  InvalidSignatureException: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  ResourceNotFoundException: "Secrets Manager can't find the specified secret.",
};

export interface FakeSecretsManager {
  url: string;
  requests: SmRequest[];
  /** Access key id → secret access key the fake accepts. */
  keys: Map<string, string>;
  /** Secret name (or ARN) → SecretString. */
  secrets: Map<string, string>;
  close(): Promise<void>;
}

export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const keys = new Map<string, string>();
  const secrets = new Map<string, string>();
  const requests: SmRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const fail = (status: number, type: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake' });
      res.end(JSON.stringify({ __type: type, message: MESSAGES[type] ?? type }));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    const check = verify(req, body, keys);
    let parsed: { SecretId?: string } = {};
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // Reported below.
    }
    requests.push({ target, secretId: String(parsed.SecretId ?? ''), accessKeyId: check.accessKeyId, region: check.region, signatureValid: check.ok });
    if (req.method !== 'POST' || !/^application\/x-amz-json-1\.1/.test(String(req.headers['content-type']))) return fail(400, 'SerializationException');
    if (!check.ok) return fail(check.problem === 'InvalidSignatureException' ? 403 : 400, check.problem!);
    if (target !== 'secretsmanager.GetSecretValue') return fail(400, 'UnknownOperationException');
    const value = parsed.SecretId === undefined ? undefined : secrets.get(parsed.SecretId);
    if (value === undefined) return fail(400, 'ResourceNotFoundException');
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake' });
    res.end(JSON.stringify({ ARN: `arn:aws:secretsmanager:${check.region}:123456789012:secret:${parsed.SecretId}-AbCdEf`, Name: parsed.SecretId, SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1.7e9 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests, keys, secrets,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
