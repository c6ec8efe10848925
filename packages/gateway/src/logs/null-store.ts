import type { LogDocument, LogStore } from './types.js';

/** LOG_STORE=none: request logging switched off on purpose. Nothing is kept, nothing is counted as lost. */
export class NullLogStore implements LogStore {
  readonly kind = 'none';
  write(_doc: LogDocument): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  async get(): Promise<LogDocument | undefined> {
    return undefined;
  }
  async *list(): AsyncIterable<LogDocument> {}
  health() {
    return { status: 'ok' as const };
  }
}
