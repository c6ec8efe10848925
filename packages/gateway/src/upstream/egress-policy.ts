import { lookup } from 'node:dns/promises';
import {
  checkChosenAddress,
  createEgressPolicy as createPolicy,
  isIpLiteral,
  parseHttpUrl as parseUrl,
  type EgressPolicy,
} from '@portico/contract/egress-policy';
import { badRequest } from '../errors.js';

/**
 * The gateway's egress policy, for every outbound connection: the shared rules (contract's
 * egress-policy), read from CUSTOM_HOST_ALLOW_LOOPBACK and CUSTOM_HOST_ALLOWED_CIDRS. A destination the
 * caller chose (custom_host, webhook URLs, operator-allowed token endpoints, local-model defaults) is
 * checked with checkChosenAddress; the providers' own hosts with checkTrustedAddress (metadata never).
 */
export { checkChosenAddress, checkTrustedAddress, type EgressPolicy } from '@portico/contract/egress-policy';

export function createEgressPolicy(allowLoopback: boolean, cidrs: string[]): EgressPolicy {
  return createPolicy(allowLoopback, cidrs, { allowLoopback: 'CUSTOM_HOST_ALLOW_LOOPBACK', allowedCidrs: 'CUSTOM_HOST_ALLOWED_CIDRS' });
}

/** An http(s) URL without credentials, or what is wrong with it (a phrase that follows the parameter's name). */
export function parseHttpUrl(raw: string): URL | string {
  return parseUrl(raw, 'http://127.0.0.1:11434/v1');
}

/** Hosts that passed, per policy, so a URL allowed under one policy is never taken as allowed under another. */
const validatedByPolicy = new WeakMap<EgressPolicy, Map<string, number>>();
const VALIDATED_TTL_MS = 60_000;
const VALIDATED_MAX = 1000;

/** Whether `raw` passed validateCustomHost under this policy recently: no need to check it again. */
export function customHostPassed(raw: string, policy: EgressPolicy): boolean {
  const at = validatedByPolicy.get(policy)?.get(raw);
  return at !== undefined && Date.now() - at < VALIDATED_TTL_MS;
}

/**
 * Validates a custom_host before use: http(s) only, and every address its hostname resolves to must
 * pass the policy. The connect-time lookup repeats the address check, so DNS rebinding cannot bypass it.
 */
export async function validateCustomHost(raw: string, policy: EgressPolicy, param = 'custom_host'): Promise<string> {
  if (customHostPassed(raw, policy)) return raw;
  let validated = validatedByPolicy.get(policy);
  if (!validated) validatedByPolicy.set(policy, (validated = new Map()));
  const url = parseHttpUrl(raw);
  if (typeof url === 'string') throw badRequest(`${param} ${url}`, param);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIpLiteral(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw badRequest(`${param} host "${host}" could not be resolved; check the hostname`, param);
    }
  }
  for (const a of addresses) {
    const problem = checkChosenAddress(a, policy);
    if (problem) throw badRequest(`${param} is not allowed: ${problem}`, param, 'custom_host_forbidden');
  }
  if (validated.size >= VALIDATED_MAX) validated.clear();
  validated.set(raw, Date.now());
  return raw;
}
