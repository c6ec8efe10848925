import type { Logger } from 'pino';
import type { Envelope } from './crypto/envelope.js';
import type { Database } from './db/types.js';
import type { Metrics } from './http/metrics.js';
import type { ChangeFeed } from './sync/feed.js';

export interface Services {
  db: Database;
  envelope: Envelope;
  feed: ChangeFeed;
  log: Logger;
  metrics: Metrics;
  /** The organisation created at first start. */
  bootstrapOrganisationId: string;
}
