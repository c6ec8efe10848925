import type { Logger } from 'pino';
import { buildLogDocument } from '../logs/document.js';
import { newLogId } from '../logs/ids.js';
import { logDocumentLine, type VerbatimBodies } from '../logs/document-line.js';
import type { LogRedactor } from '../logs/redact.js';
import type { LogDocument, LogStore } from '../logs/types.js';
import type { RequestContext } from './context.js';
import { observeResponse } from './respond-stage.js';
import { addConfigSecrets, addHeaderSecrets, addTargetSecrets, maskSecretsInLine, type IsSecretName } from '../logs/known-secrets.js';

/** Every secret the request carried: its credential headers, its config's, its virtual keys'. */
export function knownSecretsOf(ctx: RequestContext, isSecretName: IsSecretName): string[] {
  const secrets: string[] = [];
  addHeaderSecrets(secrets, ctx.req.headers, isSecretName);
  if (ctx.routingConfig) addConfigSecrets(secrets, ctx.routingConfig, isSecretName);
  for (const t of ctx.savedCredentials ?? []) addTargetSecrets(secrets, t, isSecretName);
  return secrets;
}

/** How long finished requests wait to be logged together, and how many force a batch at once. */
const BATCH_DELAY_MS = 20;
const BATCH_MAX = 256;

/**
 * The log stage: after a response, the request's context is queued, and documents are built, redacted
 * and handed to the log store in small batches on a timer, not after every response; the store never
 * waits on the request path.
 */
export class LogStage {
  private pending: RequestContext[] = [];
  /** Requests begun and not written yet: shutdown waits for them, then writes what is left. */
  private readonly open = new Set<RequestContext>();
  private onSettled?: () => void;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  /** Sees each document once built (usage parsed by then): the token metrics. */
  observe?: (doc: LogDocument) => void;

  constructor(
    private readonly store: LogStore,
    private readonly redact: LogRedactor,
    private readonly bodyMaxBytes: number,
    private readonly logger: Pick<Logger, 'error'>,
    /** Also called with every document built (the analytics row is made from it), after the store has it. */
    private readonly onDocument?: (doc: LogDocument, ctx: RequestContext) => void,
  ) {}

  /** Documents are built when a store keeps them or something else reads them. */
  private get building(): boolean {
    return this.store.kind !== 'none' || this.onDocument !== undefined;
  }

  /** A request has begun: it owes a document, which shutdown waits for (settle). */
  begin(ctx: RequestContext): void {
    if (this.building) this.open.add(ctx);
  }

  /** Records when the request ended (the document's times) and queues it; once per request. */
  write(ctx: RequestContext): void {
    if (!this.building || ctx.logged) return;
    ctx.logged = true;
    if (this.open.delete(ctx) && this.open.size === 0) this.onSettled?.();
    // Set already when the document waited on background guardrail hooks past the request's end.
    ctx.endedAt ??= performance.now();
    ctx.endedWall ??= Date.now();
    this.pending.push(ctx);
    if (this.pending.length >= BATCH_MAX) this.immediate ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), BATCH_DELAY_MS);
  }

  /**
   * At shutdown, after the drain: waits up to `ms` for begun requests to write their documents (one may
   * still be waiting on a guardrail webhook after its response went out), then writes the rest as they
   * stand, so no request goes unlogged.
   */
  async settle(ms: number): Promise<void> {
    if (this.open.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onSettled = resolve;
        timer = setTimeout(resolve, Math.max(0, ms));
      });
      clearTimeout(timer);
      this.onSettled = undefined;
    }
    for (const ctx of [...this.open]) this.write(ctx);
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
        observeResponse(ctx);
        const doc = buildLogDocument(ctx, newLogId(ctx.endedWall), this.bodyMaxBytes);
        if (this.store.kind !== 'none') {
          const line = logDocumentLine(doc, this.redact, this.verbatimBodies(ctx, doc));
          this.store.write(doc, maskSecretsInLine(line, knownSecretsOf(ctx, this.redact.isSecretName)));
        }
        this.observe?.(doc);
        this.onDocument?.(doc, ctx);
      } catch (e) {
        this.logger.error({ err: e, trace_id: ctx.traceId }, 'could not build a log document');
      }
    }
  }

  /**
   * Bodies logged whole that hold nothing to redact go into the line as the bytes the client and the
   * upstream sent (valid JSON: they were parsed), instead of being serialised again from their parsed form.
   */
  private verbatimBodies(ctx: RequestContext, doc: LogDocument): VerbatimBodies {
    const out: VerbatimBodies = {};
    if (ctx.rawBody && doc.request.body !== undefined && doc.request.body === ctx.body && !doc.request.body_truncated) {
      out.request = this.verbatim(ctx.body, ctx.rawBody);
    }
    const res = doc.response;
    if (ctx.responseForLog && res.body !== undefined && res.body === ctx.responseParsedForLog && !res.body_truncated) {
      out.response = this.verbatim(res.body, ctx.responseForLog);
    }
    return out;
  }

  /** The body's text when it can go in as is, else undefined (it is redacted from its parsed form). */
  private verbatim(parsed: unknown, bytes: Buffer): string | undefined {
    const text = bytes.toString('utf8');
    // The raw text is checked too: duplicate keys could hide a secret that the parsed form dropped.
    // Most bodies: one scan of the text instead of a walk of the parsed form and a scan of the text.
    const clean = this.redact.provablyClean(text) || !(this.redact.needsRedaction(parsed) || this.redact.needsRedaction(text));
    if (!clean) return undefined;
    // Raw newlines in JSON text are whitespace outside strings (inside, they would be escaped).
    return text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, ' ') : text;
  }
}
