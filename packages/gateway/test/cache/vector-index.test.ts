import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, normalise, VectorIndex } from '../../src/cache/vector-index.js';
import { semanticTextOf, SEMANTIC_MAX_TEXT_CHARS } from '../../src/cache/semantic-text.js';

const unit = (...v: number[]) => normalise(v)!;
const key = (n: number) => String(n).padStart(64, '0');

describe('VectorIndex', () => {
  it('finds the most similar entry at or above the threshold, within its partition only', () => {
    const index = new VectorIndex({ maxBytes: 1e6, maxPerPartition: 10 });
    const far = Date.now() + 60_000;
    index.add('p1', unit(1, 0, 0), { key: key(1), expiresAt: far });
    index.add('p1', unit(0.9, 0.1, 0), { key: key(2), expiresAt: far });
    index.add('p2', unit(1, 0, 0), { key: key(3), expiresAt: far });
    const m = index.search('p1', unit(0.89, 0.11, 0), 0.9)!;
    expect(m.key).toBe(key(2));
    expect(m.similarity).toBeGreaterThan(0.99);
    expect(index.search('p1', unit(0, 1, 0), 0.9)).toBeUndefined();
    expect(index.search('p3', unit(1, 0, 0), 0.5)).toBeUndefined();
    // Another dimension count (another model) never compares.
    expect(index.search('p1', unit(1, 0, 0, 0), 0.5)).toBeUndefined();
  });

  it('drops expired entries, and bounds bytes in all (LRU) and entries per partition (its least recently used)', () => {
    let now = 1_000;
    // Room for three 2-dimension entries.
    const index = new VectorIndex({ maxBytes: 3 * (2 * 4 + ENTRY_OVERHEAD_BYTES), maxPerPartition: 2, now: () => now });
    index.add('a', unit(1, 0), { key: key(1), expiresAt: 2_000 });
    index.add('a', unit(0, 1), { key: key(2), expiresAt: 5_000 });
    now = 1_500;
    // Using key 1 makes key 2 the partition's least recently used.
    expect(index.search('a', unit(1, 0), 0.9)?.key).toBe(key(1));
    now = 1_600;
    index.add('a', unit(1, 1), { key: key(3), expiresAt: 5_000 });
    expect(index.size).toBe(2);
    expect(index.search('a', unit(0, 1), 0.99)).toBeUndefined();
    now = 2_500;
    expect(index.search('a', unit(1, 0), 0.99)).toBeUndefined();
    expect(index.size).toBe(1);
    index.add('b', unit(1, 0), { key: key(4), expiresAt: 9_000 });
    index.add('c', unit(1, 0), { key: key(5), expiresAt: 9_000 });
    index.add('d', unit(1, 0), { key: key(6), expiresAt: 9_000 });
    expect(index.size).toBe(3);
    expect(index.bytes).toBe(3 * (2 * 4 + ENTRY_OVERHEAD_BYTES));
    // The least recently used of all (partition a's last entry) went first.
    expect(index.search('a', unit(1, 1), 0.9)).toBeUndefined();
    expect(index.partitionCount).toBe(3);
  });

  it('replaces an entry added again under the same key, and keeps rows intact across swap-removes', () => {
    const index = new VectorIndex({ maxBytes: 1e7, maxPerPartition: 1000 });
    const far = Date.now() + 60_000;
    for (let i = 0; i < 50; i++) index.add('p', unit(i, 1, 50 - i), { key: key(i), expiresAt: far });
    index.add('p', unit(7, 1, 43), { key: key(7), expiresAt: far });
    expect(index.size).toBe(50);
    for (let i = 0; i < 50; i += 3) index.delete('p', key(i));
    for (let i = 0; i < 50; i++) {
      const m = index.search('p', unit(i, 1, 50 - i), 0.99999);
      if (i % 3 === 0) expect(m?.key).not.toBe(key(i));
      else expect(m?.key).toBe(key(i));
    }
  });

  it('refuses zero and non-finite vectors', () => {
    expect(normalise([0, 0])).toBeUndefined();
    expect(normalise([1, Number.NaN])).toBeUndefined();
  });
});

describe('semanticTextOf', () => {
  it('takes the last user message of chat and messages bodies, string or text parts, and hides it from the context', () => {
    const body = { model: 'm', temperature: 0, messages: [{ role: 'system', content: 's' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] };
    const t = semanticTextOf('chat', body)!;
    expect(t.text).toBe('a\nb');
    expect(JSON.stringify(t.context)).not.toContain('"a"');
    expect(t.context.temperature).toBe(0);
    expect(semanticTextOf('messages', { messages: [{ role: 'user', content: 'hi' }] })?.text).toBe('hi');
    // Two requests that differ only in that text share a context.
    expect(semanticTextOf('chat', { ...body, messages: [body.messages[0], { role: 'user', content: 'other' }] })!.context).toEqual(t.context);
  });

  it('has nothing to compare for a tool result, an image, an array prompt, other operations, or an over-long text', () => {
    expect(semanticTextOf('chat', { messages: [{ role: 'tool', content: 'x' }] })).toBeUndefined();
    expect(semanticTextOf('chat', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'u' } }] }] })).toBeUndefined();
    expect(semanticTextOf('completions', { prompt: ['a'] })).toBeUndefined();
    expect(semanticTextOf('completions', { prompt: 'a prompt' })?.text).toBe('a prompt');
    expect(semanticTextOf('embeddings', { input: 'x' })).toBeUndefined();
    expect(semanticTextOf('chat', { messages: [{ role: 'user', content: 'x'.repeat(SEMANTIC_MAX_TEXT_CHARS + 1) }] })).toBeUndefined();
    expect(semanticTextOf('chat', { messages: [{ role: 'user', content: '   ' }] })).toBeUndefined();
  });
});
