/**
 * Bedrock's authorization: SigV4 (upstream/aws-sigv4.ts), service `bedrock`, with the credentials of
 * credentials.ts, or a Bedrock API key sent as a bearer token.
 */
import { badRequest } from '../../errors.js';
import { SIGNING_HEADERS, signAwsRequest } from '../../upstream/aws-sigv4.js';
import type { ProviderTarget, UpstreamRequest } from '../types.js';
import { resolveBedrockCredentials } from './credentials.js';
import { BEDROCK_SIGNING_SERVICE, bedrockRegion } from './endpoint.js';

export async function authorizeBedrock(req: UpstreamRequest, target: ProviderTarget): Promise<UpstreamRequest> {
  if (bedrockUsesApiKey(target)) return withBedrockApiKey(req, target);
  const { credentials } = await resolveBedrockCredentials(target);
  return signAwsRequest(req, { service: BEDROCK_SIGNING_SERVICE, region: bedrockRegion(target), credentials });
}

/**
 * Bedrock API keys (x-portkey-aws-auth-type: apiKey): the key goes as `Authorization: Bearer`, and
 * nothing is signed. Without a key that is a 400 saying where to put it.
 */
export function bedrockUsesApiKey(target: ProviderTarget): boolean {
  const type = target.settings.aws_auth_type?.trim();
  if (type === undefined || type === '' || type === 'accessKey' || type === 'assumedRole') return false;
  if (type === 'apiKey') return true;
  throw badRequest(`bedrock: x-portkey-aws-auth-type must be apiKey, accessKey or assumedRole, not "${type}"`, 'x-portkey-aws-auth-type');
}

function withBedrockApiKey(req: UpstreamRequest, target: ProviderTarget): UpstreamRequest {
  if (!target.apiKey) throw badRequest('bedrock: x-portkey-aws-auth-type is apiKey but no key was given; send the Bedrock API key as Authorization: Bearer <key>', 'authorization');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!SIGNING_HEADERS.has(k.toLowerCase())) headers[k] = v;
  headers.authorization = `Bearer ${target.apiKey}`;
  return { ...req, headers };
}
