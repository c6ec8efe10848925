import { parseBatchLine } from '@portico/contract';

/**
 * Line-by-line checks of JSONL uploads, run while the file streams to storage. Each checker keeps
 * only what it must (the custom_ids seen, bounded by the line limit) and remembers the first bad line.
 */
export interface LineProblem {
  line: number;
  message: string;
}

export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/messages'] as const;

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
      const parsed = parseBatchLine(text, BATCH_ENDPOINTS);
      if ('problem' in parsed) return fail(n, parsed.problem);
      const { custom_id: id, body } = parsed.line;
      if (ids.has(id)) return fail(n, `custom_id "${id}" appears more than once; each must be unique`);
      ids.add(id);
      if (typeof body.model !== 'string') return fail(n, 'body.model is required');
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
