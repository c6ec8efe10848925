import { limitParam, queryOf, readJsonObject, refuseUnknownQuery, sendJson } from '../http/respond.js';
import { route, type Route } from '../http/server.js';
import type { BatchService } from './service.js';

/** OpenAI's Batch API, run by the data service on any provider through the gateway. */
export function batchRoutes(batches: BatchService, maxJsonBytes: number): Route[] {
  return [
    route('POST', '/v1/batches', 'batches.create', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, await batches.create(p, await readJsonObject(ctx.req, maxJsonBytes), ctx.req));
    }),
    route('GET', '/v1/batches', 'batches.list', async (ctx) => {
      const q = queryOf(ctx.url);
      refuseUnknownQuery(q, ['after', 'limit']);
      sendJson(ctx.res, 200, await batches.list(await ctx.principal(), q.get('after'), limitParam(q, 20, 100)));
    }),
    route('GET', '/v1/batches/([^/]+)', 'batches.retrieve', async (ctx) => {
      sendJson(ctx.res, 200, await batches.retrieve(await ctx.principal(), ctx.params[0]));
    }),
    route('POST', '/v1/batches/([^/]+)/cancel', 'batches.cancel', async (ctx) => {
      ctx.req.resume();
      sendJson(ctx.res, 200, await batches.cancel(await ctx.principal(), ctx.params[0]));
    }),
  ];
}
