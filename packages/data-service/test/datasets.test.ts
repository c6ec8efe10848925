import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileLogRelativePath } from '@portico/contract';
import { checkExample, convertDataset, convertExample, exampleFromExchange, type ChatExample } from '../src/fine-tuning/datasets.js';
import { startTestService } from './helpers/service.js';
import { makeLogDoc } from './helpers/log-docs.js';

const ex: ChatExample = { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' }, { role: 'assistant', content: 'A2' }] };

describe('training formats, as each provider documents them', () => {
  it('Bedrock (Claude): system string, alternating user/assistant string turns', () => {
    const out = convertExample(ex, 'bedrock');
    expect(out).toEqual({ system: 'Be brief.', messages: [{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' }, { role: 'assistant', content: 'A2' }] });
    expect(checkExample(out, 'bedrock')).toBeUndefined();
    expect(checkExample({ messages: [{ role: 'assistant', content: 'x' }, { role: 'user', content: 'y' }] }, 'bedrock')).toMatch(/first turn/);
    expect(checkExample({ messages: [{ role: 'user', content: 'x' }, { role: 'user', content: 'y' }, { role: 'assistant', content: 'z' }] }, 'bedrock')).toMatch(/alternate/);
    expect(checkExample({ prompt: 'x', completion: 'y' }, 'bedrock')).toMatch(/only "system" and "messages"/);
  });

  it('Bedrock (Nova): bedrock-conversation-2024 with text content blocks', () => {
    const out = convertExample(ex, 'bedrock-nova');
    expect(out).toEqual({ schemaVersion: 'bedrock-conversation-2024', system: [{ text: 'Be brief.' }], messages: [{ role: 'user', content: [{ text: 'Q1' }] }, { role: 'assistant', content: [{ text: 'A1' }] }, { role: 'user', content: [{ text: 'Q2' }] }, { role: 'assistant', content: [{ text: 'A2' }] }] });
    expect(checkExample(out, 'bedrock-nova')).toBeUndefined();
    expect(checkExample({ ...out, schemaVersion: '2023' }, 'bedrock-nova')).toMatch(/schemaVersion/);
  });

  it('Vertex AI (Gemini): systemInstruction and contents with user/model parts', () => {
    const out = convertExample(ex, 'vertex');
    expect(out).toEqual({ systemInstruction: { role: 'system', parts: [{ text: 'Be brief.' }] }, contents: [{ role: 'user', parts: [{ text: 'Q1' }] }, { role: 'model', parts: [{ text: 'A1' }] }, { role: 'user', parts: [{ text: 'Q2' }] }, { role: 'model', parts: [{ text: 'A2' }] }] });
    expect(checkExample(out, 'vertex')).toBeUndefined();
    expect(checkExample({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, 'vertex')).toMatch(/user"\|"model/);
  });

  it('OpenAI chat format in, with bad lines named', () => {
    expect(convertDataset(JSON.stringify(ex) + '\n', 'vertex').lines).toBe(1);
    expect(() => convertDataset(JSON.stringify(ex) + '\n' + JSON.stringify({ messages: [{ role: 'user', content: 'q' }] }) + '\n', 'bedrock')).toThrow(/line 2: needs an assistant message/);
    expect(() => convertDataset(JSON.stringify({ messages: [{ role: 'assistant', content: 'a' }] }), 'bedrock')).toThrow(/line 1/);
  });

  it('logged exchanges: text chats become examples; tool calls and images do not', () => {
    expect(exampleFromExchange({ messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, { choices: [{ message: { role: 'assistant', content: 'hello' } }] }))
      .toEqual({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
    expect(exampleFromExchange({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, { choices: [{ message: { content: 'a' } }] })).toBeUndefined();
    expect(exampleFromExchange({ messages: [{ role: 'user', content: 'q' }] }, { choices: [{ message: { content: null, tool_calls: [{}] } }] })).toBeUndefined();
  });
});

describe('the dataset builder from logged requests', () => {
  it('filters the log store, converts, validates, stores a fine-tune file; skipped exchanges counted by reason', async () => {
    const ds = await startTestService({ LOG_STORE: 'file' });
    try {
      const at = Date.now() - 60_000;
      const docs = [
        ...Array.from({ length: 5 }, (_, i) => makeLogDoc(at + i, i, { metadata: { use: 'train' } })),
        makeLogDoc(at + 10, 10, { metadata: { use: 'train' }, status: 500 }),
        makeLogDoc(at + 11, 11, { metadata: { use: 'other' } }),
      ];
      docs[1].response.body = { choices: [{ message: { role: 'assistant', content: null, tool_calls: [{ id: 't' }] } }] };
      const path = join(ds.dataDir, 'logs', fileLogRelativePath(at));
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
      const res = await fetch(`${ds.url}/v1/fine_tuning/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filters: { metadata: { use: 'train' }, time_of_generation_min: new Date(at - 1000).toISOString() }, format: 'bedrock' }) });
      const body = await res.json();
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ object: 'fine_tuning.dataset', format: 'bedrock', examples: 4, skipped: { not_successful: 1, not_text_only: 1 } });
      expect(body.file.purpose).toBe('fine-tune');
      const text = await (await fetch(`${ds.url}/v1/files/${body.file.id}/content`)).text();
      const lines = text.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(4);
      for (const l of lines) expect(checkExample(l, 'bedrock')).toBeUndefined();
      expect(lines[0]).toEqual({ messages: [{ role: 'user', content: 'question 0' }, { role: 'assistant', content: 'answer 0' }] });
      const empty = await fetch(`${ds.url}/v1/fine_tuning/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filters: { metadata: { use: 'none' } } }) });
      expect(empty.status).toBe(400);
    } finally {
      await ds.close();
    }
  });
});
