/**
 * The floor for the c=1 figures: the least a Node.js proxy can do, node:http in and a pooled undici
 * client out, with no parsing, routing, metrics or logs. What it adds over calling the upstream directly
 * is the cost of the extra process hop on this machine, which no gateway written this way can beat.
 * Run: UPSTREAM=http://127.0.0.1:N node --import tsx bench/reference-proxy.ts → prints {"port":N}.
 */
import { createServer } from 'node:http';
import { Agent } from 'undici';

const upstream = process.env.UPSTREAM!;
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', async () => {
    try {
      const up = await agent.request({ origin: upstream, path: req.url ?? '/', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }, body: Buffer.concat(parts) });
      const type = String(up.headers['content-type'] ?? 'application/json');
      if (type.includes('event-stream')) {
        res.writeHead(up.statusCode, { 'content-type': type });
        for await (const chunk of up.body) res.write(chunk);
        res.end();
        return;
      }
      const body = Buffer.from(await up.body.arrayBuffer());
      res.writeHead(up.statusCode, { 'content-type': type, 'content-length': body.length });
      res.end(body);
    } catch {
      res.writeHead(502).end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n');
});
