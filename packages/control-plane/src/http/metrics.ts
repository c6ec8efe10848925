import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portico_cp_' });
  return {
    registry,
    requests: new Histogram({
      name: 'portico_cp_http_request_duration_seconds',
      help: 'Control-plane HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
      registers: [registry],
    }),
    analyticsRows: new Counter({
      name: 'portico_cp_analytics_rows_total',
      help: 'Analytics rows received from gateways, by result (stored, duplicate)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    longPolls: new Gauge({ name: 'portico_cp_sync_long_polls', help: 'Gateways waiting on a sync long poll', registers: [registry] }),
    secretReads: new Counter({
      name: 'portico_cp_secret_reference_reads_total',
      help: 'Reads of secret-reference values from their secret managers, by manager and result (ok, error)',
      labelNames: ['manager', 'result'] as const,
      registers: [registry],
    }),
    usageAlerts: new Counter({
      name: 'portico_cp_usage_alerts_total',
      help: 'Usage-limit alerts recorded (once per policy entity and period), by kind (threshold: alert_threshold reached; exhausted: credit_limit spent)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    mcpConnections: new Counter({
      name: 'portico_cp_mcp_connections_total',
      help: 'Connections to MCP servers (test, capability sync), by result (ok, error)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}
