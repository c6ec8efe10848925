import { Agent, type Dispatcher } from 'undici';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { checkChosenAddress, checkTrustedAddress, type EgressPolicy } from './egress-policy.js';

/**
 * Pooled keep-alive connections to upstreams. One Agent for the providers' own hosts, and one for
 * user-supplied custom hosts. Both re-check every resolved address at connect time against the egress
 * policy (the providers' hosts only against cloud metadata), so a hostname cannot be rebound to cloud
 * metadata after it passed validation. IP literals skip the lookup: validateCustomHost checked them.
 */
export interface UpstreamClients {
  trusted: Dispatcher;
  custom: Dispatcher;
  close(): Promise<void>;
}

export function createUpstreamClients(opts: { connections: number; policy: EgressPolicy }): UpstreamClients {
  const common = {
    connections: opts.connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    pipelining: 1,
  };
  const guardedLookup = (check: (address: string) => string | undefined): LookupFunction => (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: Error | null, a: LookupAddress[] | string, f?: number) => void)(err, [] as LookupAddress[]);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const problem = check(a.address);
        if (problem) return (callback as (e: Error | null, a: string, f?: number) => void)(new Error(`${hostname} resolves to a forbidden address: ${problem}`), '', 4);
      }
      if ((options as { all?: boolean }).all) (callback as (e: null, a: LookupAddress[]) => void)(null, list);
      else (callback as (e: null, a: string, f: number) => void)(null, list[0].address, list[0].family);
    });
  };
  const trusted = new Agent({ ...common, connect: { lookup: guardedLookup(checkTrustedAddress) } });
  const custom = new Agent({ ...common, connect: { lookup: guardedLookup((a) => checkChosenAddress(a, opts.policy)) } });
  return {
    trusted,
    custom,
    async close() {
      await Promise.allSettled([trusted.close(), custom.close()]);
    },
  };
}
