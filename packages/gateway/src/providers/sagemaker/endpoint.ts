/**
 * Where a SageMaker request goes and what it carries: runtime.sagemaker.{region}.amazonaws.com (or the
 * target's custom_host), the endpoint name from the gateway path, and Portkey's
 * x-portkey-amzn-sagemaker-* settings as SageMaker's X-Amzn-SageMaker-* request headers. Pure apart
 * from reading AWS_REGION / AWS_DEFAULT_REGION, as Bedrock does.
 */
import { badRequest } from '../../errors.js';
import type { ProviderTarget } from '../types.js';
import { awsRegion } from '../bedrock/endpoint.js';

export const SAGEMAKER_PROVIDER_ID = 'sagemaker';
/** SigV4 signing name of the SageMaker runtime (runtime.sagemaker). */
export const SAGEMAKER_SIGNING_SERVICE = 'sagemaker';

export type SageMakerOperation = 'InvokeEndpoint' | 'InvokeEndpointWithResponseStream' | 'InvokeEndpointAsync';

/** The gateway path's action → SageMaker operation (restJson1 request URIs of the runtime's Smithy model). */
const ACTIONS: Record<string, SageMakerOperation> = {
  invocations: 'InvokeEndpoint',
  'invocations-response-stream': 'InvokeEndpointWithResponseStream',
  'async-invocations': 'InvokeEndpointAsync',
};

