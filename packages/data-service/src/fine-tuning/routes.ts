import { limitParam, queryOf, readJsonObject, refuseUnknownQuery, sendJson } from '../http/respond.js';
import { route, type Route } from '../http/server.js';
import type { FineTuneService } from './service.js';

/** OpenAI's fine-tuning jobs API, run on OpenAI, Bedrock or Vertex AI; and Portico's dataset builder. */
export function fineTuneRoutes(svc: FineTuneService, maxJsonBytes: number): Route[] {
  return [
    route('POST', '/v1/fine_tuning/jobs', 'fine_tuning.create', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, await svc.create(p, await readJsonObject(ctx.req, maxJsonBytes)));
    }),
    route('GET', '/v1/fine_tuning/jobs', 'fine_tuning.list', async (ctx) => {
      const q = queryOf(ctx.url);
      refuseUnknownQuery(q, ['after', 'limit']);
      sendJson(ctx.res, 200, await svc.list(await ctx.principal(), q.get('after'), limitParam(q, 20, 100)));
    }),
    route('GET', '/v1/fine_tuning/jobs/([^/]+)', 'fine_tuning.retrieve', async (ctx) => {
      sendJson(ctx.res, 200, await svc.retrieve(await ctx.principal(), ctx.params[0]));
    }),
    route('POST', '/v1/fine_tuning/jobs/([^/]+)/cancel', 'fine_tuning.cancel', async (ctx) => {
      ctx.req.resume();
      sendJson(ctx.res, 200, await svc.cancel(await ctx.principal(), ctx.params[0]));
    }),
    route('GET', '/v1/fine_tuning/jobs/([^/]+)/events', 'fine_tuning.events', async (ctx) => {
      const q = queryOf(ctx.url);
      refuseUnknownQuery(q, ['after', 'limit']);
      sendJson(ctx.res, 200, await svc.events(await ctx.principal(), ctx.params[0], q.get('after'), limitParam(q, 20, 100)));
    }),
    route('POST', '/v1/fine_tuning/datasets', 'fine_tuning.datasets', async (ctx) => {
      const p = await ctx.principal();
      sendJson(ctx.res, 200, await svc.buildDataset(p, await readJsonObject(ctx.req, maxJsonBytes)));
    }),
  ];
}
