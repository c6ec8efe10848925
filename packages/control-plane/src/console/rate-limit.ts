/**
 * Failed sign-ins per client address in a sliding window. Bounded: at most `maxClients` addresses are
 * tracked; when full, the oldest entries go first, and a global cap still applies to everyone.
 */
export class SignInLimiter {
  private readonly failures = new Map<string, number[]>();
  private global: number[] = [];

  constructor(
    private readonly perClient: number,
    private readonly windowMs: number,
    private readonly globalLimit = perClient * 50,
    private readonly maxClients = 10_000,
  ) {}

  /** Milliseconds until this client may try again, or 0 when it may now. */
  retryAfter(client: string, now = Date.now()): number {
    const since = now - this.windowMs;
    this.global = this.global.filter((t) => t > since);
    if (this.global.length >= this.globalLimit) return this.global[0] + this.windowMs - now;
    const list = (this.failures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(client);
    else this.failures.set(client, list);
    return list.length >= this.perClient ? list[0] + this.windowMs - now : 0;
  }

  fail(client: string, now = Date.now()): void {
    this.global.push(now);
    const list = this.failures.get(client) ?? [];
    list.push(now);
    this.failures.delete(client);
    this.failures.set(client, list.slice(-this.perClient));
    while (this.failures.size > this.maxClients) this.failures.delete(this.failures.keys().next().value as string);
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }
}