/** EndpointName: at most 63 letters, digits and single hyphens, as SageMaker's API reference constrains it. */
const ENDPOINT_NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const PATH_RE = /^\/v1\/endpoints\/([^/?#]+)\/([a-z-]+)$/;

export interface SageMakerRoute {
  endpointName: string;
  operation: SageMakerOperation;
  /** The path after the host, endpoint name as sent (it holds no characters that need escaping). */
  path: string;
}

/** Parses /v1/endpoints/{EndpointName}/invocations[-response-stream]; anything else is a 400 saying what is served. */
export function toSageMakerRoute(gatewayPath: string): SageMakerRoute {
  const [pathname, query] = splitQuery(gatewayPath);
  const m = PATH_RE.exec(pathname);
  const operation = m ? ACTIONS[m[2]!] : undefined;
  if (!m || !operation) {
    throw badRequest(
      `sagemaker serves POST /v1/endpoints/{endpoint_name}/invocations, /invocations-response-stream and /async-invocations; ${pathname} is none of them`,
      'path', 'unsupported_operation',
    );
  }
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    name = m[1]!;
  }
  if (!ENDPOINT_NAME_RE.test(name)) {
    throw badRequest(`sagemaker: "${name.slice(0, 80)}" is not a SageMaker endpoint name (up to 63 letters, digits and hyphens)`, 'path', 'invalid_value');
  }
  if (query && operation !== 'InvokeEndpointAsync') {
    throw badRequest(`sagemaker: ${operation} takes no query parameters; send its options as x-portkey-amzn-sagemaker-* headers`, 'path', 'invalid_value');
  }
  return { endpointName: name, operation, path: `/endpoints/${name}/${m[2]}${query ? `?${query}` : ''}` };
}

function splitQuery(path: string): [string, string] {
  const q = path.indexOf('?');
  return q === -1 ? [path, ''] : [path.slice(0, q), path.slice(q + 1)];
}

export function sagemakerRegion(target: ProviderTarget): string {
  return awsRegion(SAGEMAKER_PROVIDER_ID, target);
}

/** https://runtime.sagemaker.{region}.amazonaws.com, or target.customHost (a VPC endpoint, a test fake). */
export function sagemakerBaseUrl(target: ProviderTarget): string {
  if (target.customHost) return target.customHost.replace(/\/+$/, '');
  return `https://runtime.sagemaker.${sagemakerRegion(target)}.amazonaws.com`;
}

/**
 * Portkey's sagemaker settings (from x-portkey-amzn-sagemaker-* headers, a config target or a virtual
 * key) and the SageMaker request header each becomes, with the longest value SageMaker accepts and the
 * operations that take it (InvokeEndpointWithResponseStream has no TargetModel or EnableExplanations).
 * amzn_sagemaker_model_name is Portkey's ninth: it names the model for logs and pricing, and is not sent.
 */
interface HeaderRule { header: string; max: number; ops: SageMakerOperation[] }
const ALL: SageMakerOperation[] = ['InvokeEndpoint', 'InvokeEndpointWithResponseStream', 'InvokeEndpointAsync'];
export const SAGEMAKER_HEADERS: Readonly<Record<string, HeaderRule>> = {
  amzn_sagemaker_custom_attributes: { header: 'x-amzn-sagemaker-custom-attributes', max: 1024, ops: ALL },
  amzn_sagemaker_target_model: { header: 'x-amzn-sagemaker-target-model', max: 1024, ops: ['InvokeEndpoint'] },
  amzn_sagemaker_target_variant: { header: 'x-amzn-sagemaker-target-variant', max: 63, ops: ['InvokeEndpoint', 'InvokeEndpointWithResponseStream'] },
  amzn_sagemaker_target_container_hostname: { header: 'x-amzn-sagemaker-target-container-hostname', max: 63, ops: ['InvokeEndpoint', 'InvokeEndpointWithResponseStream'] },
  amzn_sagemaker_inference_id: { header: 'x-amzn-sagemaker-inference-id', max: 64, ops: ALL },
  amzn_sagemaker_enable_explanations: { header: 'x-amzn-sagemaker-enable-explanations', max: 64, ops: ['InvokeEndpoint'] },
  amzn_sagemaker_inference_component: { header: 'x-amzn-sagemaker-inference-component', max: 63, ops: ['InvokeEndpoint', 'InvokeEndpointWithResponseStream'] },
  amzn_sagemaker_session_id: { header: 'x-amzn-sagemaker-session-id', max: 256, ops: ['InvokeEndpoint', 'InvokeEndpointWithResponseStream'] },
};
export const SAGEMAKER_MODEL_NAME_SETTING = 'amzn_sagemaker_model_name';

/** Visible US-ASCII and spaces: what SageMaker accepts in these headers, and nothing that could split one. */
const VISIBLE_ASCII = /^[\x20-\x7e]*$/;
const headerOf = (setting: string) => `x-portkey-${setting.replace(/_/g, '-')}`;

/** The X-Amzn-SageMaker-* headers the target's settings ask for, checked against what the operation takes. */
export function toSageMakerHeaders(target: ProviderTarget, operation: SageMakerOperation): Record<string, string> {
  const out: Record<string, string> = {};
  const s = target.settings;
  for (const setting in s) {
    if (!setting.startsWith('amzn_sagemaker_') || setting === SAGEMAKER_MODEL_NAME_SETTING) continue;
    const value = s[setting];
    if (value === undefined || value === '') continue;
    const rule = SAGEMAKER_HEADERS[setting];
    if (!rule) {
      throw badRequest(`sagemaker: ${headerOf(setting)} is not one of Portkey's SageMaker headers (${[...Object.keys(SAGEMAKER_HEADERS), SAGEMAKER_MODEL_NAME_SETTING].map(headerOf).join(', ')})`, headerOf(setting), 'unsupported_parameter');
    }
    if (!rule.ops.includes(operation)) {
      throw badRequest(`sagemaker: ${headerOf(setting)} does not apply to ${operation}; remove it or call ${rule.ops.join(' / ')}`, headerOf(setting), 'unsupported_parameter');
    }
    if (value.length > rule.max || !VISIBLE_ASCII.test(value)) {
      throw badRequest(`sagemaker: ${headerOf(setting)} must be at most ${rule.max} visible ASCII characters`, headerOf(setting), 'invalid_value');
    }
    out[rule.header] = value;
  }
  return out;
}

/** The model for logs and pricing: amzn_sagemaker_model_name, else the target model, else the endpoint (as Portkey names it). */
export function sagemakerModelName(target: ProviderTarget, gatewayPath: string): string | undefined {
  const s = target.settings;
  if (s[SAGEMAKER_MODEL_NAME_SETTING]) return s[SAGEMAKER_MODEL_NAME_SETTING];
  if (s.amzn_sagemaker_target_model) return s.amzn_sagemaker_target_model;
  return /^\/v1\/endpoints\/([^/?#]+)\//.exec(gatewayPath)?.[1];
}
