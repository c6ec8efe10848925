import { describe, expect, it } from 'vitest';
import { SignInLimiter } from '../../src/console/rate-limit.js';
import { matcher, type LogRow } from '../../src/console/log-rows.js';
import { csrfMatches } from '../../src/console/sessions.js';
import { PasswordStore } from '../../src/console/passwords.js';

describe('console sign-in limiter', () => {
  it('blocks a client after N failures within the window, then lets it in again', () => {
    const l = new SignInLimiter(3, 60_000);
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('a', t)).toBe(0);
      l.fail('a', t);
    }
    expect(l.retryAfter('a', t + 1000)).toBe(59_000);
    expect(l.retryAfter('b', t + 1000)).toBe(0);
    expect(l.retryAfter('a', t + 60_001)).toBe(0);
  });

  it('stays bounded however many addresses fail', () => {
    const l = new SignInLimiter(2, 60_000, 1_000_000, 100);
    for (let i = 0; i < 1000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`);
    expect((l as unknown as { failures: Map<string, number[]> }).failures.size).toBe(100);
  });

  it('has a global cap that holds when addresses rotate', () => {
    const l = new SignInLimiter(5, 60_000, 10);
    for (let i = 0; i < 10; i++) l.fail(`client-${i}`, 0);
    expect(l.retryAfter('fresh', 1)).toBeGreaterThan(0);
  });
});

describe('console log filters', () => {
  const row: LogRow = { id: '1', trace_id: 't', created_at: '', status: 429, model: 'gpt-4o', provider: 'openai', key_id: 'k', latency_ms: 1, retries: 0, metadata: { team: 'a', env: 'prod' } };
  it('matches status classes, lists and metadata pairs', () => {
    expect(matcher({ status: '4xx' })(row)).toBe(true);
    expect(matcher({ status: '200, 429' })(row)).toBe(true);
    expect(matcher({ status: '5xx' })(row)).toBe(false);
    expect(matcher({ metadata: 'team=a,env=prod' })(row)).toBe(true);
    expect(matcher({ metadata: 'team=b' })(row)).toBe(false);
    expect(matcher({ model: 'gpt-4o', provider: 'openai', key: 'k', trace_id: 't' })(row)).toBe(true);
    expect(matcher({ key: 'other' })(row)).toBe(false);
  });
});

describe('console CSRF and passwords', () => {
  it('compares CSRF tokens exactly', () => {
    expect(csrfMatches('abc', 'abc')).toBe(true);
    expect(csrfMatches('abc', 'abd')).toBe(false);
    expect(csrfMatches('abc', undefined)).toBe(false);
    expect(csrfMatches('abc', ['abc'])).toBe(false);
  });

  it('refuses short passwords and API keys as passwords', () => {
    expect(PasswordStore.weakness('short')).toMatch(/12 characters/);
    expect(PasswordStore.weakness('pt-abcdefghijklmnop')).toMatch(/API key/);
    expect(PasswordStore.weakness('a long enough passphrase')).toBeUndefined();
  });
});
