/**
 * Fine-tuning datasets: OpenAI's chat format as the common form, converted to each provider's
 * documented training format, and each checked against it.
 *
 *  - openai:      {"messages":[{"role":"system"|"user"|"assistant","content":"…"}, …]}
 *  - bedrock:     Anthropic Claude on Bedrock (and Llama/Cohere chat models):
 *                 {"system":"…","messages":[{"role":"user","content":"…"},{"role":"assistant","content":"…"}, …]}
 *                 alternating turns, starting with user, ending with assistant
 *  - bedrock-nova: Amazon Nova: {"schemaVersion":"bedrock-conversation-2024","system":[{"text":"…"}],
 *                 "messages":[{"role":"user","content":[{"text":"…"}]},{"role":"assistant","content":[{"text":"…"}]}, …]}
 *  - vertex:      Gemini supervised tuning: {"systemInstruction":{"role":"system","parts":[{"text":"…"}]},
 *                 "contents":[{"role":"user","parts":[{"text":"…"}]},{"role":"model","parts":[{"text":"…"}]}, …]}
 */
export const DATASET_FORMATS = ['openai', 'bedrock', 'bedrock-nova', 'vertex'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatExample {
  messages: ChatMessage[];
}

/** Text of an OpenAI message content (a string, or text parts); undefined when it holds anything else. */
export function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts: string[] = [];
    for (const p of content) {
      if (p && typeof p === 'object' && (p as { type?: string }).type === 'text' && typeof (p as { text?: unknown }).text === 'string') parts.push((p as { text: string }).text);
      else return undefined;
    }
    return parts.join('');
  }
  return undefined;
}

/**
 * A chat example from a logged chat-completions exchange: the request's messages and the answer.
 * Undefined when the exchange cannot train a text model (tools, images, no answer, not a success).
 */
export function exampleFromExchange(requestBody: unknown, responseBody: unknown): ChatExample | undefined {
  const msgs = (requestBody as { messages?: unknown })?.messages;
  const choice = (responseBody as { choices?: Array<{ message?: { role?: string; content?: unknown; tool_calls?: unknown } }> })?.choices?.[0]?.message;
  if (!Array.isArray(msgs) || !choice || choice.tool_calls) return undefined;
  const out: ChatMessage[] = [];
  for (const m of msgs) {
    const role = (m as { role?: string })?.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'developer') return undefined;
    const text = textOf((m as { content?: unknown }).content);
    if (text === undefined || (m as { tool_calls?: unknown }).tool_calls) return undefined;
    out.push({ role: role === 'developer' ? 'system' : role, content: text });
  }
  const answer = textOf(choice.content);
  if (!answer) return undefined;
  out.push({ role: 'assistant', content: answer });
  return { messages: out };
}

/** Merges consecutive turns of one role (Bedrock and Gemini require alternation). */
function alternate(msgs: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of msgs) {
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content += `\n\n${m.content}`;
    else out.push({ ...m });
  }
  return out;
}

function split(ex: ChatExample): { system: string | undefined; turns: ChatMessage[] } {
  const system = ex.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n') || undefined;
  return { system, turns: alternate(ex.messages.filter((m) => m.role !== 'system')) };
}

/** The example in the format, or undefined when the format cannot hold it (e.g. it does not start with a user turn). */
export function convertExample(ex: ChatExample, format: DatasetFormat): Record<string, unknown> | undefined {
  if (format === 'openai') return { messages: ex.messages };
  const { system, turns } = split(ex);
  if (turns.length < 2 || turns[0].role !== 'user' || turns[turns.length - 1].role !== 'assistant') return undefined;
  switch (format) {
    case 'bedrock':
      return { ...(system ? { system } : {}), messages: turns.map((t) => ({ role: t.role, content: t.content })) };
    case 'bedrock-nova':
      return { schemaVersion: 'bedrock-conversation-2024', ...(system ? { system: [{ text: system }] } : {}), messages: turns.map((t) => ({ role: t.role, content: [{ text: t.content }] })) };
    case 'vertex':
      return { ...(system ? { systemInstruction: { role: 'system', parts: [{ text: system }] } } : {}), contents: turns.map((t) => ({ role: t.role === 'assistant' ? 'model' : 'user', parts: [{ text: t.content }] })) };
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const onlyKeys = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));

