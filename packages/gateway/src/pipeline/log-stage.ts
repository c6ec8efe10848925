import type { Logger } from 'pino';
import { buildLogDocument } from '../logs/document.js';
import { newLogId } from '../logs/ids.js';
import type { Redactor } from '../logs/redact.js';
import type { LogStore } from '../logs/types.js';
import type { RequestContext } from './context.js';

/** How long finished requests wait to be logged together, and how many force a batch at once. */
const BATCH_DELAY_MS = 20;
const BATCH_MAX = 256;

/**
 * The log stage: after a response, the request's context is queued, and documents are built, redacted
 * and handed to the log store in small batches. Nothing of it runs between one response and the next
 * request on a connection, and the store never waits on the request path.
 */
export class LogStage {
  private pending: RequestContext[] = [];
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;

  constructor(
    private readonly store: LogStore,
    private readonly redact: Redactor,
    private readonly bodyMaxBytes: number,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  /** Records when the request ended (the document's times) and queues it. */
  write(ctx: RequestContext): void {
    if (this.store.kind === 'none') return;
    ctx.endedAt = performance.now();
    ctx.endedWall = Date.now();
    this.pending.push(ctx);
    if (this.pending.length >= BATCH_MAX) this.immediate ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), BATCH_DELAY_MS);
  }

  /** Builds every queued document now (also before the store closes at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
    const batch = this.pending;
    this.pending = [];
    for (const ctx of batch) {
      try {
        // Ids carry the time the request ended, so S3 batches cover tight, barely overlapping ranges.
        const doc = this.redact(buildLogDocument(ctx, newLogId(ctx.endedWall), this.bodyMaxBytes));
        this.store.write(doc);
      } catch (e) {
        this.logger.error({ err: e, trace_id: ctx.traceId }, 'could not build a log document');
      }
    }
  }
}
