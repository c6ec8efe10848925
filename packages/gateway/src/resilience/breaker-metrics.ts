import { Counter, Gauge, type Registry } from 'prom-client';
import type { CircuitBreakers } from './breaker.js';

const STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * portico_circuit_breaker_state{config,target}: 0 closed, 1 half-open, 2 open, as this replica last
 * saw it (at most the breakers CircuitBreakers tracks, 200 by default, so the series are bounded).
 * portico_circuit_breaker_opened_total{config,target}: times this replica saw a breaker open.
 */
export function registerBreakerMetrics(registry: Registry, breakers: CircuitBreakers): (config: string, target: string) => void {
  new Gauge({
    name: 'portico_circuit_breaker_state',
    help: 'Circuit breaker state per config and target: 0 closed, 1 half-open, 2 open.',
    labelNames: ['config', 'target'],
    registers: [registry],
    collect() {
      this.reset();
      for (const v of breakers.views()) this.set({ config: v.config, target: v.target }, STATE_VALUE[v.state]);
    },
  });
  const opened = new Counter({ name: 'portico_circuit_breaker_opened_total', help: 'Circuit breakers this replica saw open, per config and target.', labelNames: ['config', 'target'], registers: [registry] });
  return (config, target) => opened.inc({ config, target });
}