/** Checks one line against the format's documented shape; a message saying what is wrong, or undefined. */
export function checkExample(line: unknown, format: DatasetFormat): string | undefined {
  if (!isObj(line)) return 'a line must be a JSON object';
  const alternates = (roles: string[], first: string, last: string) => {
    if (roles.length < 2) return 'needs at least one user turn and one answer';
    if (roles[0] !== first) return `the first turn must be "${first}"`;
    if (roles[roles.length - 1] !== last) return `the last turn must be "${last}"`;
    for (let i = 1; i < roles.length; i++) if (roles[i] === roles[i - 1]) return `turns must alternate (two "${roles[i]}" turns in a row at ${i})`;
    return undefined;
  };
  switch (format) {
    case 'openai': {
      if (!onlyKeys(line, ['messages'])) return 'only "messages" is allowed';
      const m = line.messages;
      if (!Array.isArray(m) || m.length === 0) return '"messages" must be a non-empty array';
      for (const x of m) if (!isObj(x) || !['system', 'user', 'assistant'].includes(x.role as string) || typeof x.content !== 'string') return 'each message needs role system, user or assistant and string content';
      if (!m.some((x) => (x as ChatMessage).role === 'assistant')) return 'needs an assistant message';
      return undefined;
    }
    case 'bedrock': {
      if (!onlyKeys(line, ['system', 'messages'])) return 'only "system" and "messages" are allowed';
      if (line.system !== undefined && typeof line.system !== 'string') return '"system" must be a string';
      const m = line.messages;
      if (!Array.isArray(m)) return '"messages" must be an array';
      for (const x of m) if (!isObj(x) || !onlyKeys(x, ['role', 'content']) || !['user', 'assistant'].includes(x.role as string) || typeof x.content !== 'string' || !x.content) return 'each message is {"role":"user"|"assistant","content":"<text>"}';
      return alternates(m.map((x) => (x as ChatMessage).role), 'user', 'assistant');
    }
    case 'bedrock-nova': {
      if (line.schemaVersion !== 'bedrock-conversation-2024') return '"schemaVersion" must be "bedrock-conversation-2024"';
      if (!onlyKeys(line, ['schemaVersion', 'system', 'messages'])) return 'only schemaVersion, system and messages are allowed';
      if (line.system !== undefined && (!Array.isArray(line.system) || !line.system.every((s) => isObj(s) && typeof s.text === 'string'))) return '"system" must be [{"text":"…"}]';
      const m = line.messages;
      if (!Array.isArray(m)) return '"messages" must be an array';
      for (const x of m) if (!isObj(x) || !['user', 'assistant'].includes(x.role as string) || !Array.isArray(x.content) || !x.content.every((c) => isObj(c) && typeof c.text === 'string')) return 'each message is {"role":"user"|"assistant","content":[{"text":"…"}]}';
      return alternates(m.map((x) => (x as { role: string }).role), 'user', 'assistant');
    }
    case 'vertex': {
      if (!onlyKeys(line, ['systemInstruction', 'contents'])) return 'only "systemInstruction" and "contents" are allowed';
      const si = line.systemInstruction;
      if (si !== undefined && (!isObj(si) || !Array.isArray(si.parts) || !si.parts.every((p) => isObj(p) && typeof p.text === 'string'))) return '"systemInstruction" must be {"role":"system","parts":[{"text":"…"}]}';
      const c = line.contents;
      if (!Array.isArray(c)) return '"contents" must be an array';
      for (const x of c) if (!isObj(x) || !['user', 'model'].includes(x.role as string) || !Array.isArray(x.parts) || !x.parts.length || !x.parts.every((p) => isObj(p) && typeof p.text === 'string')) return 'each content is {"role":"user"|"model","parts":[{"text":"…"}]}';
      return alternates(c.map((x) => (x as { role: string }).role), 'user', 'model');
    }
  }
}

/** Converts a JSONL dataset in OpenAI's chat format; every output line is checked. */
export function convertDataset(openaiJsonl: string, format: DatasetFormat): { jsonl: string; lines: number } {
  const out: string[] = [];
  let n = 0;
  for (const text of openaiJsonl.split('\n')) {
    n++;
    if (!text.trim()) continue;
    const ex = JSON.parse(text) as ChatExample;
    const problem0 = checkExample(ex, 'openai');
    if (problem0) throw new DatasetError(n, problem0);
    const converted = convertExample(ex, format);
    if (!converted) throw new DatasetError(n, `the example cannot be expressed in ${format}'s format (it must start with a user turn and end with an assistant answer)`);
    const problem = checkExample(converted, format);
    if (problem) throw new DatasetError(n, problem);
    out.push(JSON.stringify(converted));
  }
  return { jsonl: out.join('\n') + (out.length ? '\n' : ''), lines: out.length };
}

export class DatasetError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}
