import { describe, expect, it } from 'vitest';
import { isPolicyKey, limitRuleWindow, limitWindow, parseValueKey, policyEntityId, policyValueKey, valueKeyOfEntityId } from '../src/index.js';

describe('policy value keys and entity ids', () => {
  it('names an entity by its group_by values, injectively, and reads the values back', () => {
    const keys = ['api_key', 'metadata.team'];
    const vk = policyValueKey(keys, ['k1', 'a,b%c']);
    expect(vk).toBe('api_key:k1,metadata.team:a%2Cb%25c');
    expect(parseValueKey(keys, vk)).toEqual(['k1', 'a,b%c']);
    // Two different entities never share a key, whatever their values hold.
    expect(policyValueKey(['metadata.a', 'metadata.b'], ['x,metadata.b:y', 'z'])).not.toBe(policyValueKey(['metadata.a', 'metadata.b'], ['x', 'y,metadata.b:z']));
    expect(parseValueKey(keys, 'api_key:k1')).toBeUndefined();
    expect(parseValueKey(keys, 'metadata.team:x,api_key:k1')).toBeUndefined();
    expect(parseValueKey(keys, 'api_key:k1,metadata.team:%zz')).toBeUndefined();
  });

  it('makes path-safe entity ids that map back to their value key, and nothing else', () => {
    const vk = 'metadata._user:Zoë/ü?#';
    const id = policyEntityId(vk);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(valueKeyOfEntityId(id)).toBe(vk);
    expect(valueKeyOfEntityId('not an id')).toBeUndefined();
    expect(valueKeyOfEntityId('_w')).toBeUndefined(); // not valid UTF-8
  });

  it('knows the keys a gateway can read from a request', () => {
    for (const k of ['api_key', 'workspace_id', 'organisation_id', 'metadata._user', 'metadata.team.name']) expect(isPolicyKey(k), k).toBe(true);
    for (const k of ['model', 'metadata.', 'metadata."x"', 'metadata.a\\b', `metadata.${'x'.repeat(129)}`]) expect(isPolicyKey(k), k).toBe(false);
  });
});

describe('limit windows', () => {
  it('are UTC calendar windows: weeks from Monday, months from the 1st, total from the epoch', () => {
    const sunday = Date.UTC(2027, 0, 10, 23, 59); // a Sunday
    expect(limitWindow('week', sunday)).toEqual({ start: Date.UTC(2027, 0, 4), end: Date.UTC(2027, 0, 11) });
    expect(limitWindow('week', Date.UTC(2027, 0, 11))).toEqual({ start: Date.UTC(2027, 0, 11), end: Date.UTC(2027, 0, 18) });
    expect(limitWindow('month', sunday)).toEqual({ start: Date.UTC(2027, 0, 1), end: Date.UTC(2027, 1, 1) });
    expect(limitWindow('total', sunday)).toEqual({ start: 0, end: Date.UTC(2200, 0, 1) });
    expect(limitWindow('second', Date.UTC(2027, 0, 10, 0, 0, 5, 999))).toEqual({ start: Date.UTC(2027, 0, 10, 0, 0, 5), end: Date.UTC(2027, 0, 10, 0, 0, 6) });
  });

  it('every N days: periods on the grid through the anchor, before and after it', () => {
    const DAY = 86_400_000;
    const anchor = Date.UTC(2027, 0, 5, 9, 30);
    const rule = { window: 'days' as const, days: 10, anchor };
    expect(limitRuleWindow(rule, anchor)).toEqual({ start: anchor, end: anchor + 10 * DAY });
    expect(limitRuleWindow(rule, anchor + 10 * DAY - 1)).toEqual({ start: anchor, end: anchor + 10 * DAY });
    expect(limitRuleWindow(rule, anchor + 25 * DAY)).toEqual({ start: anchor + 20 * DAY, end: anchor + 30 * DAY });
    // An anchor in the future (the first reset an admin chose) is a boundary too.
    expect(limitRuleWindow(rule, anchor - 1)).toEqual({ start: anchor - 10 * DAY, end: anchor });
    // Other windows ignore the period fields.
    expect(limitRuleWindow({ window: 'month', days: 10, anchor }, anchor)).toEqual(limitWindow('month', anchor));
  });
});
