import { describe, expect, it } from 'vitest';
import { estimateTokens, limitSubjectsFor } from '../../src/limits/subjects.js';
import { planCounters, windowBounds } from '../../src/limits/counters.js';
import { limitsUnavailable } from '../../src/limits/errors.js';

describe('limitSubjectsFor', () => {
  it('collects the gateway key, virtual key and metadata user that carry rules, in that order', () => {
    const subjects = limitSubjectsFor({
      key: { id: 'k_1', hash: 'h', scopes: ['completions'], limits: [{ kind: 'requests', limit: 5, window: 'minute' }] },
      virtualKey: { slug: 'openai-prod', provider: 'openai', settings: {}, limits: [{ kind: 'tokens', limit: 10000, window: 'minute' }] },
      user: 'alice',
      userRules: [{ kind: 'cost', limit: 5, window: 'month' }],
    });
    expect(subjects.map((s) => `${s.scope}:${s.id}`)).toEqual(['key:k_1', 'vk:openai-prod', 'user:alice']);
  });

  it('leaves out subjects without rules, and a user without an id', () => {
    expect(limitSubjectsFor({
      key: { id: 'k_1', hash: 'h', scopes: [] },
      virtualKey: { slug: 'v', provider: 'openai', settings: {}, limits: [] },
      userRules: [{ kind: 'requests', limit: 1, window: 'day' }],
    })).toEqual([]);
  });
});

describe('estimateTokens', () => {
  it('is a quarter of the body bytes plus max_tokens, without parsing raw bodies', () => {
    const body = JSON.stringify({ model: 'gpt-4o', max_tokens: 500, messages: [{ role: 'user', content: 'x'.repeat(400) }] });
    expect(estimateTokens(Buffer.from(body))).toBe(Math.ceil(body.length / 4) + 500);
    expect(estimateTokens(body)).toBe(Math.ceil(body.length / 4) + 500);
  });

  it('understands max_completion_tokens, max_output_tokens and Bedrock maxTokens, with a default otherwise', () => {
    expect(estimateTokens('{"max_completion_tokens": 64}')).toBe(Math.ceil(29 / 4) + 64);
    expect(estimateTokens({ max_output_tokens: 10 })).toBe(Math.ceil(JSON.stringify({ max_output_tokens: 10 }).length / 4) + 10);
    expect(estimateTokens('{"inferenceConfig":{"maxTokens":7}}')).toBe(9 + 7);
    expect(estimateTokens('{}', 100)).toBe(1 + 100);
    expect(estimateTokens(undefined)).toBe(256);
  });
});

describe('limit windows and counters', () => {
  it('aligns windows to the UTC calendar', () => {
    const t = Date.UTC(2027, 1, 14, 13, 45, 12, 500);
    expect(windowBounds('minute', t)).toEqual({ start: Date.UTC(2027, 1, 14, 13, 45), end: Date.UTC(2027, 1, 14, 13, 46) });
    expect(windowBounds('hour', t)).toEqual({ start: Date.UTC(2027, 1, 14, 13), end: Date.UTC(2027, 1, 14, 14) });
    expect(windowBounds('day', t)).toEqual({ start: Date.UTC(2027, 1, 14), end: Date.UTC(2027, 1, 15) });
    expect(windowBounds('month', t)).toEqual({ start: Date.UTC(2027, 1, 1), end: Date.UTC(2027, 2, 1) });
    expect(windowBounds('month', Date.UTC(2027, 11, 31, 23)).end).toBe(Date.UTC(2028, 0, 1));
  });

  it('keys every counter of a subject with one hash tag, braces in ids encoded, duplicates merged to the strictest', () => {
    const t = Date.UTC(2027, 0, 1);
    const counters = planCounters([
      { scope: 'vk', id: 'a{b}c', rules: [{ kind: 'requests', limit: 5, window: 'minute' }, { kind: 'requests', limit: 3, window: 'minute' }, { kind: 'cost', limit: 2.5, window: 'month' }] },
      { scope: 'vk', id: 'a{b}c', rules: [{ kind: 'requests', limit: 4, window: 'minute' }] },
    ], { tokens: 10, costUsd: 0.0000015 }, t);
    expect(counters.map((c) => [c.key, c.amount, c.limit])).toEqual([
      [`portico:limits:{vk:a%7Bb%7Dc}:requests:minute:${t / 1000}`, 1, 3],
      [`portico:limits:{vk:a%7Bb%7Dc}:cost:month:${t / 1000}`, 2, 2_500_000],
    ]);
  });

  it('words the fail-closed 503 so an operator knows what to do, without naming the Redis host', () => {
    const e = limitsUnavailable('Redis is unreachable');
    expect(e.status).toBe(503);
    expect(e.message).toContain('LIMITS_FAIL_MODE=closed');
    expect(e.message).toContain('set LIMITS_FAIL_MODE=open');
  });
});

describe('estimateTokens on raw bodies', () => {
  it('finds the field wherever it is, with any whitespace, and ignores non-numbers', () => {
    expect(estimateTokens(Buffer.from('{"messages":[],\n  "max_tokens" :\t 1200}'))).toBe(Math.ceil(40 / 4) + 1200);
    expect(estimateTokens(Buffer.from('{"max_tokens":null}'), 50)).toBe(5 + 50);
  });
});
