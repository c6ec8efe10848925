import { describe, expect, it } from 'vitest';
import { checkLiteral, EgressRefused, guardedLookup } from '../src/egress/connect.js';
import { checkChosenAddress, checkTrustedAddress, createEgressPolicy, parseHttpUrl } from '../src/egress/policy.js';

/** The control plane's egress rules: what a caller-chosen destination and a code-named host may reach. */
describe('egress policy', () => {
  const strict = createEgressPolicy(false, []);
  const open = createEgressPolicy(true, ['10.0.0.0/8', 'fd12::/16']);

  it('public addresses pass; loopback and private ranges need the operator; metadata never passes', () => {
    expect(checkChosenAddress('93.184.216.34', strict)).toBeUndefined();
    expect(checkChosenAddress('127.0.0.1', strict)).toMatch(/loopback.*EGRESS_ALLOW_LOOPBACK/);
    expect(checkChosenAddress('::1', strict)).toMatch(/loopback/);
    expect(checkChosenAddress('127.0.0.1', open)).toBeUndefined();
    expect(checkChosenAddress('10.1.2.3', strict)).toMatch(/EGRESS_ALLOWED_CIDRS/);
    expect(checkChosenAddress('10.1.2.3', open)).toBeUndefined();
    expect(checkChosenAddress('192.168.1.1', open)).toMatch(/private/);
    expect(checkChosenAddress('fd12::1', open)).toBeUndefined();
    for (const metadata of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '::a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '0.0.0.0']) {
      expect(checkChosenAddress(metadata, open), metadata).toBeDefined();
      expect(checkTrustedAddress(metadata), metadata).toBeDefined();
    }
    // A code-named host (a VPC endpoint) may be private.
    expect(checkTrustedAddress('10.0.0.5')).toBeUndefined();
  });

  it('IP literals are refused before connecting; names are checked on every resolved address', async () => {
    expect(() => checkLiteral('[::1]', (a) => checkChosenAddress(a, strict))).toThrow(EgressRefused);
    expect(() => checkLiteral('169.254.169.254', (a) => checkChosenAddress(a, open))).toThrow(/link-local/);
    const lookup = guardedLookup((a) => checkChosenAddress(a, strict));
    const err = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(EgressRefused);
    expect(err?.message).toMatch(/localhost is not allowed.*loopback/);
  });

  it('URLs: http(s) only, no credentials', () => {
    expect(parseHttpUrl('ftp://x.example.com')).toMatch(/http or https/);
    expect(parseHttpUrl('https://u:p@x.example.com')).toMatch(/credentials/);
    expect(parseHttpUrl('not a url')).toMatch(/not a valid URL/);
    expect(parseHttpUrl('https://mcp.example.com/mcp')).toBeInstanceOf(URL);
  });

  it('refuses a malformed CIDR, naming the setting', () => {
    expect(() => createEgressPolicy(false, ['10.0.0.0'])).toThrow(/EGRESS_ALLOWED_CIDRS/);
  });
});
