import { describe, expect, it } from 'vitest';
import { checkChosenAddress, checkTrustedAddress, createEgressPolicy, isIpLiteral, parseHttpUrl } from '../src/egress-policy.js';

/** The shared egress rules, judged on addresses alone: each part's wiring (resolving, dispatchers) is tested in that part. */
describe('egress policy', () => {
  const settings = { allowLoopback: 'X_ALLOW_LOOPBACK', allowedCidrs: 'X_ALLOWED_CIDRS' };
  const strict = createEgressPolicy(false, [], settings);
  const open = createEgressPolicy(true, ['10.0.0.0/8', 'fd12::/16'], settings);

  it('names the part’s own settings in its reasons', () => {
    expect(checkChosenAddress('127.0.0.1', strict)).toBe('127.0.0.1 is loopback, and X_ALLOW_LOOPBACK is false');
    expect(checkChosenAddress('192.168.1.1', open)).toMatch(/private or reserved range \(private\); add its CIDR to X_ALLOWED_CIDRS/);
    expect(() => createEgressPolicy(false, ['10.0.0.0'], settings)).toThrow('X_ALLOWED_CIDRS: "10.0.0.0" is not a CIDR such as 10.0.0.0/8');
  });

  it('judges an IPv6 address that embeds an IPv4 one as that IPv4 address', () => {
    for (const loopback of ['::ffff:127.0.0.1', '::7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::1']) {
      expect(checkChosenAddress(loopback, strict), loopback).toMatch(/loopback/);
      expect(checkChosenAddress(loopback, open), loopback).toBeUndefined();
    }
    expect(checkChosenAddress('::ffff:10.1.2.3', open)).toBeUndefined();
    expect(checkChosenAddress('::ffff:8.8.8.8', strict)).toBeUndefined();
    // :: and ::1 are themselves, not IPv4-compatible forms.
    expect(checkChosenAddress('::', open)).toMatch(/unspecified/);
    expect(checkChosenAddress('::1', strict)).toMatch(/loopback/);
  });

  it('never lets metadata through, and lets code-named hosts be private', () => {
    for (const metadata of ['169.254.169.254', 'fd00:ec2::254', 'fd00:ec2::23', '::ffff:169.254.169.254', 'fe80::1', '0.0.0.0']) {
      expect(checkChosenAddress(metadata, createEgressPolicy(true, ['0.0.0.0/0', '::/0'], settings)), metadata).toBeDefined();
      expect(checkTrustedAddress(metadata), metadata).toBeDefined();
    }
    expect(checkTrustedAddress('10.0.0.5')).toBeUndefined();
    expect(checkChosenAddress('fd00:ec2::24', createEgressPolicy(false, ['fd00::/8'], settings))).toBeUndefined();
    expect(checkTrustedAddress('not-an-ip')).toBe('"not-an-ip" is not an IP address');
  });

  it('tells IP literals from names, and parses http(s) URLs only', () => {
    expect(isIpLiteral('::1')).toBe(true);
    expect(isIpLiteral('10.0.0.1')).toBe(true);
    expect(isIpLiteral('example.com')).toBe(false);
    expect(parseHttpUrl('nope', 'https://x.example.com/v1')).toBe('"nope" is not a valid URL; use a full URL such as https://x.example.com/v1');
    expect(String(parseHttpUrl('x'.repeat(500), 'https://a.example')).length).toBeLessThan(300);
    expect(parseHttpUrl('file:///etc/passwd', 'https://a.example')).toBe('must use http or https (got file)');
    expect(parseHttpUrl('https://u:p@a.example', 'https://a.example')).toMatch(/credentials/);
    expect(parseHttpUrl('https://a.example/v1', 'https://a.example')).toBeInstanceOf(URL);
  });
});
