import { newLogId } from '../../src/logs/ids.js';
import type { LogDocument } from '../../src/logs/types.js';

/** Credentials planted in every fixture document; none may reach a stored object. */
export const PLANTED_SECRETS = [
  'sk-proj-PLANTEDopenaiKEY0123456789abcdef',
  'sk-ant-api03-PLANTEDanthropicKEY0123456789',
  'AKIAPLANTED0EXAMPLE1',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDKEY',
  'AIzaSyPLANTED-googleKey0123456789abcdefgh',
  'pk-gateway-PLANTED-key-7f3a9c',
  'session=PLANTED-cookie-value',
  'FwoGZXIvYXdzEPLANTEDsessionTOKEN',
  'azure-PLANTED-32hex-0123456789abcdef',
];

export function makeDoc(traceId: string, now = Date.now(), extra: Partial<LogDocument> = {}): LogDocument {
  const [openai, anthropic, akid, awsSecret, google, gwKey, cookie, sessionToken, azure] = PLANTED_SECRETS;
  return {
    id: newLogId(now),
    trace_id: traceId,
    created_at: new Date(now).toISOString(),
    timings: { started_at: new Date(now - 120).toISOString(), total_ms: 120, upstream_ms: 110 },
    request: {
      method: 'POST',
      path: '/v1/chat/completions',
      endpoint: 'chatComplete',
      stream: false,
      headers: {
        authorization: `Bearer ${openai}`,
        'x-portkey-api-key': gwKey,
        'x-portkey-virtual-key': 'openai-prod',
        'x-portkey-aws-access-key-id': akid,
        'x-portkey-aws-secret-access-key': awsSecret,
        'x-portkey-aws-session-token': sessionToken,
        'x-portkey-aws-region': 'us-east-1',
        'x-goog-api-key': google,
        'api-key': azure,
        cookie,
        'x-portkey-trace-id': traceId,
        'x-portkey-config': JSON.stringify({ provider: 'anthropic', api_key: anthropic }),
        'content-type': 'application/json',
      },
      body: {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `my key is ${openai}, please keep it safe` }],
        max_tokens: 64,
      },
    },
    response: {
      status: 200,
      body: { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] },
    },
    provider: 'openai',
    model: 'gpt-4o-mini',
    retries: 0,
    cache_status: 'MISS',
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    metadata: { _user: 'u-1', session_token: sessionToken },
    ...extra,
  };
}

/** trace_id → number of occurrences over every NDJSON line of every object text. */
export function countTraceIds(texts: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      const doc = JSON.parse(line) as LogDocument;
      counts.set(doc.trace_id, (counts.get(doc.trace_id) ?? 0) + 1);
    }
  }
  return counts;
}

export function expectExactlyOnce(counts: Map<string, number>, traceIds: string[]): string[] {
  const problems: string[] = [];
  for (const t of traceIds) {
    const n = counts.get(t) ?? 0;
    if (n !== 1) problems.push(`${t}: ${n}`);
  }
  const sent = new Set(traceIds);
  for (const t of counts.keys()) if (!sent.has(t)) problems.push(`${t}: unexpected`);
  return problems;
}

export function leakedSecrets(texts: string[]): string[] {
  return PLANTED_SECRETS.filter((s) => texts.some((t) => t.includes(s)));
}
