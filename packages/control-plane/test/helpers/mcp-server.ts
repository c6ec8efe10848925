import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A real MCP server (the official @modelcontextprotocol/sdk) over Streamable HTTP at /mcp, with
 * sessions, two tools, a prompt, a resource and a resource template. When `token` is set, requests
 * without `Authorization: Bearer <token>` get a 401 before reaching the transport.
 */
export interface TestMcpServer {
  url: string;
  /** JSON-RPC methods received, in order. */
  methods: string[];
  close(): Promise<void>;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'portico-test-mcp', version: '1.2.3' });
  server.registerTool('lookup', { title: 'Look up', description: 'Finds a record by id', inputSchema: { id: z.string() } }, async ({ id }) => ({ content: [{ type: 'text', text: `record ${id}` }] }));
  server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  server.registerPrompt('greet', { description: 'A greeting', argsSchema: { name: z.string() } }, ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }] }));
  server.registerResource('readme', 'file:///readme.md', { description: 'The readme', mimeType: 'text/markdown' }, async (uri) => ({ contents: [{ uri: uri.href, text: '# hi' }] }));
  server.registerResource('user', new ResourceTemplate('users://{id}', { list: undefined }), { description: 'A user' }, async (uri) => ({ contents: [{ uri: uri.href, text: 'u' }] }));
  return server;
}

export async function startMcpServer(opts: { token?: string; jsonResponse?: boolean } = {}): Promise<TestMcpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const methods: string[] = [];
  const http: Server = createServer(async (req, res) => {
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{"error":"unauthorized"}');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    if (body?.method) methods.push(body.method);
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!transport) {
      if (body?.method !== 'initialize') {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'No valid session ID provided' }, id: null }));
        return;
      }
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(), enableJsonResponse: opts.jsonResponse ?? false,
        onsessioninitialized: (id) => { sessions.set(id, t); },
      });
      t.onclose = () => { if (t.sessionId) sessions.delete(t.sessionId); };
      await buildServer().connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    methods,
    close: async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      await new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); });
    },
  };
}

/** A server that answers initialize with more than the control plane reads (2 MiB). */
export async function startOversizedServer(): Promise<{ url: string; close(): Promise<void> }> {
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'x'.repeat(3 * 1024 * 1024), version: '1' } } }));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, close: () => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }) };
}
