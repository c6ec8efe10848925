import ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { badRequest } from '../errors.js';

/**
 * The one egress policy, for every outbound connection. A destination the caller chose (custom_host,
 * webhook URLs, operator-allowed token endpoints, local-model defaults) may reach public addresses,
 * loopback when CUSTOM_HOST_ALLOW_LOOPBACK is true, and other private ranges only when
 * CUSTOM_HOST_ALLOWED_CIDRS names them. Cloud metadata (169.254.0.0/16, fd00:ec2::254 and ::23, and IPv6 forms
 * embedding such an IPv4 address) is never reachable, not even through the providers' own hosts.
 */
export interface EgressPolicy {
  allowLoopback: boolean;
  allowedCidrs: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
}

export function createEgressPolicy(allowLoopback: boolean, cidrs: string[]): EgressPolicy {
  const allowedCidrs = cidrs.map((c) => {
    try {
      return ipaddr.parseCIDR(c);
    } catch {
      throw new Error(`CUSTOM_HOST_ALLOWED_CIDRS: "${c}" is not a CIDR such as 10.0.0.0/8`);
    }
  });
  return { allowLoopback, allowedCidrs };
}

/** EC2 instance metadata and EKS Pod Identity's credentials endpoint over IPv6 (inside fd00::/8, which operators may allow). */
const METADATA_V6 = new Set(['fd00:ec2::254', 'fd00:ec2::23'].map((a) => ipaddr.parse(a).toNormalizedString()));

/**
 * The IPv4 address an IPv6 address stands for, when it embeds one: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d, the form `[::a9fe:a9fe]` takes), SIIT (::ffff:0:a.b.c.d), NAT64
 * (64:ff9b::/96, 64:ff9b:1::/48) and 6to4 (2002:AABB:CCDD::). Such an address is judged by its IPv4 address.
 */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = ip.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = ip.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return v4(p[6], p[7]);
  if (range === '6to4') return v4(p[1], p[2]);
  // ::/96 other than :: and ::1 (IPv4-compatible; deprecated, yet stacks still route it as IPv4).
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 && (p[6] !== 0 || p[7] > 1)) return v4(p[6], p[7]);
  return undefined;
}

/** The address as IPv4 when it is one or embeds one, else as IPv6; undefined when it is no address. */
function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return undefined;
  }
  return ip.kind() === 'ipv6' ? embeddedIPv4(ip as ipaddr.IPv6) ?? ip : ip;
}

/** Addresses no destination may have, whoever chose it: cloud metadata, link-local, unspecified. */
function neverReachable(ip: ipaddr.IPv4 | ipaddr.IPv6, address: string): string | undefined {
  if (ip.kind() === 'ipv6' && METADATA_V6.has(ip.toNormalizedString())) return `${address} is a cloud metadata or credentials endpoint`;
  const range = ip.range();
  if (range === 'linkLocal') return `${address} is link-local (169.254.0.0/16 holds the cloud metadata and ECS credentials endpoints)`;
  if (range === 'unspecified') return `${address} is the unspecified address`;
  return undefined;
}

/** Returns why an address may not be reached, or undefined when it may. */
export function checkResolvedAddress(address: string, policy: EgressPolicy): string | undefined {
  const ip = normalise(address);
  if (!ip) return `"${address}" is not an IP address`;
  const never = neverReachable(ip, address);
  if (never) return never;
  const range = ip.range();
  if (range === 'loopback') return policy.allowLoopback ? undefined : `${address} is loopback, and CUSTOM_HOST_ALLOW_LOOPBACK is false`;
  if (range === 'unicast') return undefined;
  for (const cidr of policy.allowedCidrs) {
    if (cidr[0].kind() === ip.kind() && ip.match(cidr as [ipaddr.IPv4, number])) return undefined;
  }
  return `${address} is in a private or reserved range (${range}); add its CIDR to CUSTOM_HOST_ALLOWED_CIDRS to allow it`;
}

/**
 * The check for hosts the gateway's own code names (api.openai.com, bedrock-runtime.{region}.amazonaws.com):
 * private ranges stay reachable (VPC endpoints resolve to them), cloud metadata never is.
 */
export function checkProviderAddress(address: string): string | undefined {
  const ip = normalise(address);
  if (!ip) return `"${address}" is not an IP address`;
  return neverReachable(ip, address);
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

/** An http(s) URL without credentials, or what is wrong with it (a phrase that follows the parameter's name). */
export function parseHttpUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not a valid URL; use a full URL such as http://127.0.0.1:11434/v1`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https (got ${url.protocol.replace(':', '')})`;
  if (url.username || url.password) return 'must not contain credentials; send them as headers instead';
  return url;
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
  if (ipaddr.isValid(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw badRequest(`${param} host "${host}" could not be resolved; check the hostname`, param);
    }
  }
  for (const a of addresses) {
    const problem = checkResolvedAddress(a, policy);
    if (problem) throw badRequest(`${param} is not allowed: ${problem}`, param, 'custom_host_forbidden');
  }
  if (validated.size >= VALIDATED_MAX) validated.clear();
  validated.set(raw, Date.now());
  return raw;
}
