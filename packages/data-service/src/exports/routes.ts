import { pipeline } from 'node:stream/promises';
import { queryOf, readJsonObject, refuseUnknownQuery, sendJson } from '../http/respond.js';
import { headerOf, route, type RequestContext, type Route } from '../http/server.js';
import type { ExportService } from './service.js';

/** Where links point: DATA_SERVICE_PUBLIC_URL, else the host the caller used (through the gateway). */
export function publicBase(ctx: RequestContext, configured: string): string {
  if (configured) return configured.replace(/\/$/, '');
  const host = headerOf(ctx.req, 'x-forwarded-host') ?? headerOf(ctx.req, 'host') ?? 'localhost';
  const proto = headerOf(ctx.req, 'x-forwarded-proto') ?? 'http';
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}

const ID = '([0-9a-fA-F-]{36})';

/** Portkey's Admin API for log exports, as the portkey-ai SDK's logs.exports client calls it. */
export function exportRoutes(svc: ExportService, opts: { maxJsonBytes: number; publicUrl: string }): Route[] {
  const body = (ctx: RequestContext) => readJsonObject(ctx.req, opts.maxJsonBytes);
  return [
    route('POST', '/v1/logs/exports', 'logs.exports.create', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, await svc.create(p, await body(ctx)));
    }),
    route('GET', '/v1/logs/exports', 'logs.exports.list', async (ctx) => {
      const q = queryOf(ctx.url);
      refuseUnknownQuery(q, ['workspace_id']);
      sendJson(ctx.res, 200, await svc.list(await ctx.principal(), q.get('workspace_id') ?? undefined));
    }),
    route('GET', `/v1/logs/exports/${ID}`, 'logs.exports.get', async (ctx) => {
      sendJson(ctx.res, 200, await svc.get(await ctx.principal(), ctx.params[0]));
    }),
    route('PUT', `/v1/logs/exports/${ID}`, 'logs.exports.update', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, await svc.update(p, ctx.params[0], await body(ctx)));
    }),
    route('POST', `/v1/logs/exports/${ID}/start`, 'logs.exports.start', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, await svc.start(p, ctx.params[0], await body(ctx)));
    }),
    route('POST', `/v1/logs/exports/${ID}/cancel`, 'logs.exports.cancel', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, await svc.cancel(p, ctx.params[0], await body(ctx)));
    }),
    route('GET', `/v1/logs/exports/${ID}/download`, 'logs.exports.download', async (ctx) => {
      ctx.req.resume();
      sendJson(ctx.res, 200, await svc.download(await ctx.principal(), ctx.params[0], publicBase(ctx, opts.publicUrl)));
    }),
    // The embedded default's stand-in for a presigned S3 URL: authorised by its signature, not a key.
    route('GET', `/v1/logs/exports/${ID}/file`, 'logs.exports.file', async (ctx) => {
      const q = queryOf(ctx.url);
      const { stream, filename } = await svc.openSigned(ctx.params[0], q.get('expires'), q.get('signature'));
      ctx.res.writeHead(200, { 'content-type': 'application/gzip', 'content-disposition': `attachment; filename="${filename}"` });
      await pipeline(stream, ctx.res).catch(() => ctx.res.destroy());
    }),
  ];
}
