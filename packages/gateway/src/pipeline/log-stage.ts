import { buildLogDocument } from '../logs/document.js';
import { newLogId } from '../logs/ids.js';
import type { RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';

/** Builds, redacts and enqueues the log document after the response, off the request's critical path. */
export function writeLogDocument(deps: GatewayDeps, ctx: RequestContext): void {
  if (deps.logStore.kind === 'none') return;
  setImmediate(() => {
    try {
      // Ids carry the time the document was built, so S3 batches cover tight, barely overlapping ranges.
      const id = newLogId();
      const doc = deps.redact(buildLogDocument(ctx, id, deps.logBodyMaxBytes));
      deps.logStore.write(doc);
    } catch (e) {
      deps.logger.error({ err: e, trace_id: ctx.traceId }, 'could not build a log document');
    }
  });
}
