import { describe, expect, it } from 'vitest';
import { parseBatchLine } from '../src/openai-batch.js';

const URLS = ['/v1/chat/completions', '/v1/embeddings'];
const line = (o: Record<string, unknown>) => JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'm' }, ...o });
const problem = (text: string) => {
  const r = parseBatchLine(text, URLS);
  return 'problem' in r ? r.problem : undefined;
};

describe('batch input lines', () => {
  it('returns a well-formed line as it is', () => {
    expect(parseBatchLine(line({}), URLS)).toEqual({ line: { custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'm' } } });
  });

  it('says what is wrong with a bad line, naming the field', () => {
    expect(problem('{"custom_id":')).toMatch(/^not valid JSON \(/);
    expect(problem('[1]')).toMatch(/must be a JSON object/);
    expect(problem(line({ extra: 1 }))).toBe('unknown field "extra"; a line holds custom_id, method, url and body only');
    expect(problem(line({ custom_id: '' }))).toMatch(/custom_id must be a non-empty string of at most 512/);
    expect(problem(line({ custom_id: 'x'.repeat(513) }))).toMatch(/custom_id/);
    expect(problem(line({ custom_id: 7 }))).toMatch(/custom_id/);
    expect(problem(line({ method: 'GET' }))).toBe('method must be "POST"');
    expect(problem(line({ url: '/v1/responses' }))).toBe('url must be one of /v1/chat/completions, /v1/embeddings (got "/v1/responses")');
    expect(problem(line({ body: [] }))).toMatch(/body must be a JSON object/);
  });
});
