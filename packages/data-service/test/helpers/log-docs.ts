import { randomBytes, randomUUID } from 'node:crypto';
import type { LogDocument } from '@portico/contract';

/** A log document shaped as the gateway writes them, for stores filled directly by tests and the bench. */
export function makeLogDoc(atMs: number, i: number, o: { workspace?: string; provider?: string; model?: string; status?: number; metadata?: Record<string, string>; trace?: string } = {}): LogDocument {
  const created = new Date(atMs).toISOString();
  return {
    id: `${atMs.toString(36)}${randomBytes(8).toString('hex')}`,
    trace_id: o.trace ?? randomUUID(),
    created_at: created,
    timings: { started_at: created, total_ms: 120 + (i % 50) },
    request: { method: 'POST', path: '/v1/chat/completions', endpoint: 'chatComplete', stream: false, headers: { 'content-type': 'application/json' }, body: { model: o.model ?? 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${i}` }] } },
    response: { status: o.status ?? 200, body: { id: `chatcmpl-${i}`, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: `answer ${i}` }, finish_reason: 'stop' }] } },
    provider: o.provider ?? 'openai',
    model: o.model ?? 'gpt-4o-mini',
    retries: 0,
    cache_status: 'DISABLED',
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    cost: { usd: 0.00001, priced: true },
    metadata: o.metadata ?? { _user: `user-${i % 10}` },
    principal: { key_id: 'key-1', workspace: o.workspace },
  };
}
