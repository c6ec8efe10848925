import { describe, expect, it } from 'vitest';
import { buildHash, parseHash } from '../../src/app/route.js';
import { windowOf } from '../../src/app/time-range.js';
import { CHARTS, groupLines, modelFilter, parseMetadataFilter, seriesOf } from '../../src/screens/overview/charts.js';

describe('routes keep the screen and its filters in the URL', () => {
  it('round-trips segments and parameters', () => {
    const h = buildHash(['logs', 'a/b'], { ws: 'team one', status: '500', model: '' });
    expect(h).toBe('#/logs/a%2Fb?ws=team+one&status=500');
    const r = parseHash(h);
    expect(r.segments).toEqual(['logs', 'a/b']);
    expect(r.params.get('ws')).toBe('team one');
    expect(r.params.has('model')).toBe(false);
  });

  it('fixes a window to whole minutes', () => {
    const w = windowOf('1h', Date.parse('2026-12-07T10:00:30Z'));
    expect(w).toEqual({ from: '2026-12-07T09:01:00.000Z', to: '2026-12-07T10:01:00.000Z' });
  });
});

describe('dashboard charts', () => {
  it('turns a latency graph into one line per percentile, p90 standing in for a missing p95', () => {
    const spec = CHARTS.find((c) => c.id === 'latency')!;
    const s = seriesOf(spec, { summary: {}, data_points: [{ timestamp: 't1', p50: 1, p90: 2, p99: 3 }] });
    expect(s.map((x) => x.name)).toEqual(['p50', 'p90', 'p99']);
    expect(s[1].points).toEqual([['t1', 2]]);
  });

  it('counts rescued retries from Portkey\'s nested retry form', () => {
    const spec = CHARTS.find((c) => c.id === 'rescued')!;
    const s = seriesOf(spec, { summary: {}, data_points: [{ timestamp: 't', retry: [{ retry_success_count: 2, count: 1 }, { retry_success_count: 1, count: 2 }], fallback: 4 }] });
    expect(s.map((x) => [x.name, x.points[0][1]])).toEqual([['retry', 3], ['fallback', 4]]);
  });

  const dims = {
    models: [
      { provider: 'openai', model: 'gpt-4o', requests: 9 },
      { provider: 'anthropic', model: 'claude-sonnet-4', requests: 7 },
      { provider: 'openai', model: 'gpt-4o-mini', requests: 5 },
    ],
    keys: [{ key_id: 'k1', requests: 3 }],
  };
  const base = { from: 'a', to: 'b', metadata: { env: 'prod' } };

  it('groups by model and by provider as provider__model pairs', () => {
    expect(groupLines('model', base, dims).map((l) => [l.name, l.query.models])).toEqual([
      ['gpt-4o (openai)', ['openai__gpt-4o']], ['claude-sonnet-4 (anthropic)', ['anthropic__claude-sonnet-4']], ['gpt-4o-mini (openai)', ['openai__gpt-4o-mini']],
    ]);
    expect(groupLines('provider', base, dims).map((l) => [l.name, l.query.models])).toEqual([
      ['openai', ['openai__gpt-4o', 'openai__gpt-4o-mini']], ['anthropic', ['anthropic__claude-sonnet-4']],
    ]);
  });

  it('adds a group\'s own filter to the query', () => {
    expect(groupLines('metadata:team', base, dims, ['search'])[0].query.metadata).toEqual({ env: 'prod', team: 'search' });
    expect(groupLines('key', base, dims)[0].query.keys).toEqual(['k1']);
    expect(groupLines('workspace', { ...base, workspace: 'default' }, dims, ['ws-1'])[0].query).toMatchObject({ workspace: undefined, workspaceId: 'ws-1' });
    expect(parseMetadataFilter('team=a, env = prod,bad')).toEqual({ team: 'a', env: 'prod' });
  });

  it('turns model and provider filters into the pairs they match, none matching being an empty list', () => {
    expect(modelFilter(dims)).toBeUndefined();
    expect(modelFilter(dims, undefined, 'openai')).toEqual(['openai__gpt-4o', 'openai__gpt-4o-mini']);
    expect(modelFilter(dims, 'gpt-4o')).toEqual(['openai__gpt-4o']);
    expect(modelFilter(dims, 'nope')).toEqual([]);
  });
});
