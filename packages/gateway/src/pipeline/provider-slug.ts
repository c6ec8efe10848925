import { badRequest } from '../errors.js';
import type { PortkeyHeaders } from './headers.js';

/** Portkey's `@provider-slug/model`: the part before the first slash names a saved provider. */
const SLUG_MODEL = /^@([^/\s]{1,128})\/(.+)$/;

/**
 * `model: "@openai-prod/gpt-4o"` names a saved provider (virtual key or integration provider) and a
 * model: the slug becomes the request's virtual key, the rest its model. Returns the body to send, or
 * undefined when the model names no provider.
 */
export function resolveModelSlug(body: Record<string, unknown>, headers: PortkeyHeaders): Record<string, unknown> | undefined {
  const model = body.model;
  if (typeof model !== 'string' || model.charCodeAt(0) !== 64 /* @ */) return undefined;
  const m = SLUG_MODEL.exec(model);
  if (!m) throw badRequest(`model "${model.slice(0, 80)}" starts with @ but is not "@provider-slug/model", e.g. "@openai-prod/gpt-4o-mini".`, 'model', 'invalid_model');
  const [, slug, name] = m;
  if (headers.virtualKey && headers.virtualKey !== slug) {
    throw badRequest(`model names provider @${slug}, but x-portkey-virtual-key names ${headers.virtualKey}; send one of them.`, 'model', 'conflicting_provider');
  }
  if (headers.provider) {
    throw badRequest(`model names saved provider @${slug}, and x-portkey-provider names ${headers.provider}; send one of them.`, 'model', 'conflicting_provider');
  }
  headers.virtualKey = slug;
  return { ...body, model: name };
}
