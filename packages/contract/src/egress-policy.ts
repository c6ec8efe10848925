import ipaddr from 'ipaddr.js';

/**
 * The one egress policy, for every outbound connection any part opens (the gateway's custom_host,
 * webhooks and token endpoints; the control plane's secret managers and MCP servers). Pure: it judges
 * addresses; each part resolves names and wires the check into its own dispatchers at connect time, so
 * DNS rebinding cannot slip past it.
 *
 * A destination a caller chose may reach public addresses, loopback only when the operator allows it,
 * and other private ranges only when the operator names their CIDRs. Cloud metadata (169.254.0.0/16,
 * fd00:ec2::254 and ::23, and IPv6 forms embedding such an IPv4 address) is never reachable, not even through
 * hosts a part's own code names (those may be private: VPC endpoints resolve to private addresses).
 */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** The operator settings a part reads the policy from, named in the reasons it gives. */
export interface EgressSettingNames {
  allowLoopback: string;
  allowedCidrs: string;
}

export interface EgressPolicy {
  allowLoopback: boolean;
  allowedCidrs: Array<[IpAddress, number]>;
  settings: EgressSettingNames;
}

export function createEgressPolicy(allowLoopback: boolean, cidrs: string[], settings: EgressSettingNames): EgressPolicy {
  const allowedCidrs = cidrs.map((c) => {
    try {
      return ipaddr.parseCIDR(c);
    } catch {
      throw new Error(`${settings.allowedCidrs}: "${c}" is not a CIDR such as 10.0.0.0/8`);
    }
  });
  return { allowLoopback, allowedCidrs, settings };
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
function normalise(address: string): IpAddress | undefined {
  let ip: IpAddress;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return undefined;
  }
  return ip.kind() === 'ipv6' ? embeddedIPv4(ip as ipaddr.IPv6) ?? ip : ip;
}

/** Addresses no destination may have, whoever chose it: cloud metadata, link-local, unspecified. */
function neverReachable(ip: IpAddress, address: string): string | undefined {
  if (ip.kind() === 'ipv6' && METADATA_V6.has(ip.toNormalizedString())) return `${address} is a cloud metadata or credentials endpoint`;
  const range = ip.range();
  if (range === 'linkLocal') return `${address} is link-local (169.254.0.0/16 holds the cloud metadata and ECS credentials endpoints)`;
  if (range === 'unspecified') return `${address} is the unspecified address`;
  return undefined;
}

/** Why a caller-chosen destination's resolved address may not be reached, or undefined when it may. */
export function checkChosenAddress(address: string, policy: EgressPolicy): string | undefined {
  const ip = normalise(address);
  if (!ip) return `"${address}" is not an IP address`;
  const never = neverReachable(ip, address);
  if (never) return never;
  const range = ip.range();
  if (range === 'loopback') return policy.allowLoopback ? undefined : `${address} is loopback, and ${policy.settings.allowLoopback} is false`;
  if (range === 'unicast') return undefined;
  for (const cidr of policy.allowedCidrs) {
    if (cidr[0].kind() === ip.kind() && ip.match(cidr as [ipaddr.IPv4, number])) return undefined;
  }
  return `${address} is in a private or reserved range (${range}); add its CIDR to ${policy.settings.allowedCidrs} to allow it`;
}

/** The check for hosts a part's own code names: private is fine (VPC endpoints), metadata never. */
export function checkTrustedAddress(address: string): string | undefined {
  const ip = normalise(address);
  if (!ip) return `"${address}" is not an IP address`;
  return neverReachable(ip, address);
}

/** Whether a URL's hostname (brackets already stripped) is an IP literal rather than a name to resolve. */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host);
}

/**
 * An http(s) URL without credentials, or what is wrong with it (a phrase that follows the field's
 * name). `example` is the kind of URL the field takes, offered in the message.
 */
export function parseHttpUrl(raw: string, example: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw.slice(0, 200)}" is not a valid URL; use a full URL such as ${example}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https (got ${url.protocol.replace(':', '')})`;
  if (url.username || url.password) return 'must not contain credentials; send them as headers instead';
  return url;
}
