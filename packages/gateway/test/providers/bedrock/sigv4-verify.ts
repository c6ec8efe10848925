/**
 * Independent SigV4 check for the fakes: recomputes the signature of a received request with the `aws4`
 * package (a second implementation, not the @smithy signer under test) and answers as AWS does.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import aws4 from 'aws4';

export interface FakeAwsCredential { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string }
  | { ok: false; status: number; type: string; message: string };

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 5 * 60 * 1000;
/** Headers aws4 adds by itself when absent; kept out of its canonical request unless the client signed them. */
const AUTO_ADDED = ['content-type', 'content-length', 'x-amz-security-token', 'x-amz-content-sha256'];

const fail = (status: number, type: string, message: string): SigV4Result => ({ ok: false, status, type, message });
const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

export function verifySigV4(
  req: { method: string; rawPath: string; headers: IncomingHttpHeaders; body: Buffer },
  expect: { service: string; region: string; credentials: FakeAwsCredential[]; now?: number },
): SigV4Result {
  const auth = header(req.headers, 'authorization');
  if (!auth) return fail(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH_RE.exec(auth);
  if (!m) return fail(403, 'IncompleteSignatureException', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${auth.split(' ')[0]}`);
  const [, akid, scopeDate, region, service, signedList, signature] = m as unknown as string[];
  const cred = expect.credentials.find((c) => c.accessKeyId === akid);
  if (!cred) return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  const token = header(req.headers, 'x-amz-security-token');
  if ((cred.sessionToken ?? undefined) !== token) return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (service !== expect.service) return fail(403, 'InvalidSignatureException', `Credential should be scoped to correct service: '${expect.service}'. `);
  if (region !== expect.region) return fail(403, 'InvalidSignatureException', `Credential should be scoped to a valid region. `);
  const amzDate = header(req.headers, 'x-amz-date');
  const when = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || when === undefined) return fail(403, 'IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  if (amzDate.slice(0, 8) !== scopeDate) return fail(403, 'InvalidSignatureException', 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP');
  if (Math.abs((expect.now ?? Date.now()) - when) > MAX_SKEW_MS) return fail(403, 'InvalidSignatureException', 'Signature expired: the request time is more than 5 minutes away from the server time.');
  const signed = signedList!.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) return fail(403, 'InvalidSignatureException', 'The host and x-amz-date headers must be signed.');
  const claimed = header(req.headers, 'x-amz-content-sha256');
  if (claimed !== undefined && claimed !== 'UNSIGNED-PAYLOAD' && claimed !== createHash('sha256').update(req.body).digest('hex')) {
    return fail(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided: the x-amz-content-sha256 header does not match the body.');
  }
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = header(req.headers, name);
    if (v === undefined) return fail(403, 'InvalidSignatureException', `Signed header ${name} is missing from the request.`);
    headers[name] = v;
  }
  const opts = {
    method: req.method,
    host: headers.host,
    path: req.rawPath,
    service,
    region,
    headers,
    body: req.body,
    extraHeadersToInclude: Object.fromEntries(signed.map((h) => [h, true])),
    extraHeadersToIgnore: Object.fromEntries(AUTO_ADDED.filter((h) => !signed.includes(h)).map((h) => [h, true])),
  };
  aws4.sign(opts, { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken: cred.sessionToken });
  const expected = /Signature=([0-9a-f]{64})/.exec(String((opts.headers as Record<string, string>).Authorization))?.[1] ?? '';
  if (expected.length !== 64 || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature!))) {
    return fail(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  }
  return { ok: true, accessKeyId: akid!, region: region! };
}
