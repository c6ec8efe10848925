import type { Route } from '../http/router.js';
import { Reply } from '../http/router.js';

export function healthRoutes(isDraining: () => boolean): Route[] {
  return [
    { method: 'GET', path: '/v1/health', access: { kind: 'public' }, summary: 'Health: database reachability; 503 while draining', handler: async (ctx) => {
      let database = 'ok';
      try {
        await ctx.services.db.get('SELECT 1 AS ok');
      } catch {
        database = 'down';
      }
      const ok = database === 'ok' && !isDraining();
      return new Reply(ok ? 200 : 503, { status: ok ? 'ok' : isDraining() ? 'draining' : 'degraded', database: ctx.services.db.dialect, checks: { database } });
    } },
    { method: 'GET', path: '/health', access: { kind: 'public' }, summary: 'Health (alias of /v1/health)', handler: async (ctx) => {
      const r = await healthRoutes(isDraining)[0].handler(ctx);
      return r;
    } },
    { method: 'GET', path: '/metrics', access: { kind: 'public' }, summary: 'Prometheus metrics', handler: async (ctx) => {
      const text = await ctx.services.metrics.registry.metrics();
      ctx.res.writeHead(200, { 'content-type': ctx.services.metrics.registry.contentType });
      ctx.res.end(text);
      return undefined;
    } },
  ];
}
