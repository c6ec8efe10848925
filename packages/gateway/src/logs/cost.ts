import { estimateCost } from '../pricing/index.js';
import type { Usage } from '../providers/types.js';

/** Cost estimate for a log document; a pricing failure must never lose the document. */
export function estimateCostSafe(provider: string, model: string, usage: Usage): { usd: number; priced: boolean } {
  try {
    return estimateCost(provider, model, usage);
  } catch {
    return { usd: 0, priced: false };
  }
}

/**
 * The cost of what a request used: priced at the model the provider says it served when the price
 * table knows it (a dated snapshot can cost more than its family), else at the model it was sent.
 */
export function costOfUsage(provider: string, sent: string | undefined, served: string | undefined, usage: Usage): { usd: number; priced: boolean } {
  if (served && served !== sent) {
    const atServed = estimateCostSafe(provider, served, usage);
    if (atServed.priced) return atServed;
  }
  return sent ? estimateCostSafe(provider, sent, usage) : { usd: 0, priced: false };
}
