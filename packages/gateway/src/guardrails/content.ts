/**
 * The part of a request or response that guardrails read and mutators rewrite, in each API's shape:
 * the last message of a request (chat, Anthropic messages, Responses input) or its prompt
 * (completions); the first choice of a response (chat, completions), its text blocks (messages) or its
 * message items (Responses). `texts` are the text items of that part in order; `withTexts` returns a
 * copy of the body with them replaced, everything else untouched (images, tool calls, other messages).
 */
type Json = Record<string, unknown>;

export interface ContentPart {
  /** The text items, in order (a string content is one item). */
  texts: string[];
  /** A new body with the text items replaced; `texts` has the same length as the original. */
  withTexts(texts: string[]): Json;
}

/** Text parts: chat and Anthropic `text`, Responses `input_text` / `output_text`. */
const TEXT_PARTS = new Set(['text', 'input_text', 'output_text']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text items of one message content (a string, or an array of parts), and how to put new ones back. */
function contentTexts(content: unknown): { texts: string[]; put(texts: string[]): unknown } | undefined {
  if (typeof content === 'string') return { texts: [content], put: (t) => t[0] };
  if (!Array.isArray(content)) return undefined;
  const at: number[] = [];
  content.forEach((p, i) => {
    if (isObject(p) && TEXT_PARTS.has(String(p.type)) && typeof p.text === 'string') at.push(i);
  });
  return {
    texts: at.map((i) => (content[i] as { text: string }).text),
    put: (t) => content.map((p, i) => (at.includes(i) ? { ...(p as Json), text: t[at.indexOf(i)] } : p)),
  };
}

/** Joins the parts a check reads as one text. */
export const joinTexts = (texts: string[]): string => texts.filter(Boolean).join('\n');

/** The request's part: its last message, the Responses input's last message item, or the prompt. */
export function requestPart(body: Json | undefined): ContentPart | undefined {
  if (!body) return undefined;
  if (Array.isArray(body.messages) && body.messages.length) return lastMessage(body, 'messages', () => true);
  if (typeof body.input === 'string') return { texts: [body.input], withTexts: (t) => ({ ...body, input: t[0] }) };
  if (Array.isArray(body.input)) return lastMessage(body, 'input', (i) => i.role !== undefined && (i.type === undefined || i.type === 'message'));
  const prompt = body.prompt;
  if (typeof prompt === 'string') return { texts: [prompt], withTexts: (t) => ({ ...body, prompt: t[0] }) };
  if (Array.isArray(prompt)) {
    const at = prompt.flatMap((p, i) => (typeof p === 'string' ? [i] : []));
    return {
      texts: at.map((i) => prompt[i] as string),
      withTexts: (t) => ({ ...body, prompt: prompt.map((p, i) => (at.includes(i) ? t[at.indexOf(i)] : p)) }),
    };
  }
  return undefined;
}

function lastMessage(body: Json, key: 'messages' | 'input', isMessage: (item: Json) => boolean): ContentPart | undefined {
  const list = body[key] as unknown[];
  let index = -1;
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i];
    if (isObject(item) && isMessage(item)) {
      index = i;
      break;
    }
  }
  if (index < 0) return undefined;
  const message = list[index] as Json;
  const content = contentTexts(message.content);
  if (!content) return undefined;
  return {
    texts: content.texts,
    withTexts: (t) => ({ ...body, [key]: list.map((m, i) => (i === index ? { ...message, content: content.put(t) } : m)) }),
  };
}

/** The response's part: the first choice (chat, completions), the text blocks (messages), or the message items (Responses). */
export function responsePart(body: Json | undefined): ContentPart | undefined {
  if (!body) return undefined;
  if (Array.isArray(body.content)) {
    const content = contentTexts(body.content)!;
    return { texts: content.texts, withTexts: (t) => ({ ...body, content: content.put(t) }) };
  }
  if (Array.isArray(body.output)) return responsesOutput(body, body.output);
  const choices = body.choices;
  if (!Array.isArray(choices) || !isObject(choices[0])) return undefined;
  const choice = choices[0];
  const withChoice = (c: Json): Json => ({ ...body, choices: [c, ...choices.slice(1)] });
  if (isObject(choice.message)) {
    const message = choice.message;
    const content = contentTexts(message.content);
    if (!content) return { texts: [], withTexts: () => body };
    return { texts: content.texts, withTexts: (t) => withChoice({ ...choice, message: { ...message, content: content.put(t) } }) };
  }
  if (typeof choice.text === 'string') return { texts: [choice.text], withTexts: (t) => withChoice({ ...choice, text: t[0] }) };
  return undefined;
}

function responsesOutput(body: Json, output: unknown[]): ContentPart {
  const parts: Array<{ item: number; content: NonNullable<ReturnType<typeof contentTexts>> }> = [];
  output.forEach((item, i) => {
    if (!isObject(item) || item.type !== 'message') return;
    const content = contentTexts(item.content);
    if (content) parts.push({ item: i, content });
  });
  return {
    texts: parts.flatMap((p) => p.content.texts),
    withTexts: (t) => {
      let offset = 0;
      const next = [...output];
      for (const p of parts) {
        const mine = t.slice(offset, offset + p.content.texts.length);
        offset += p.content.texts.length;
        next[p.item] = { ...(output[p.item] as Json), content: p.content.put(mine) };
      }
      return { ...body, output: next };
    },
  };
}
