/**
 * The floor for the c=1 figures: the least a Node.js proxy can do, node:http in and undici's dispatch
 * API out (no response objects, no streams), with no parsing, routing, metrics or logs. What it adds
 * over calling the upstream directly is the cost of the extra process hop on this machine, which no
 * gateway written this way can beat.
 * Run: UPSTREAM=http://127.0.0.1:N node --import tsx bench/reference-proxy.ts → prints {"port":N}.
 */
import { createServer } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

const pool = new Pool(process.env.UPSTREAM!, { connections: 256, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const handler: Dispatcher.DispatchHandler = {
      onConnect() {},
      onHeaders(status, raw, resume) {
        let type = 'application/json';
        let length: string | undefined;
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i].toString('latin1').toLowerCase();
          if (name === 'content-type') type = raw[i + 1].toString('latin1');
          else if (name === 'content-length') length = raw[i + 1].toString('latin1');
        }
        res.writeHead(status, length === undefined ? { 'content-type': type } : { 'content-type': type, 'content-length': length });
        res.on('drain', resume);
        return true;
      },
      onData: (chunk) => res.write(chunk),
      onComplete: () => res.end(),
      onError() {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    };
    pool.dispatch({ path: req.url ?? '/', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }, body: Buffer.concat(parts) }, handler);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n');
});
