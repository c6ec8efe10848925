import { Counter, Gauge, register as globalRegister, type Registry } from 'prom-client';

/** Metrics of the log stores. One set per Registry, so several stores (and tests) can share it. */
export interface LogStoreMetrics {
  written: Counter<'store'>;
  spilled: Counter<'store'>;
  replayed: Counter<'store'>;
  dropped: Counter<'store' | 'reason'>;
  queueDepth: Gauge<'store'>;
  spillBytes: Gauge<'store'>;
  /**
   * Registers a live store's queue depth, read when metrics are scraped (a gauge update per write()
   * would cost more than the write itself). Returns the function that unregisters it.
   */
  addQueueDepthSource(store: string, depth: () => number): () => void;
}

const byRegistry = new WeakMap<Registry, LogStoreMetrics>();

export function logStoreMetrics(registry: Registry = globalRegister): LogStoreMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const sources = new Set<{ store: string; depth: () => number }>();
  const m: LogStoreMetrics = {
    written: new Counter({ name: 'portico_log_documents_written_total', help: 'Log documents stored durably (first try).', labelNames: ['store'], registers }),
    spilled: new Counter({ name: 'portico_log_documents_spilled_total', help: 'Log documents written to the local spill directory because the store failed or shutdown ran out of time.', labelNames: ['store'], registers }),
    replayed: new Counter({ name: 'portico_log_documents_replayed_total', help: 'Spilled log documents later uploaded to the store.', labelNames: ['store'], registers }),
    dropped: new Counter({ name: 'portico_log_documents_dropped_total', help: 'Log documents lost because the queue and the spill directory were both full.', labelNames: ['store', 'reason'], registers }),
    queueDepth: new Gauge({
      name: 'portico_log_queue_depth',
      help: 'Log documents in memory that are not yet durable (queued, batching or uploading).',
      labelNames: ['store'],
      registers,
      collect() {
        const sums = new Map<string, number>();
        for (const s of sources) sums.set(s.store, (sums.get(s.store) ?? 0) + s.depth());
        for (const [store, n] of sums) this.set({ store }, n);
      },
    }),
    spillBytes: new Gauge({ name: 'portico_log_spill_bytes', help: 'Bytes waiting in the spill directory.', labelNames: ['store'], registers }),
    addQueueDepthSource(store, depth) {
      const entry = { store, depth };
      sources.add(entry);
      return () => {
        sources.delete(entry);
      };
    },
  };
  byRegistry.set(registry, m);
  return m;
}
