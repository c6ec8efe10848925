/** Prompt templates: Portkey's prompt `string` is a JSON array of chat messages with Mustache variables. */

const VARIABLE_RE = /\{\{\s*([#^/]?)\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** Variable names a template uses, in first-use order; section tags ({{#x}}) count, partials ({{>p}}) don't. */
export function variablesOf(template: string): string[] {
  const seen = new Set<string>();
  for (const m of template.matchAll(VARIABLE_RE)) if (m[1] !== '/') seen.add(m[2]);
  return [...seen];
}

/** Partial names a template includes with {{>name}}. */
export function partialsOf(template: string): string[] {
  return [...new Set([...template.matchAll(/\{\{>\s*([\w.-]+)\s*\}\}/g)].map((m) => m[1]))];
}

export interface ChatMessage {
  role: string;
  content: string;
}

/**
 * Renders a template locally, for the playground when the control plane has no render route: partials are
 * inlined, variables replaced (JSON-escaped, as they sit inside JSON strings), then the messages parsed.
 */
export function renderTemplate(template: string, variables: Record<string, string>, partials: Record<string, string>): ChatMessage[] {
  let text = template.replace(/\{\{>\s*([\w.-]+)\s*\}\}/g, (_, name: string) => escapeJson(partials[name] ?? ''));
  text = text.replace(VARIABLE_RE, (whole, sigil: string, name: string) => (sigil ? '' : escapeJson(variables[name] ?? '')));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [{ role: 'user', content: text }];
  }
  if (!Array.isArray(parsed)) throw new Error('The prompt template must be a JSON array of messages, e.g. [{"role":"user","content":"Hi {{name}}"}].');
  return parsed as ChatMessage[];
}

function escapeJson(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** Reads text deltas from an OpenAI chat-completions SSE stream, calling onDelta for each. */
export async function readChatStream(body: ReadableStream<Uint8Array>, onDelta: (text: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        try {
          const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }>; error?: { message?: string } };
          if (chunk.error?.message) throw new Error(chunk.error.message);
          const delta = chunk.choices?.[0]?.delta?.content;
          if (delta) onDelta(delta);
        } catch (e) {
          if (e instanceof SyntaxError) continue;
          throw e;
        }
      }
    }
  }
}
