/**
 * Line-by-line checks of JSONL uploads, run while the file streams to storage. Each checker keeps
 * only what it must (the custom_ids seen, bounded by the line limit) and remembers the first bad line.
 */
export interface LineProblem {
  line: number;
  message: string;
}

export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/messages'] as const;
const BATCH_LINE_FIELDS = ['custom_id', 'method', 'url', 'body'];
const MAX_CUSTOM_ID = 512;

export interface LineChecker {
  /** Checks one line (1-based number); records the first problem. */
  check(line: string, n: number): void;
  /** After the last line: the first problem, if any. */
  finish(lines: number): LineProblem | undefined;
}

/** OpenAI's batch input format: {custom_id, method: "POST", url, body}, custom_ids unique, no other fields. */
export function batchLineChecker(maxLines: number): LineChecker {
  const ids = new Set<string>();
  let problem: LineProblem | undefined;
  let blankAt = 0;
  const fail = (line: number, message: string) => void (problem ??= { line, message });
  return {
    check(text, n) {
      if (problem) return;
      if (n > maxLines) return fail(n, `the file has more than ${maxLines} lines; split it into several batches`);
      if (text.trim() === '') {
        blankAt ||= n;
        return;
      }
      if (blankAt) return fail(blankAt, 'empty line in the middle of the file; every line must be one JSON request');
      let o: unknown;
      try {
        o = JSON.parse(text);
      } catch (e) {
        return fail(n, `not valid JSON (${(e as Error).message})`);
      }
      if (!o || typeof o !== 'object' || Array.isArray(o)) return fail(n, 'each line must be a JSON object {"custom_id","method","url","body"}');
      const rec = o as Record<string, unknown>;
      for (const k of Object.keys(rec)) if (!BATCH_LINE_FIELDS.includes(k)) return fail(n, `unknown field "${k}"; a line has custom_id, method, url and body`);
      if (typeof rec.custom_id !== 'string' || rec.custom_id === '') return fail(n, 'custom_id must be a non-empty string');
      if (rec.custom_id.length > MAX_CUSTOM_ID) return fail(n, `custom_id is longer than ${MAX_CUSTOM_ID} characters`);
      if (ids.has(rec.custom_id)) return fail(n, `custom_id "${rec.custom_id}" appears more than once; each must be unique`);
      ids.add(rec.custom_id);
      if (rec.method !== 'POST') return fail(n, 'method must be "POST"');
      if (typeof rec.url !== 'string' || !(BATCH_ENDPOINTS as readonly string[]).includes(rec.url)) return fail(n, `url must be one of ${BATCH_ENDPOINTS.join(', ')}`);
      if (!rec.body || typeof rec.body !== 'object' || Array.isArray(rec.body)) return fail(n, 'body must be a JSON object (the request)');
      if (typeof (rec.body as Record<string, unknown>).model !== 'string') return fail(n, 'body.model is required');
    },
    finish(lines) {
      if (!problem && lines - (blankAt ? lines - blankAt + 1 : 0) === 0) return { line: 1, message: 'the file has no requests' };
      return problem;
    },
  };
}

/** Chat fine-tuning data (OpenAI's format): {"messages":[{role, content}, ...]} with an assistant turn. */
export function fineTuneLineChecker(maxLines: number): LineChecker {
  let problem: LineProblem | undefined;
  let count = 0;
  const fail = (line: number, message: string) => void (problem ??= { line, message });
  return {
    check(text, n) {
      if (problem || text.trim() === '') return;
      if (n > maxLines) return fail(n, `the file has more than ${maxLines} lines`);
      count++;
      let o: unknown;
      try {
        o = JSON.parse(text);
      } catch (e) {
        return fail(n, `not valid JSON (${(e as Error).message})`);
      }
      const msgs = (o as { messages?: unknown })?.messages;
      if (!Array.isArray(msgs) || msgs.length === 0) return fail(n, 'each line needs a non-empty "messages" array');
      for (const m of msgs) {
        const role = (m as { role?: unknown })?.role;
        if (!['system', 'user', 'assistant', 'tool'].includes(role as string)) return fail(n, `message role must be system, user, assistant or tool (got ${JSON.stringify(role)})`);
      }
      if (!msgs.some((m) => (m as { role?: string }).role === 'assistant')) return fail(n, 'each example needs at least one assistant message to learn from');
    },
    finish() {
      if (!problem && count === 0) return { line: 1, message: 'the file has no examples' };
      return problem;
    },
  };
}
