/**
 * Amazon SageMaker (runtime.sagemaker): InvokeEndpoint, InvokeEndpointWithResponseStream and
 * InvokeEndpointAsync at POST /v1/endpoints/{endpoint_name}/invocations[-response-stream |
 * async-invocations]. As in Portkey, the body goes to the endpoint as the client sent it, in whatever
 * format the model container reads, and its answer comes back as the container gave it (the
 * streaming form as AWS's application/vnd.amazon.eventstream). Requests are SigV4-signed in
 * `authorize`; Portkey's x-portkey-amzn-sagemaker-* headers become SageMaker's X-Amzn-SageMaker-*.
 */
import type { Provider } from '../types.js';
import { authorizeSageMaker } from './auth.js';
import { SAGEMAKER_PROVIDER_ID, sagemakerBaseUrl, sagemakerModelName, toSageMakerHeaders, toSageMakerRoute } from './endpoint.js';
import { mapSageMakerError } from './errors.js';

export const sagemakerProvider: Provider = {
  id: SAGEMAKER_PROVIDER_ID,
  name: 'Amazon SageMaker (endpoints)',
  capabilities: {
    endpoints: ['passthrough'],
    streaming: true,
    tools: false,
    vision: false,
    embeddings: false,
    auth: ['aws sigv4 (x-portkey-aws-* keys, x-portkey-aws-role-arn, or the default AWS chain)'],
    upstream: '`https://runtime.sagemaker.{aws_region}.amazonaws.com/endpoints/{endpoint_name}/invocations[-response-stream]` from POST /v1/endpoints/{endpoint_name}/..., with x-portkey-amzn-sagemaker-* as X-Amzn-SageMaker-* headers',
  },
  nativeOperations: ['passthrough'],
  passthrough(path, target) {
    const route = toSageMakerRoute(path);
    return { url: sagemakerBaseUrl(target) + route.path, headers: toSageMakerHeaders(target, route.operation) };
  },
  targetModel: (target, path) => sagemakerModelName(target, path),
  authorize: authorizeSageMaker,
  mapError: mapSageMakerError,
};
