import type { LogDocument } from '@portico/contract';

export type { LogDocument };
export interface LogQuery {
  from: Date;
  to: Date;
  limit?: number;
}

/** Where log documents go. Implementations: file (default), s3. */
export interface LogStore {
  readonly kind: string;
  /**
   * Enqueue a document. Never blocks and never throws: when every bound is exhausted it counts a drop.
   * line, when given, is the document already redacted and serialised as one NDJSON line (no newline):
   * it is stored as is, and doc only supplies the id and times.
   */
  write(doc: LogDocument, line?: string): void;
  /** Flush everything buffered, up to the deadline. Resolves when done or when the deadline passes. */
  flush(deadlineMs: number): Promise<void>;
  /** Flush and release resources (on shutdown). */
  close(deadlineMs: number): Promise<void>;
  /** A document by id, or undefined. */
  get(id: string): Promise<LogDocument | undefined>;
  /** Documents in a time range, oldest first, streamed. */
  list(query: LogQuery): AsyncIterable<LogDocument>;
  /** Health for /v1/health: 'ok' or 'degraded' with a reason. */
  health(): { status: 'ok' | 'degraded'; detail?: string };
}
