import { describe, expect, it } from 'vitest';
import { partialsOf, readChatStream, renderTemplate, variablesOf } from '../../src/screens/prompts/template.js';

describe('prompt templates', () => {
  const template = JSON.stringify([{ role: 'system', content: '{{>tone}}' }, { role: 'user', content: 'Write about {{ topic }} for {{audience}}. {{topic}}' }]);

  it('lists variables once each and partials separately', () => {
    expect(variablesOf(template)).toEqual(['topic', 'audience']);
    expect(partialsOf(template)).toEqual(['tone']);
  });

  it('renders variables JSON-escaped, partials inlined', () => {
    const msgs = renderTemplate(template, { topic: 'a "quoted"\nline', audience: 'kids' }, { tone: 'Be kind.' });
    expect(msgs[0]).toEqual({ role: 'system', content: 'Be kind.' });
    expect(msgs[1].content).toBe('Write about a "quoted"\nline for kids. a "quoted"\nline');
  });

  it('reads deltas from an SSE stream split across chunks', async () => {
    const events = [
      'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n',
      'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\ndata: {"choices":[{"del',
      'ta":{"content":"lo"}}]}\n\n',
      'data: [DONE]\n\n',
    ];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const e of events) c.enqueue(new TextEncoder().encode(e));
        c.close();
      },
    });
    const seen: string[] = [];
    await readChatStream(body, (d) => seen.push(d));
    expect(seen).toEqual(['Hel', 'lo']);
  });

  it('throws an error event as an error', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: {"error":{"message":"budget exceeded"}}\n\n'));
        c.close();
      },
    });
    await expect(readChatStream(body, () => {})).rejects.toThrow('budget exceeded');
  });
});
