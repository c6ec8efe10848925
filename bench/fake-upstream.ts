/**
 * A minimal, fast OpenAI-format upstream for benchmarks: fixed JSON completions, or an SSE stream of
 * a few chunks ending in [DONE]. It does no validation, so it measures the gateway, not itself.
 * Run: node --import tsx bench/fake-upstream.ts → prints {"port":N} on stdout.
 */
import { createServer } from 'node:http';

const created = Math.floor(Date.now() / 1000);
const completion = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'A fractal is a shape that repeats itself at every scale.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 14, total_tokens: 26 },
});
const chunk = (delta: object, finish: string | null, usage = false) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(usage ? { usage: null } : {}) })}\n\n`;
const words = ['A ', 'fractal ', 'is ', 'a ', 'shape ', 'that ', 'repeats ', 'itself.'];

const server = createServer((req, res) => {
  if (req.url?.startsWith('/v1/files')) {
    // Uploads: counted, not kept, so the upstream's memory does not blur the gateway's.
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'file-bench', object: 'file', bytes, created_at: created, filename: 'bench.bin', purpose: 'batch', status: 'processed' }));
    });
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts).toString();
    if (!body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) });
      res.end(completion);
      return;
    }
    const usage = body.includes('"include_usage":true');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let out = chunk({ role: 'assistant', content: '' }, null, usage);
    for (const w of words) out += chunk({ content: w }, null, usage);
    out += chunk({}, 'stop', usage);
    if (usage) out += `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 } })}\n\n`;
    res.end(out + 'data: [DONE]\n\n');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n');
});
