import { Counter, Gauge, type Registry } from 'prom-client';
import type { SemanticCache } from '../cache/semantic-cache.js';

/**
 * The semantic cache in /metrics, read at scrape time (nothing on the request path): its index size,
 * and its embedding calls and Redis syncs by outcome. Hits and misses are in portico_cache_results_total
 * (result="SEMANTIC HIT" / "SEMANTIC MISS", beside the exact "HIT" / "MISS").
 */
export function registerSemanticMetrics(registry: Registry, cache: SemanticCache): void {
  new Gauge({
    name: 'portico_semantic_cache_entries', help: 'Entries in this process\'s semantic-cache index.', registers: [registry],
    collect() {
      this.set(cache.index.size);
    },
  });
  new Gauge({
    name: 'portico_semantic_cache_bytes', help: 'Bytes of entries in this process\'s semantic-cache index (bounded by SEMANTIC_CACHE_MAX_BYTES).', registers: [registry],
    collect() {
      this.set(cache.index.bytes);
    },
  });
  const reported = { ok: 0, failed: 0, sync: 0 };
  new Counter({
    name: 'portico_semantic_cache_embeddings_total', help: 'Embedding calls of semantic-cache lookups by outcome; a failed one is served by exact matching.', labelNames: ['outcome'], registers: [registry],
    collect() {
      this.inc({ outcome: 'ok' }, cache.counts.embedOk - reported.ok);
      this.inc({ outcome: 'failed' }, cache.counts.embedFailed - reported.failed);
      reported.ok = cache.counts.embedOk;
      reported.failed = cache.counts.embedFailed;
    },
  });
  new Counter({
    name: 'portico_semantic_cache_sync_failures_total', help: 'Semantic-cache reads and writes of the shared Redis index that failed (this replica\'s own entries still serve).', registers: [registry],
    collect() {
      this.inc(cache.counts.syncFailed - reported.sync);
      reported.sync = cache.counts.syncFailed;
    },
  });
}
