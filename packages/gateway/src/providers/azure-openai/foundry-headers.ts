/**
 * Azure AI Foundry's request headers from Portkey's settings. Pure.
 * - `extra-parameters` (x-portkey-azure-extra-params): what the model inference API does with body
 *   fields it does not define: pass-through, drop (Portkey's default, sent when unset) or error.
 * - `azureml-model-deployment` (x-portkey-azure-deployment-name): the deployment of an endpoint that
 *   serves several.
 */
import { badRequest } from '../../errors.js';
import type { ProviderTarget } from '../types.js';

const EXTRA_PARAMETERS = ['pass-through', 'drop', 'error'];
const DEPLOYMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function toAzureAIHeaders(target: ProviderTarget): Record<string, string> {
  const extra = target.settings.azure_extra_params?.trim() || 'drop';
  if (!EXTRA_PARAMETERS.includes(extra)) {
    throw badRequest(`azure-ai: x-portkey-azure-extra-params must be one of ${EXTRA_PARAMETERS.join(', ')}, not "${extra.slice(0, 40)}"`, 'x-portkey-azure-extra-params', 'invalid_value');
  }
  const headers: Record<string, string> = { 'extra-parameters': extra };
  const deployment = target.settings.azure_deployment_name?.trim();
  if (deployment) {
    if (!DEPLOYMENT_RE.test(deployment)) throw badRequest('azure-ai: x-portkey-azure-deployment-name must be a deployment name (letters, digits, ".", "_", "-")', 'x-portkey-azure-deployment-name', 'invalid_value');
    headers['azureml-model-deployment'] = deployment;
  }
  return headers;
}

/**
 * azure-openai's x-portkey-azure-model-name: the model behind the deployment, for logs and pricing.
 * Read after the call, so it never fails one: a longer value is cut to 256 characters.
 */
export function azureModelName(target: ProviderTarget): string | undefined {
  return target.settings.azure_model_name?.trim().slice(0, 256) || undefined;
}
