/**
 * The gateway's own AWS identity from the metadata services, and nothing else there. The AWS SDK's
 * default chain would reach the ECS container credentials endpoint (169.254.170.2) and EC2's instance
 * metadata (169.254.169.254) with its own node:http requests, outside the egress policy; the gateway
 * instead fetches them here, as metadata-token-client.ts does for Azure: through a private dispatcher
 * pinned to the exact origins and paths, read from the operator's environment at first use, never
 * from a request. Nothing a key holder sends can name these addresses (egress-policy.ts refuses
 * 169.254.0.0/16 and the fd00:ec2:: metadata addresses to every other connection), and even code that
 * got hold of this dispatcher could reach nothing there but the credentials.
 */
import { readFile } from 'node:fs/promises';
import { readAtMost } from '@portico/contract';
import { request, type Dispatcher } from 'undici';
import { PinnedDispatcher } from './pinned-dispatcher.js';

export const ECS_CONTAINER_ORIGIN = 'http://169.254.170.2';
export const IMDS_ORIGIN = 'http://169.254.169.254';
export const IMDS_IPV6_ORIGIN = 'http://[fd00:ec2::254]';
const IMDS_TOKEN_PATH = '/latest/api/token';
const IMDS_ROLE_PATH = '/latest/meta-data/iam/security-credentials/';
/** http is allowed for a full container URI only to these hosts, as the AWS SDK allows it (ECS, EKS Pod Identity, loopback). */
const PLAIN_HTTP_HOSTS = new Set(['169.254.170.2', '169.254.170.23', '[fd00:ec2::23]', '127.0.0.1', 'localhost', '[::1]']);
const TIMEOUT_MS = 5_000;
const MAX_BODY = 64 * 1024;
/** IMDSv2 session tokens live 6 hours; one is fetched per credentials fetch, which are cached until near expiry. */
const IMDS_TOKEN_TTL_S = '21600';

/** One route the dispatcher lets through: a method and an exact path (query included) on an origin. */
interface Route {
  method: string;
  origin: string;
  /** Exact path, or a prefix when it ends in "/" (the IMDS role name follows). */
  path: string;
}

export interface AwsMetadataEndpoints {
  /** The container credentials URL (ECS task role, EKS Pod Identity), when the environment names one. */
  container?: { url: URL; tokenFile?: string; token?: string };
  /** EC2 instance metadata's origin, unless AWS_EC2_METADATA_DISABLED. */
  imds?: { origin: string; v1Fallback: boolean };
}

/** Where the gateway's own AWS identity may come from, as the operator's environment says; throws on a bad value. */
export function awsMetadataEndpoints(env: NodeJS.ProcessEnv = process.env): AwsMetadataEndpoints {
  const out: AwsMetadataEndpoints = {};
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (relative) {
    if (!relative.startsWith('/') || relative.startsWith('//')) throw new Error(`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with "/" (got "${relative}")`);
    out.container = { url: new URL(`${ECS_CONTAINER_ORIGIN}${relative}`) };
  } else if (full) {
    let u: URL;
    try {
      u = new URL(full);
    } catch {
      throw new Error(`AWS_CONTAINER_CREDENTIALS_FULL_URI "${full}" is not a URL`);
    }
    if (u.username || u.password || u.hash || (u.protocol !== 'https:' && !(u.protocol === 'http:' && PLAIN_HTTP_HOSTS.has(u.hostname)))) {
      throw new Error(`AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to the ECS / EKS credentials address or loopback, without credentials (got ${u.protocol}//${u.host})`);
    }
    out.container = { url: u };
  }
  if (out.container) {
    out.container.tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE || undefined;
    out.container.token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN || undefined;
  }
  if ((env.AWS_EC2_METADATA_DISABLED ?? '').toLowerCase() !== 'true') {
    const endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    let origin = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE ?? '').toLowerCase() === 'ipv6' ? IMDS_IPV6_ORIGIN : IMDS_ORIGIN;
    if (endpoint) {
      let u: URL;
      try {
        u = new URL(endpoint);
      } catch {
        throw new Error(`AWS_EC2_METADATA_SERVICE_ENDPOINT "${endpoint}" is not a URL`);
      }
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
        throw new Error(`AWS_EC2_METADATA_SERVICE_ENDPOINT must be http(s)://host[:port] (got ${endpoint})`);
      }
      origin = u.origin;
    }
    out.imds = { origin, v1Fallback: (env.AWS_EC2_METADATA_V1_DISABLED ?? '').toLowerCase() !== 'true' };
  }
  return out;
}

