/**
 * Connection health of the shared Redis: ok while connected and answering, degraded (with the reason)
 * while reconnecting or after several failed / timed-out commands in a row.
 */

/** The subset of a pino logger this module uses. */
export interface StateLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Redis could not be used for this call; callers bypass the cache or apply the limits fail mode. */
export class RedisUnavailableError extends Error {
  constructor(message: string, readonly timedOut = false, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RedisUnavailableError';
  }
}

/** redis://user:secret@host:6379 → redis://user:***@host:6379. Never log a Redis URL any other way. */
export function redactRedisUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    // Not parseable: drop everything between :// and the last @ to be safe.
    return raw.replace(/\/\/[^/]*@/, '//***@');
  }
}

/** Consecutive failed commands after which health says degraded even though the socket is up. */
const DEGRADED_AFTER = 3;
/**
 * A standalone socket is presumed half-open (peer gone without a FIN/RST, as when a node is replaced)
 * and reconnected after this many timeouts in a row with no reply at all, not even a late one, for
 * SILENT_MS. A busy but alive Redis keeps answering late and is left alone: reconnecting would only
 * fail every in-flight command.
 */
const RECONNECT_AFTER_TIMEOUTS = 5;
const SILENT_MS = 3000;
const RECONNECT_MIN_INTERVAL_MS = 5000;

export class StateHealth {
  private failures = 0;
  private timeouts = 0;
  private lastError?: string;
  /** Why the connection itself failed (handshake, auth, refused), kept apart from command errors. */
  private connError?: string;
  private lastForcedReconnect = 0;
  private lastReplyAt = Date.now();
  private down = false;

  constructor(private readonly target: string, private readonly logger?: StateLogger) {}

  failed(err: Error, role: string): void {
    this.connError = scrub(err.message);
    // ioredis emits an error per reconnect attempt; log the first one of an outage only.
    if (!this.down) this.logger?.warn({ redis: this.target, role, err: this.connError }, 'redis: connection error; the gateway keeps serving without it and reconnects with backoff');
    this.down = true;
  }

  connected(role: string): void {
    if (this.down) this.logger?.info({ redis: this.target, role }, 'redis: connected again');
    this.down = false;
    this.connError = undefined;
    this.lastReplyAt = Date.now();
    this.failures = 0;
    this.timeouts = 0;
  }

  disconnected(_role: string): void {
    this.down = true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.timeouts = 0;
    this.lastReplyAt = Date.now();
  }

  /** A reply arrived after its caller had given up: Redis is slow, not gone. */
  recordLateReply(): void {
    this.lastReplyAt = Date.now();
  }

  /** Returns true when the caller should force a reconnect (too many timeouts in a row). */
  recordFailure(err: Error & { timedOut?: boolean }): boolean {
    this.failures++;
    this.lastError = scrub(err.message);
    if (!err.timedOut) return false;
    this.timeouts++;
    const now = Date.now();
    if (this.timeouts >= RECONNECT_AFTER_TIMEOUTS && now - this.lastReplyAt > SILENT_MS && now - this.lastForcedReconnect > RECONNECT_MIN_INTERVAL_MS) {
      this.lastForcedReconnect = now;
      this.timeouts = 0;
      return true;
    }
    return false;
  }

  report(status: string): { status: 'ok' | 'degraded'; detail?: string } {
    if (status !== 'ready') {
      const why = this.connError ?? this.lastError;
      return { status: 'degraded', detail: `redis ${this.target} is ${status}${why ? ` (last error: ${why})` : ''}; cache bypassed, limits in their fail mode` };
    }
    if (this.failures >= DEGRADED_AFTER) {
      return { status: 'degraded', detail: `redis ${this.target}: ${this.failures} commands in a row failed (last: ${this.lastError})` };
    }
    return { status: 'ok' };
  }
}

/** ioredis messages carry host:port, never the password; strip anything URL-shaped with credentials anyway. */
function scrub(message: string): string {
  return message.replace(/(rediss?:\/\/[^\s:@/]*:)([^\s@]+)@/g, (m, user: string, pass: string) => (pass === '***' ? m : `${user}***@`));
}
