import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { checkChosenAddress, checkTrustedAddress, type EgressPolicy } from './policy.js';

/**
 * Connections under the egress policy. Every address a hostname resolves to is checked when the
 * socket connects (not only when the URL is saved), so a name that later resolves somewhere private
 * is refused all the same. IP literals are checked before connecting.
 */
export class EgressRefused extends Error {
  constructor(readonly host: string, readonly reason: string) {
    super(`${host} is not allowed by the control plane's egress policy: ${reason}`);
  }
}

export type AddressCheck = (address: string) => string | undefined;

export function guardedLookup(check: AddressCheck): LookupFunction {
  return ((hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const problem = check(a.address);
        if (problem) return callback(new EgressRefused(hostname, problem), '', 0);
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  }) as LookupFunction;
}

/** Refuses an IP-literal host at once (lookup is not consulted for literals). */
export function checkLiteral(hostname: string, check: AddressCheck): void {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const problem = check(host);
    if (problem) throw new EgressRefused(host, problem);
  }
}

export interface Egress {
  policy: EgressPolicy;
  /** For caller-chosen destinations (MCP server URLs, an operator-set secret-manager endpoint). */
  chosen: AddressCheck;
  /** For hosts the control plane's code names itself (AWS regional endpoints). */
  trusted: AddressCheck;
  /** An undici dispatcher whose connections pass the chosen-destination check. */
  dispatcher: Agent;
  /** One whose connections pass the code-named-host check. */
  trustedDispatcher: Agent;
  close(): Promise<void>;
}

export function createEgress(policy: EgressPolicy): Egress {
  const chosen: AddressCheck = (a) => checkChosenAddress(a, policy);
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(chosen), timeout: 10_000 }, connections: 32, keepAliveTimeout: 10_000 });
  const trustedDispatcher = new Agent({ connect: { lookup: guardedLookup(checkTrustedAddress), timeout: 10_000 }, connections: 8, keepAliveTimeout: 10_000 });
  return { policy, chosen, trusted: checkTrustedAddress, dispatcher, trustedDispatcher, close: async () => { await dispatcher.close(); await trustedDispatcher.close(); } };
}
