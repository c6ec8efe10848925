/** SageMaker runtime error responses → GatewayError. Pure. */
import type { GatewayError } from '../../errors.js';
import { AWS_AUTH_ERROR_STATUS, bedrockErrorType } from '../bedrock/errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';

/** Status per error shape (lower-cased), from the runtime's Smithy model plus AWS's auth errors. */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  validationerror: 400,
  modelerror: 424,
  modelnotreadyexception: 429,
  throttlingexception: 429,
  internalfailure: 500,
  serviceunavailable: 503,
  // 530 in the model: a dependency of SageMaker failed; 502 to clients, which know that status.
  internaldependencyexception: 502,
  ...AWS_AUTH_ERROR_STATUS,
};

const HINTS: Readonly<Record<string, string>> = {
  validationerror: 'check the endpoint name, the region, and the x-portkey-amzn-sagemaker-* headers',
  modelerror: "the model container answered with an error; its own status and message are above, and its log stream in CloudWatch",
  modelnotreadyexception: 'the endpoint is scaling or starting; retry shortly',
  accessdeniedexception: 'grant sagemaker:InvokeEndpoint (and sagemaker:InvokeEndpointWithResponseStream) on this endpoint to the credentials in use',
  invalidsignatureexception: 'check x-portkey-aws-secret-access-key and x-portkey-aws-region',
};

export function mapSageMakerError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const parsed = tryParseJson(body) as Record<string, unknown> | undefined;
  const obj = parsed && typeof parsed === 'object' ? parsed : {};
  const header = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-amzn-errortype')?.[1];
  const type = bedrockErrorType(header ?? (typeof obj.__type === 'string' ? obj.__type : undefined));
  let message = typeof obj.message === 'string' ? obj.message : typeof obj.Message === 'string' ? obj.Message : body.slice(0, 500);
  // ModelError carries what the container itself answered.
  if (typeof obj.OriginalStatusCode === 'number') message += ` (container status ${obj.OriginalStatusCode}${typeof obj.OriginalMessage === 'string' ? `: ${obj.OriginalMessage.slice(0, 500)}` : ''})`;
  const key = type?.toLowerCase();
  const hint = key ? HINTS[key] : undefined;
  const text = `${type ? `${type}: ` : ''}${message}${hint ? ` (${hint})` : ''}`;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return upstreamError('sagemaker', (key && STATUS_BY_TYPE[key]) || status, text, { code: type ?? null, headers: retryAfterHeader(lower) });
}
