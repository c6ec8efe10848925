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
