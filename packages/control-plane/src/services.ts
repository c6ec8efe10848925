import type { Logger } from 'pino';
import type { Envelope } from './crypto/envelope.js';
import type { Database } from './db/types.js';
import type { Egress } from './egress/connect.js';
import type { Metrics } from './http/metrics.js';
import type { UsageAlerts } from './policies/alerts.js';
import type { SecretRefresher } from './secret-references/refresher.js';
import type { SecretValues } from './secret-references/resolver.js';
import type { ChangeFeed } from './sync/feed.js';

export interface Services {
  db: Database;
  envelope: Envelope;
  feed: ChangeFeed;
  log: Logger;
  metrics: Metrics;
  /** The organisation created at first start. */
  bootstrapOrganisationId: string;
  /** Outbound connections (secret managers, MCP servers) under the egress policy. */
  egress: Egress;
  /** Resolved secret-reference values (control plane only) and what keeps them fresh. */
  secretValues: SecretValues;
  secretRefresher?: SecretRefresher;
  /** Usage-limit alert checks (tests run a pass at will). */
  usageAlerts?: UsageAlerts;
}
