import { readAtMost } from '@portico/contract';
import { request } from 'undici';
import { checkLiteral, EgressRefused, type AddressCheck, type Egress } from '../egress/connect.js';
import { SecretFetchError } from './aws.js';

/**
 * One JSON call to a secret manager's HTTP API (Vault, Entra ID, Azure Key Vault) under the egress
 * policy: `check` is egress.chosen for a caller's URL, egress.trusted for a host the code names.
 * Bounded: 10 s per call, 64 KiB per answer, no redirects. Failures are SecretFetchErrors that name
 * `what` and never echo the answer beyond the error code the manager gives (`errorDetail`).
 */
const TIMEOUT_MS = 10_000;
const MAX_BODY = 64 * 1024;

export interface SecretCall {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export async function secretManagerCall(
  egress: Egress,
  check: AddressCheck,
  url: URL,
  init: SecretCall,
  what: string,
  errorDetail: (body: Record<string, unknown>) => string,
): Promise<Record<string, unknown>> {
  let res;
  try {
    checkLiteral(url.hostname, check);
    res = await request(url, { ...init, dispatcher: check === egress.chosen ? egress.dispatcher : egress.trustedDispatcher, signal: AbortSignal.timeout(TIMEOUT_MS), headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  } catch (e) {
    for (let cur = e as { cause?: unknown } | undefined, depth = 0; cur && depth < 5; cur = cur.cause as { cause?: unknown }, depth++) {
      if (cur instanceof EgressRefused) throw new SecretFetchError(cur.message);
    }
    const err = e as { name?: string; code?: string };
    throw new SecretFetchError(`${what} could not be reached (${err.code ?? err.name ?? 'error'})`);
  }
  const raw = await readAtMost(res.body, MAX_BODY, () => new SecretFetchError(`${what}'s answer is over ${MAX_BODY / 1024} KiB`));
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    // Reported by status below, or as not JSON.
  }
  if (res.statusCode >= 300) throw new SecretFetchError(`${what} answered HTTP ${res.statusCode}${errorDetail(body)}`);
  if (!body || typeof body !== 'object') throw new SecretFetchError(`${what}'s answer is not JSON`);
  return body;
}
