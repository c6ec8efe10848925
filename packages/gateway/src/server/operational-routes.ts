import type { ServerResponse } from 'node:http';
import type { GatewayDeps } from '../pipeline/deps.js';
import { sendJson } from './respond.js';
import type { ServerState } from './http-server.js';

/**
 * /health and /v1/health for the load balancer. A degraded dependency (Redis, S3) keeps the answer
 * 200 with status "degraded": the gateway still serves. Draining on SIGTERM answers 503 so the
 * load balancer stops sending new requests.
 */
export function handleHealth(deps: GatewayDeps, state: ServerState, res: ServerResponse): void {
  const dependencies = {
    cache: deps.cache.health(),
    limits: deps.limiter.health(),
    log_store: deps.logStore.health(),
    entities: deps.entities.health(),
    ...(deps.analytics ? { analytics: deps.analytics.health() } : {}),
  };
  const degraded = Object.values(dependencies).some((d) => d.status !== 'ok');
  const status = state.draining ? 'draining' : degraded ? 'degraded' : 'ok';
  sendJson(res, state.draining ? 503 : 200, {
    status,
    uptime_s: Math.round((Date.now() - state.startedAt) / 1000),
    dependencies: {
      cache: { kind: deps.cache.kind, ...dependencies.cache },
      limits: { kind: deps.limiter.kind, ...dependencies.limits },
      log_store: { kind: deps.logStore.kind, ...dependencies.log_store },
      entities: { kind: deps.entities.kind, ...dependencies.entities },
      ...(dependencies.analytics ? { analytics: { kind: 'control-plane', ...dependencies.analytics } } : {}),
    },
    // Open breakers are the upstreams' trouble, not the gateway's: reported, without degrading it.
    circuit_breakers: deps.breakers.health(),
    loadbalance_targets: deps.targetHealth.view(),
  });
}

export async function handleMetrics(deps: GatewayDeps, res: ServerResponse): Promise<void> {
  const text = await deps.metrics.registry.metrics();
  res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
