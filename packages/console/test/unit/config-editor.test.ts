import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../src/screens/configs/check.js';
import { configText, diffLines } from '../../src/screens/configs/diff.js';

describe('config editor check (the shared schema)', () => {
  it('accepts a fallback config', () => {
    const r = checkConfigText(JSON.stringify({ strategy: { mode: 'fallback' }, targets: [{ provider: '@a' }, { provider: '@b' }] }));
    expect(r.ok).toBe(true);
  });

  it('names the path of a shape error', () => {
    const r = checkConfigText(JSON.stringify({ strategy: { mode: 'loadbalance' }, targets: [{ provider: '@a', weight: 'heavy' }] }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.path).toBe('config.targets[0].weight');
      expect(r.message).toContain('config.targets[0].weight');
    }
  });

  it('names the path of a structure error', () => {
    const r = checkConfigText(JSON.stringify({ targets: [{ provider: '@a' }] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.path).toBe('config.strategy');
  });

  it('says when the text is not JSON', () => {
    const r = checkConfigText('{"strategy": ');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^Not valid JSON/);
  });
});

describe('version diff', () => {
  it('marks added and removed lines and keeps the common ones', () => {
    const before = configText({ strategy: { mode: 'fallback' }, targets: [{ provider: '@a' }] });
    const after = configText({ strategy: { mode: 'loadbalance' }, targets: [{ provider: '@a' }] });
    const d = diffLines(before, after);
    expect(d.filter((l) => l.op === '-').map((l) => l.text.trim())).toEqual(['"mode": "fallback"']);
    expect(d.filter((l) => l.op === '+').map((l) => l.text.trim())).toEqual(['"mode": "loadbalance"']);
    expect(d.filter((l) => l.op === ' ').length).toBe(before.split('\n').length - 1);
  });

  it('pretty-prints a config given as a JSON string', () => {
    expect(configText('{"a":1}')).toBe('{\n  "a": 1\n}');
  });
});
