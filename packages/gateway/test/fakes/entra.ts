/**
 * A fake Microsoft Entra ID and Azure instance metadata service that issue real, signed tokens, and
 * the check an Azure resource makes of them.
 *
 * - POST /{tenant}/oauth2/v2.0/token (Entra v2.0): the client-credentials grant with a client_secret,
 *   or with a client_assertion (workload identity federation): the assertion is a JWT the test's
 *   "Kubernetes issuer" signed, verified against the federated credential registered for the app
 *   (issuer, subject, audience api://AzureADTokenExchange) as Entra does.
 * - GET /metadata/identity/oauth2/token (IMDS, on its own server): needs `Metadata: true`, api-version
 *   and resource; client_id picks a user-assigned identity, none the system-assigned one.
 * - Access tokens are RS256 JWTs signed with the fake tenant's key: aud (the resource), iss
 *   (https://sts.windows.net/{tenant}/), appid, oid, tid, exp. `verifyAccessToken` is what the fake
 *   Azure OpenAI / AI services front door runs on each request.
 */
import { createPublicKey, createSign, createVerify, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeServer } from '../helpers/fake-server.js';

export const COGNITIVE_SERVICES = 'https://cognitiveservices.azure.com';
const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signJwt(claims: object, key: KeyObject, kid: string): string {
  const input = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key, 'base64url')}`;
}

export function verifyJwt(token: string, key: KeyObject): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const ok = createVerify('RSA-SHA256').update(`${parts[0]}.${parts[1]}`).verify(key, parts[2]!, 'base64url');
  if (!ok) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** An OIDC issuer of federated tokens (an AKS cluster's service account issuer). */
export function createFederatedIssuer(issuer: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    issuer,
    publicKey,
    token(subject: string, opts: { audience?: string; ttlS?: number } = {}) {
      const now = Math.floor(Date.now() / 1000);
      return signJwt({ iss: issuer, sub: subject, aud: [opts.audience ?? TOKEN_EXCHANGE_AUDIENCE], iat: now, nbf: now, exp: now + (opts.ttlS ?? 3600) }, privateKey, 'k8s-1');
    },
  };
}

export interface FakeEntra {
  /** Entra's authority origin (AZURE_AUTHORITY_HOST). */
  authority: string;
  /** IMDS's token URL (AZURE_IMDS_TOKEN_URL). */
  imdsTokenUrl: string;
  imdsOrigin: string;
  tenant: string;
  tokenRequests: Array<{ path: string; form: URLSearchParams }>;
  imdsRequests: Array<{ path: string; query: URLSearchParams; headers: IncomingMessage['headers'] }>;
  /** An app registration with a client secret. */
  addSecretApp(clientId: string, secret: string): void;
  /** An app registration with a federated credential trusting `issuer`'s tokens for `subject`. */
  addFederatedApp(clientId: string, issuer: { issuer: string; publicKey: KeyObject }, subject: string): void;
  /** The instance's managed identities: the system-assigned one, and user-assigned ones by client id. */
  setManagedIdentities(systemAssigned: string | undefined, userAssigned: string[]): void;
  /** What an Azure resource checks: signature, issuer, audience, expiry. Returns the app id, or why not. */
  verifyAccessToken(authorization: string | undefined, audience?: string): { ok: true; appid: string; claims: Record<string, unknown> } | { ok: false; reason: string };
  close(): Promise<void>;
}

export async function startFakeEntra(tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47'): Promise<FakeEntra> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'entra-key-1';
  const secrets = new Map<string, string>();
  const federated = new Map<string, { issuer: string; publicKey: KeyObject; subject: string }>();
  let systemAssigned: string | undefined;
  let userAssigned = new Set<string>();
  const tokenRequests: FakeEntra['tokenRequests'] = [];
  const imdsRequests: FakeEntra['imdsRequests'] = [];

  const issue = (appid: string, resource: string, ttl = 3599) => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt({ aud: resource, iss: `https://sts.windows.net/${tenant}/`, iat: now, nbf: now, exp: now + ttl, appid, oid: randomUUID(), tid: tenant, sub: appid, idtyp: 'app', ver: '1.0' }, privateKey, kid);
  };
  const send = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const aadError = (res: ServerResponse, status: number, error: string, description: string) =>
    send(res, status, { error, error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}`, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)] });

  const entra: Server = createFakeServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    tokenRequests.push({ path: req.url ?? '', form });
    if (req.method !== 'POST' || req.url !== `/${tenant}/oauth2/v2.0/token`) return aadError(res, 400, 'invalid_request', `AADSTS90002: Tenant not found or wrong token path ${req.url}.`);
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return aadError(res, 400, 'invalid_request', 'AADSTS900144: The request body must contain the following parameter: grant_type.');
    if (form.get('grant_type') !== 'client_credentials') return aadError(res, 400, 'unsupported_grant_type', 'AADSTS70003: unsupported grant type.');
    const scope = form.get('scope') ?? '';
    if (!scope.endsWith('/.default')) return aadError(res, 400, 'invalid_scope', 'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.');
    const clientId = form.get('client_id') ?? '';
    const resource = scope.slice(0, -'/.default'.length);
    if (form.has('client_secret')) {
      if (!secrets.has(clientId)) return aadError(res, 400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
      if (secrets.get(clientId) !== form.get('client_secret')) return aadError(res, 401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
      return send(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: issue(clientId, resource) });
    }
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !form.get('client_assertion')) {
      return aadError(res, 401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const cred = federated.get(clientId);
    if (!cred) return aadError(res, 400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
    const claims = verifyJwt(form.get('client_assertion')!, cred.publicKey);
    if (!claims) return aadError(res, 401, 'invalid_client', 'AADSTS700027: Client assertion failed signature validation.');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== cred.issuer || claims.sub !== cred.subject || !aud.includes(TOKEN_EXCHANGE_AUDIENCE)) {
      return aadError(res, 400, 'invalid_request', `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${claims.iss}'. Assertion Subject: '${claims.sub}'.`);
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return aadError(res, 400, 'invalid_client', 'AADSTS700024: Client assertion is not within its valid time range.');
    return send(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: issue(clientId, resource) });
  });

  const imds: Server = createFakeServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    imdsRequests.push({ path: url.pathname, query: url.searchParams, headers: req.headers });
    if (req.method !== 'GET' || url.pathname !== '/metadata/identity/oauth2/token') return send(res, 404, { error: 'not_found', error_description: 'Not found' });
    if (req.headers.metadata !== 'true') return send(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    if (!url.searchParams.get('api-version')) return send(res, 400, { error: 'invalid_request', error_description: 'Required query variable \'api-version\' is missing' });
    const resource = url.searchParams.get('resource');
    if (!resource) return send(res, 400, { error: 'invalid_request', error_description: 'Required query variable \'resource\' is missing' });
    const clientId = url.searchParams.get('client_id');
    const identity = clientId ? (userAssigned.has(clientId) ? clientId : undefined) : systemAssigned;
    if (!identity) return send(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    const now = Math.floor(Date.now() / 1000);
    send(res, 200, { access_token: issue(identity, resource.replace(/\/$/, ''), 86399), client_id: identity, expires_in: '86399', expires_on: String(now + 86399), ext_expires_in: '86399', not_before: String(now), resource, token_type: 'Bearer' });
  });

  await Promise.all([entra, imds].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const origin = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  const verifyKey = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    authority: origin(entra),
    imdsOrigin: origin(imds),
    imdsTokenUrl: `${origin(imds)}/metadata/identity/oauth2/token`,
    tenant,
    tokenRequests,
    imdsRequests,
    addSecretApp: (id, secret) => void secrets.set(id, secret),
    addFederatedApp: (id, issuer, subject) => void federated.set(id, { issuer: issuer.issuer, publicKey: issuer.publicKey, subject }),
    setManagedIdentities(system, user) {
      systemAssigned = system;
      userAssigned = new Set(user);
    },
    verifyAccessToken(authorization, audience = COGNITIVE_SERVICES) {
      const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (!token) return { ok: false, reason: 'no bearer token' };
      const claims = verifyJwt(token, verifyKey);
      if (!claims) return { ok: false, reason: 'signature' };
      if (claims.iss !== `https://sts.windows.net/${tenant}/`) return { ok: false, reason: 'issuer' };
      if (claims.aud !== audience) return { ok: false, reason: `audience ${String(claims.aud)}` };
      if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return { ok: false, reason: 'expired' };
      return { ok: true, appid: String(claims.appid), claims };
    },
    close: async () => {
      await Promise.all([entra, imds].map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
    },
  };
}
