import { createEgressPolicy as createPolicy, parseHttpUrl as parseUrl, type EgressPolicy } from '@portico/contract/egress-policy';

/**
 * The control plane's egress policy, for every connection it opens on someone's behalf (secret
 * managers, MCP servers): the shared rules (contract's egress-policy), read from EGRESS_ALLOW_LOOPBACK
 * and EGRESS_ALLOWED_CIDRS. The check runs on every resolved address at connect time (see connect.ts).
 */
export { checkChosenAddress, checkTrustedAddress, type EgressPolicy } from '@portico/contract/egress-policy';

export function createEgressPolicy(allowLoopback: boolean, cidrs: string[]): EgressPolicy {
  return createPolicy(allowLoopback, cidrs, { allowLoopback: 'EGRESS_ALLOW_LOOPBACK', allowedCidrs: 'EGRESS_ALLOWED_CIDRS' });
}

/** An http(s) URL without credentials, or what is wrong with it (a phrase that follows the field's name). */
export function parseHttpUrl(raw: string): URL | string {
  return parseUrl(raw, 'https://mcp.example.com/mcp');
}
