/**
 * What a semantic cache compares: the text of the last user message (or a completion's prompt), and
 * everything else in the request, which must match exactly. The rest of the body is returned with that
 * text replaced by a placeholder, so it can be hashed into the partition the lookup searches.
 */

/** Longer texts are served by exact matching only (Portkey's bound is 8,191 tokens; ~4 characters a token). */
export const SEMANTIC_MAX_TEXT_CHARS = 32_000;

const PLACEHOLDER = '\u0000semantic-text';

export interface SemanticText {
  /** What is embedded. */
  text: string;
  /** The body without that text: equal for requests that may share an answer. */
  context: Record<string, unknown>;
}

/**
 * The text to embed and its context, for the operations a semantic cache serves (chat, Anthropic
 * messages, legacy completions); undefined when the request has no plain user text last (a tool
 * result, an image, an array prompt) or the text is too long: such a request is matched exactly.
 */
export function semanticTextOf(op: string, body: Record<string, unknown>): SemanticText | undefined {
  if (op === 'chat' || op === 'messages') return fromMessages(body);
  if (op === 'completions') {
    const prompt = body.prompt;
    if (typeof prompt !== 'string' || !usable(prompt)) return undefined;
    return { text: prompt, context: { ...body, prompt: PLACEHOLDER } };
  }
  return undefined;
}

function fromMessages(body: Record<string, unknown>): SemanticText | undefined {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const last = messages[messages.length - 1] as Record<string, unknown> | null;
  if (!last || typeof last !== 'object' || last.role !== 'user') return undefined;
  const text = textOf(last.content);
  if (text === undefined || !usable(text)) return undefined;
  const context = { ...body, messages: [...messages.slice(0, -1), { ...last, content: PLACEHOLDER }] };
  return { text, context };
}

/** A string, or content parts that are all text (joined by newlines). Any other part: undefined. */
function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content) || content.length === 0) return undefined;
  const parts: string[] = [];
  for (const p of content) {
    const part = p as { type?: unknown; text?: unknown } | null;
    if (!part || part.type !== 'text' || typeof part.text !== 'string') return undefined;
    parts.push(part.text);
  }
  return parts.join('\n');
}

const usable = (text: string) => text.trim().length > 0 && text.length <= SEMANTIC_MAX_TEXT_CHARS;