function routesOf(e: AwsMetadataEndpoints): Route[] {
  const routes: Route[] = [];
  if (e.container) routes.push({ method: 'GET', origin: e.container.url.origin, path: `${e.container.url.pathname}${e.container.url.search}` });
  if (e.imds) {
    routes.push({ method: 'PUT', origin: e.imds.origin, path: IMDS_TOKEN_PATH });
    routes.push({ method: 'GET', origin: e.imds.origin, path: IMDS_ROLE_PATH });
  }
  return routes;
}

const allowed = (routes: Route[], origin: string, method: string, path: string): boolean =>
  routes.some((r) => r.origin === origin && r.method === method && (r.path.endsWith('/') ? path.startsWith(r.path) && !path.slice(r.path.length).includes('/') && !path.includes('?') : path === r.path));

// Off AWS nothing answers at 169.254.169.254: fail fast rather than wait for the OS's connect timeout.
const pinned = new PinnedDispatcher({ connections: 2, keepAliveTimeout: 5_000, connect: { timeout: 1_000 } }, 'the AWS metadata client reaches only the container credentials and instance credentials endpoints');

/**
 * The private dispatcher for these endpoints: it refuses every request that is not one of their routes,
 * so nothing else at those addresses (user data, other metadata paths) can be read through it.
 */
export function awsMetadataDispatcher(e: AwsMetadataEndpoints = awsMetadataEndpoints()): Dispatcher {
  const routes = routesOf(e);
  return pinned.get(JSON.stringify(routes), (origin, method, path) => allowed(routes, origin, method, path));
}

async function call(e: AwsMetadataEndpoints, url: string, method: 'GET' | 'PUT', headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await request(url, { method, headers, dispatcher: awsMetadataDispatcher(e), headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  const body = await readAtMost(res.body, MAX_BODY, () => new Error(`${url.split('?')[0]} answered with more than ${MAX_BODY} bytes`));
  return { status: res.statusCode, text: body.toString('utf8') };
}

export interface MetadataCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** The JSON both endpoints answer with: AccessKeyId, SecretAccessKey, Token, Expiration. */
function credentialsIn(text: string, where: string): MetadataCredentials {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${where} answered with something that is not JSON`);
  }
  if (typeof j.AccessKeyId !== 'string' || typeof j.SecretAccessKey !== 'string') throw new Error(`${where} answered without AccessKeyId and SecretAccessKey${typeof j.Code === 'string' ? ` (Code ${j.Code})` : ''}`);
  const expiration = typeof j.Expiration === 'string' ? new Date(j.Expiration) : undefined;
  return { accessKeyId: j.AccessKeyId, secretAccessKey: j.SecretAccessKey, sessionToken: typeof j.Token === 'string' ? j.Token : undefined, expiration: expiration && !Number.isNaN(expiration.getTime()) ? expiration : undefined };
}

/** The container's credentials (ECS task role, EKS Pod Identity). */
export async function containerCredentials(e: AwsMetadataEndpoints): Promise<MetadataCredentials> {
  const c = e.container!;
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = c.tokenFile ? (await readFile(c.tokenFile, 'utf8')).trim() : c.token;
  if (token) headers.authorization = token;
  const res = await call(e, c.url.href, 'GET', headers);
  if (res.status !== 200) throw new Error(`the container credentials endpoint answered ${res.status}`);
  return credentialsIn(res.text, 'the container credentials endpoint');
}

/** The instance profile's credentials from IMDS (v2 session; v1 only where v2 is absent and v1 is not disabled). */
export async function instanceCredentials(e: AwsMetadataEndpoints): Promise<MetadataCredentials> {
  const { origin, v1Fallback } = e.imds!;
  const headers: Record<string, string> = {};
  const session = await call(e, `${origin}${IMDS_TOKEN_PATH}`, 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': IMDS_TOKEN_TTL_S });
  if (session.status === 200 && session.text) headers['x-aws-ec2-metadata-token'] = session.text.trim();
  else if (!v1Fallback || ![403, 404, 405].includes(session.status)) throw new Error(`instance metadata refused a session token (${session.status})`);
  const roles = await call(e, `${origin}${IMDS_ROLE_PATH}`, 'GET', headers);
  if (roles.status !== 200) throw new Error(`instance metadata has no instance profile (${roles.status})`);
  const role = roles.text.split('\n')[0]!.trim();
  if (!/^[\w+=,.@-]{1,128}$/.test(role)) throw new Error('instance metadata named no usable instance profile role');
  const res = await call(e, `${origin}${IMDS_ROLE_PATH}${role}`, 'GET', headers);
  if (res.status !== 200) throw new Error(`instance metadata answered ${res.status} for the role's credentials`);
  return credentialsIn(res.text, 'instance metadata');
}

/** For tests and shutdown: closes the private connections. */
export function closeAwsMetadataClient(): Promise<void> {
  return pinned.close();
}
