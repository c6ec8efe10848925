import ipaddr from 'ipaddr.js';

/**
 * The control plane's egress policy, for every connection it opens on someone's behalf (secret
 * managers, MCP servers). The same rules as the gateway's custom_host policy: a destination a caller
 * chose may reach public addresses; loopback only with EGRESS_ALLOW_LOOPBACK; other private ranges
 * only when EGRESS_ALLOWED_CIDRS names them; cloud metadata (169.254.0.0/16, fd00:ec2::254, and IPv6
 * forms embedding such an address) never. Hosts the control plane's own code names (AWS's regional
 * endpoints) may be private (VPC endpoints) but never metadata. The check runs on every resolved
 * address at connect time (see connect.ts), so DNS rebinding cannot slip past it.
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
      throw new Error(`EGRESS_ALLOWED_CIDRS: "${c}" is not a CIDR such as 10.0.0.0/8`);
    }
  });
  return { allowLoopback, allowedCidrs };
}

const METADATA_V6 = ipaddr.parse('fd00:ec2::254').toNormalizedString();

/** The IPv4 address an IPv6 address embeds (mapped, compatible, SIIT, NAT64, 6to4), judged as that address. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = ip.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = ip.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return v4(p[6], p[7]);
  if (range === '6to4') return v4(p[1], p[2]);
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 && (p[6] !== 0 || p[7] > 1)) return v4(p[6], p[7]);
  return undefined;
}

function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    const ip = ipaddr.parse(address);
    return ip.kind() === 'ipv6' ? embeddedIPv4(ip as ipaddr.IPv6) ?? ip : ip;
  } catch {
    return undefined;
  }
}

function neverReachable(ip: ipaddr.IPv4 | ipaddr.IPv6, address: string): string | undefined {
  if (ip.kind() === 'ipv6' && ip.toNormalizedString() === METADATA_V6) return 'fd00:ec2::254 is the cloud metadata service';
  const range = ip.range();
  if (range === 'linkLocal') return `${address} is link-local (169.254.0.0/16 holds the cloud metadata and ECS credentials endpoints)`;
  if (range === 'unspecified') return `${address} is the unspecified address`;
  return undefined;
}

/** Why a caller-chosen destination's address may not be reached, or undefined when it may. */
export function checkChosenAddress(address: string, policy: EgressPolicy): string | undefined {
  const ip = normalise(address);
  if (!ip) return `"${address}" is not an IP address`;
  const never = neverReachable(ip, address);
  if (never) return never;
  const range = ip.range();
  if (range === 'loopback') return policy.allowLoopback ? undefined : `${address} is loopback, and EGRESS_ALLOW_LOOPBACK is false`;
  if (range === 'unicast') return undefined;
  for (const cidr of policy.allowedCidrs) {
    if (cidr[0].kind() === ip.kind() && ip.match(cidr as [ipaddr.IPv4, number])) return undefined;
  }
  return `${address} is in a private or reserved range (${range}); add its CIDR to EGRESS_ALLOWED_CIDRS to allow it`;
}

/** The check for hosts the control plane's own code names: private is fine (VPC endpoints), metadata never. */
export function checkTrustedAddress(address: string): string | undefined {
  const ip = normalise(address);
  if (!ip) return `"${address}" is not an IP address`;
  return neverReachable(ip, address);
}

/** An http(s) URL without credentials, or what is wrong with it (a phrase that follows the field's name). */
export function parseHttpUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw.slice(0, 200)}" is not a valid URL; use a full URL such as https://mcp.example.com/mcp`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https (got ${url.protocol.replace(':', '')})`;
  if (url.username || url.password) return 'must not contain credentials; send them as headers instead';
  return url;
}
