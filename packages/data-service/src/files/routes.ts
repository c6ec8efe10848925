import { pipeline } from 'node:stream/promises';
import { limitParam, queryOf, refuseUnknownQuery, sendJson } from '../http/respond.js';
import { route, type Route } from '../http/server.js';
import type { FileService } from './service.js';

const ID = '([^/]+)';

/** OpenAI's Files API. */
export function fileRoutes(files: FileService): Route[] {
  return [
    route('POST', '/v1/files', 'files.create', async (ctx) => {
      sendJson(ctx.res, 200, await files.upload(await ctx.principal(), ctx.req));
    }),
    route('GET', '/v1/files', 'files.list', async (ctx) => {
      const q = queryOf(ctx.url);
      refuseUnknownQuery(q, ['purpose', 'limit', 'after', 'order']);
      sendJson(ctx.res, 200, await files.list(await ctx.principal(), q, limitParam(q, 10_000, 10_000)));
    }),
    route('GET', `/v1/files/${ID}`, 'files.retrieve', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, files.view(await files.find(p, ctx.params[0])));
    }),
    route('GET', `/v1/files/${ID}/content`, 'files.content', async (ctx) => {
      const { record, stream } = await files.content(await ctx.principal(), ctx.params[0]);
      ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(record.bytes), 'content-disposition': `attachment; filename="${record.filename.replace(/["\r\n]/g, '_')}"` });
      await pipeline(stream, ctx.res).catch(() => ctx.res.destroy());
    }),
    route('DELETE', `/v1/files/${ID}`, 'files.delete', async (ctx) => {
      sendJson(ctx.res, 200, await files.delete(await ctx.principal(), ctx.params[0]));
    }),
  ];
}
