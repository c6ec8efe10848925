/**
 * The one exception to the egress policy. Cloud metadata (169.254.169.254) is unreachable for every
 * other connection the gateway makes (see egress-policy.ts), but Azure managed identity gets its
 * tokens there: GET /metadata/identity/oauth2/token with `Metadata: true`. This module alone may reach
 * it, and only that path: its dispatcher is private to it, refuses any other origin or path, and the
 * URL comes from the operator (AZURE_IMDS_TOKEN_URL, for tests and unusual hosts) or the default,
 * never from a request. Nothing a key holder sends (custom_host, resource names, foundry URLs) can name it.
 */
import { request, type Dispatcher } from 'undici';
import { PinnedDispatcher } from './pinned-dispatcher.js';

export const DEFAULT_IMDS_TOKEN_URL = 'http://169.254.169.254/metadata/identity/oauth2/token';
const TOKEN_PATH = '/metadata/identity/oauth2/token';
const TIMEOUT_MS = 5_000;
const MAX_BODY = 64 * 1024;

/** The managed identity token endpoint: AZURE_IMDS_TOKEN_URL or IMDS's own. Throws on a value that is not one. */
export function metadataTokenUrl(env: NodeJS.ProcessEnv = process.env): URL {
  const raw = env.AZURE_IMDS_TOKEN_URL || DEFAULT_IMDS_TOKEN_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`AZURE_IMDS_TOKEN_URL "${raw}" is not a URL`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || u.search || u.hash || u.pathname !== TOKEN_PATH) {
    throw new Error(`AZURE_IMDS_TOKEN_URL must be http(s)://host${TOKEN_PATH} without credentials or query (got ${raw})`);
  }
  return u;
}

// Off Azure nothing answers at 169.254.169.254: fail fast rather than wait for the OS's connect timeout.
const pinned = new PinnedDispatcher({ connections: 4, keepAliveTimeout: 10_000, connect: { timeout: 2_000 } }, 'the metadata token client reaches only the managed identity token endpoint');

/**
 * The dispatcher of this client: it refuses every request that is not a GET of the token path on the
 * configured origin, so even code that got hold of it could reach nothing else there.
 */
export function metadataDispatcher(url: URL = metadataTokenUrl()): Dispatcher {
  const origin = url.origin;
  return pinned.get(origin, (o, method, path) => o === origin && method === 'GET' && (path === TOKEN_PATH || path.startsWith(`${TOKEN_PATH}?`)));
}

/** GETs a managed identity token; `query` holds api-version, resource and client_id. Bounded in time and size. */
export async function getFromMetadataTokenEndpoint(query: URLSearchParams): Promise<{ status: number; text: string }> {
  const url = metadataTokenUrl();
  const target = new URL(url);
  target.search = query.toString();
  const res = await request(target, {
    method: 'GET',
    headers: { metadata: 'true', accept: 'application/json' },
    dispatcher: metadataDispatcher(url),
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  // Cut at MAX_BODY rather than refused: the caller then reports the answer as not a token.
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      res.body.destroy();
      break;
    }
    parts.push(chunk as Buffer);
  }
  return { status: res.statusCode, text: Buffer.concat(parts).toString('utf8') };
}

/** For tests and shutdown: closes the private connections. */
export function closeMetadataTokenClient(): Promise<void> {
  return pinned.close();
}
