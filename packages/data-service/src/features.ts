import type { Route } from './http/server.js';
import type { DataServiceDeps } from './app.js';

/** Files, batches and fine-tuning: their routes, job scan and shutdown, wired in one place. */
export interface DataFeatures {
  routes: Route[];
  scan(): Promise<void>;
  close(): Promise<void>;
}

export function createDataFeatures(_deps: DataServiceDeps): DataFeatures {
  return { routes: [], scan: async () => undefined, close: async () => undefined };
}
