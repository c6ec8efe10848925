/** Vertex AI target settings: project, region, service account, URLs. Pure. */
import { badRequest } from '../../errors.js';
import type { ProviderTarget } from '../types.js';

export interface ServiceAccountKey {
  type?: string;
  project_id?: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  token_uri: string;
}

export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
export const DEFAULT_VERTEX_REGION = 'us-central1';

/** Parses vertex_service_account_json. Errors never echo the JSON: it holds a private key. */
export function parseServiceAccountJson(json: string): ServiceAccountKey {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw badRequest('vertex_service_account_json is not valid JSON; paste the whole key file downloaded from Google Cloud (IAM → Service accounts → Keys).', 'vertex_service_account_json');
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const missing = ['client_email', 'private_key'].filter((k) => typeof o[k] !== 'string' || !o[k]);
  if (missing.length) {
    throw badRequest(`vertex_service_account_json lacks ${missing.join(' and ')}; it must be a service account key file (type "service_account").`, 'vertex_service_account_json');
  }
  return {
    type: typeof o.type === 'string' ? o.type : undefined,
    project_id: typeof o.project_id === 'string' ? o.project_id : undefined,
    private_key_id: typeof o.private_key_id === 'string' ? o.private_key_id : undefined,
    private_key: o.private_key as string,
    client_email: o.client_email as string,
    token_uri: typeof o.token_uri === 'string' && o.token_uri ? o.token_uri : DEFAULT_TOKEN_URI,
  };
}

export interface VertexLocation { project: string; region: string }

export function vertexLocation(target: ProviderTarget): VertexLocation {
  const region = target.settings.vertex_region || DEFAULT_VERTEX_REGION;
  if (!/^[a-z0-9-]+$/.test(region)) throw badRequest(`vertex_region "${region}" is not a region name such as us-central1, europe-west4 or global.`, 'vertex_region');
  let project = target.settings.vertex_project_id;
  if (!project && target.settings.vertex_service_account_json) project = parseServiceAccountJson(target.settings.vertex_service_account_json).project_id;
  if (!project) {
    throw badRequest('vertex-ai needs a project: set vertex_project_id (x-portkey-vertex-project-id), or use a service account key that names its project_id.', 'vertex_project_id');
  }
  if (!/^[a-z0-9.:-]+$/i.test(project)) throw badRequest(`vertex_project_id "${project}" is not a Google Cloud project id.`, 'vertex_project_id');
  return { project, region };
}

/** https://{region}-aiplatform.googleapis.com/v1, or the global endpoint; customHost replaces it (with /v1). */
export function vertexBaseUrl(target: ProviderTarget, region: string): string {
  if (target.customHost) return target.customHost.replace(/\/+$/, '');
  return region === 'global' ? 'https://aiplatform.googleapis.com/v1' : `https://${region}-aiplatform.googleapis.com/v1`;
}

/** Claude models on Vertex are Anthropic's publisher models (rawPredict, Messages format). */
export function isVertexAnthropicModel(model: string): boolean {
  return /^(publishers\/anthropic\/models\/)?claude-/.test(model);
}

/** Full model resource URL: .../projects/P/locations/R/publishers/{google|anthropic}/models/M:{method}. */
export function vertexModelUrl(target: ProviderTarget, model: string, method: string): string {
  const { project, region } = vertexLocation(target);
  const base = vertexBaseUrl(target, region);
  const bare = model.replace(/^publishers\/[^/]+\/models\//, '').replace(/^models\//, '');
  const publisher = isVertexAnthropicModel(model) ? 'anthropic' : 'google';
  return `${base}/projects/${project}/locations/${region}/publishers/${publisher}/models/${encodeURIComponent(bare).replace(/%40/g, '@')}:${method}`;
}
