/**
 * Access tokens by identity (a hash of the identity and its secret, never the secret itself), bounded,
 * refreshed before they expire; concurrent callers for one identity share one exchange. Used by the
 * providers whose auth is an OAuth token exchange (Vertex service accounts, Azure Entra).
 */
export interface CachedToken {
  token: string;
  /** Epoch ms after which the token is fetched again (its expiry less a margin). */
  refreshAt: number;
}

export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly max = 256) {}

  async get(key: string, exchange: () => Promise<CachedToken>, now: () => number = Date.now): Promise<string> {
    const hit = this.tokens.get(key);
    if (hit && hit.refreshAt > now()) return hit.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = exchange().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fresh = await pending;
    // Re-inserted so the oldest entry is the least recently refreshed one.
    this.tokens.delete(key);
    if (this.tokens.size >= this.max) this.tokens.delete(this.tokens.keys().next().value as string);
    this.tokens.set(key, fresh);
    return fresh.token;
  }

  clear(): void {
    this.tokens.clear();
  }
}
