/**
 * SigV4 signing of SageMaker runtime requests, service `sagemaker`, with Bedrock's signer and its
 * credential chain (request keys, assumed role, the default AWS chain; cached the same way). The only
 * file of this provider that does I/O.
 */
import { GatewayError } from '../../errors.js';
import type { ProviderTarget, UpstreamRequest } from '../types.js';
import { signAwsRequest } from '../../upstream/aws-sigv4.js';
import { resolveBedrockCredentials } from '../bedrock/credentials.js';
import { SAGEMAKER_PROVIDER_ID, SAGEMAKER_SIGNING_SERVICE, sagemakerRegion } from './endpoint.js';

export async function authorizeSageMaker(req: UpstreamRequest, target: ProviderTarget): Promise<UpstreamRequest> {
  if (req.method !== 'POST') throw new GatewayError({ status: 405, type: 'invalid_request_error', code: 'method_not_allowed', provider: SAGEMAKER_PROVIDER_ID, message: `sagemaker: endpoints are invoked with POST, not ${req.method}` });
  if (req.body === undefined && req.headers['content-length'] !== undefined) {
    // A body past MAX_BODY_BYTES is streamed, and SigV4 signs the body's hash: it must be held whole.
    throw new GatewayError({
      status: 413, type: 'invalid_request_error', code: 'request_too_large', provider: SAGEMAKER_PROVIDER_ID,
      message: 'sagemaker: the body is larger than MAX_BODY_BYTES, and a SigV4-signed request needs the whole body before sending; send a smaller payload (InvokeEndpoint takes at most 25 MB) or raise MAX_BODY_BYTES.',
    });
  }
  const { credentials } = await resolveBedrockCredentials(target, SAGEMAKER_PROVIDER_ID);
  return signAwsRequest(req, { service: SAGEMAKER_SIGNING_SERVICE, region: sagemakerRegion(target), credentials });
}
