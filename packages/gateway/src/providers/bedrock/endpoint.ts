/**
 * Where a Bedrock request goes: region, endpoint (or target.customHost), the URL-encoded model id, and
 * which API serves chat. Pure apart from reading AWS_REGION / AWS_DEFAULT_REGION, which ECS sets.
 */
import { badRequest } from '../../errors.js';
import type { ProviderTarget } from '../types.js';

export const BEDROCK_PROVIDER_ID = 'bedrock';
/** SigV4 signing name of bedrock-runtime. */
export const BEDROCK_SIGNING_SERVICE = 'bedrock';
export const DEFAULT_AWS_REGION = 'us-east-1';

/** Chat API on Bedrock: the model-agnostic Converse API, or InvokeModel with Anthropic's messages body. */
export type BedrockChatApi = 'converse' | 'invoke';

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function bedrockRegion(target: ProviderTarget): string {
  return awsRegion(BEDROCK_PROVIDER_ID, target);
}

/** The target's AWS region (aws_region, else the environment's, else us-east-1), checked; `provider` names the caller in errors. */
export function awsRegion(provider: string, target: ProviderTarget): string {
  const region = target.settings.aws_region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || DEFAULT_AWS_REGION;
  if (!REGION_RE.test(region)) {
    throw badRequest(`${provider}: "${region}" is not an AWS region name; set x-portkey-aws-region (or aws_region on the target) to one such as us-east-1`, 'aws_region');
  }
  return region;
}

/** https://bedrock-runtime.{region}.amazonaws.com, or target.customHost (a VPC endpoint, a test fake). */
export function bedrockBaseUrl(target: ProviderTarget): string {
  if (target.customHost) return target.customHost.replace(/\/+$/, '');
  return `https://bedrock-runtime.${bedrockRegion(target)}.amazonaws.com`;
}

/**
 * The model id as one URI path label. Inference-profile ids (`us.anthropic...-v2:0`) and ARNs hold `:`
 * and `/`, which must be percent-encoded; SigV4 then encodes the path once more when signing.
 */
export function encodeModelId(modelId: string): string {
  if (!modelId) throw badRequest('bedrock: `model` is empty; set it to a Bedrock model id, inference profile id or ARN', 'model');
  return encodeURIComponent(modelId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function bedrockModelUrl(target: ProviderTarget, modelId: string, action: 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream'): string {
  return `${bedrockBaseUrl(target)}/model/${encodeModelId(modelId)}/${action}`;
}

const FOUNDATION_MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The foundation model behind the request's model id, which decides the request format (Anthropic or
 * not, Titan or Cohere embeddings, image families). An application inference profile's ARN names no
 * model, so Portkey's aws_bedrock_model (x-portkey-aws-bedrock-model, or x-portkey-provider-model) says
 * which; a foundation-model ARN names it in its last segment; any other id is its own answer. The URL
 * keeps the id as sent, percent-encoded (encodeModelId).
 */
export function bedrockFoundationModel(target: ProviderTarget, modelId: string): string {
  const named = target.settings.aws_bedrock_model?.trim() || target.settings.provider_model?.trim();
  if (named) {
    if (!FOUNDATION_MODEL_RE.test(named)) {
      const header = target.settings.aws_bedrock_model ? 'x-portkey-aws-bedrock-model' : 'x-portkey-provider-model';
      throw badRequest(`bedrock: ${header} must be a Bedrock model id such as anthropic.claude-3-5-sonnet-20241022-v2:0`, header, 'invalid_value');
    }
    return named;
  }
  const arn = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:foundation-model\/(.+)$/.exec(modelId);
  return arn ? arn[1]! : modelId;
}

/** For logs and pricing: the foundation model the target names, when it names one. */
export function bedrockNamedModel(target: ProviderTarget): string | undefined {
  return target.settings.aws_bedrock_model?.trim() || target.settings.provider_model?.trim() || undefined;
}

/** True for Anthropic models: base ids, inference profiles (`us.anthropic.`), and ARNs naming one. */
export function isAnthropicModel(modelId: string): boolean {
  return /(^|[./:])anthropic\./.test(modelId);
}

/**
 * Chat goes through Converse unless the target sets `bedrock_api: invoke` (Portkey-style setting from the
 * config target or virtual key). Converse works for every chat model and reports cache tokens; invoke
 * sends Anthropic's own messages body, for features Converse does not model yet.
 */
export function bedrockChatApi(target: ProviderTarget, modelId: string): BedrockChatApi {
  const setting = (target.settings.bedrock_api ?? '').trim().toLowerCase();
  if (setting === '' || setting === 'converse') return 'converse';
  if (setting !== 'invoke') {
    throw badRequest(`bedrock: bedrock_api must be "converse" or "invoke", not "${setting}"`, 'bedrock_api');
  }
  if (!isAnthropicModel(bedrockFoundationModel(target, modelId))) {
    throw badRequest(`bedrock: bedrock_api "invoke" supports Anthropic models only, and "${modelId}" is not one; remove bedrock_api to use the Converse API, or name the model behind an inference profile ARN in x-portkey-aws-bedrock-model`, 'bedrock_api');
  }
  return 'invoke';
}
