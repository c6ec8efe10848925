import { describe, expect, it } from 'vitest';
import { buildHash, parseHash } from '../../src/app/route.js';
import { windowOf } from '../../src/app/time-range.js';
import { CHARTS, parseMetadataFilter, queryForGroup, seriesOf } from '../../src/screens/overview/charts.js';

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

  it('adds a group\'s own filter to the query', () => {
    const base = { from: 'a', to: 'b', metadata: { env: 'prod' } };
    expect(queryForGroup(base, 'metadata:team', 'search').metadata).toEqual({ env: 'prod', team: 'search' });
    expect(queryForGroup(base, 'model', 'gpt-4o').model).toBe('gpt-4o');
    expect(parseMetadataFilter('team=a, env = prod,bad')).toEqual({ team: 'a', env: 'prod' });
  });
});
