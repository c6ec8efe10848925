import { GatewayError } from '../../errors.js';
import type { FramerKind } from '../../providers/types.js';
import type { Framer } from '../types.js';
import { createAwsEventStreamFramer } from './aws-eventstream.js';
import { createNdjsonFramer } from './ndjson.js';
import { createSseFramer } from './sse.js';

const factories: Partial<Record<FramerKind, () => Framer>> = {
  sse: createSseFramer,
  eventstream: () => createAwsEventStreamFramer(),
  ndjson: () => createNdjsonFramer(),
};

/** The framer for an upstream's stream format (SSE, AWS event-stream, NDJSON). */
export function createFramer(kind: FramerKind): Framer {
  const factory = factories[kind];
  if (!factory) throw new GatewayError({ status: 500, type: 'server_error', code: 'framer_missing', message: `No stream framer exists for ${kind}.` });
  return factory();
}
