import { validateRoutingConfig } from '@portico/contract';

export type ConfigCheck = { ok: true; value: unknown } | { ok: false; message: string; path?: string };

/**
 * Checks editor text with the gateway's own schema (the shared contract), so the editor refuses what the
 * gateway would. The message names the path, e.g. "config.targets[0].weight: ...".
 */
export function checkConfigText(text: string): ConfigCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${(e as Error).message}` };
  }
  try {
    validateRoutingConfig(value, 'config');
    return { ok: true, value };
  } catch (e) {
    // "config: config.targets[0].weight: Too small" → path "config.targets[0].weight"
    const message = (e as Error).message.replace(/^config: /, '');
    const path = /^(config(?:[.[][^:]*)?)\s*:/.exec(message)?.[1];
    return { ok: false, message, path };
  }
}
