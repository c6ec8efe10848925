import { catalogued, GatewayError } from '@portico/contract';
import type { Logger } from 'pino';
import type { Envelope } from '../crypto/envelope.js';
import type { Database } from '../db/types.js';
import { EgressRefused, type Egress } from '../egress/connect.js';
import { parse, type ResourceRow } from '../store/resources.js';
import { fetchAwsSecret, SecretFetchError } from './aws.js';
import { fetchVaultSecret } from './vault.js';
import { fetchAzureSecret } from './azure.js';
import { parseAuthConfig, type ManagerType } from './schema.js';

/**
 * Resolved secret-reference values, held by the control plane only. A value is fetched when a
 * mapping is saved (so a bad reference is refused at once), then kept fresh by the refresher; the
 * sync builders only peek, so no secret manager is called while a snapshot is built, and never by
 * a gateway. Entries are fresh for the TTL; when a refresh fails the last value serves up to ten
 * TTLs, then is dropped (the credential stops being served rather than serving forever). The cache
 * holds at most MAX_ENTRIES references; one fetch per reference runs at a time.
 */
export interface SecretReferenceSettings {
  ttlMs: number;
  awsEndpoint?: string;
  /** Operator-set Entra ID authority in place of https://login.microsoftonline.com. */
  azureAuthority?: string;
  allowServiceRole: boolean;
}

interface Entry {
  version: string;
  value: string;
  fetchedAt: number;
}

const MAX_ENTRIES = 10_000;

export interface ReferenceData {
  manager_type: ManagerType;
  auth_config: Record<string, unknown>;
  secret_path: string;
  secret_key?: string | null;
  allow_all_workspaces: boolean;
  allowed_workspaces: string[];
  description?: string | null;
  tags?: Record<string, string> | null;
  created_by?: string;
}

export function referenceError(ref: Pick<ResourceRow, 'slug'>, reason: string): GatewayError {
  return catalogued('secret_reference_unresolved', `Secret reference "${ref.slug}" could not be resolved: ${reason}`, { param: 'secret_mappings' });
}

export class SecretValues {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly envelope: Envelope, private readonly egress: Egress, readonly settings: SecretReferenceSettings, private readonly log: Logger,
    private readonly onRead: (manager: string, ok: boolean) => void = () => undefined,
  ) {}

  /** The value a build may use: fresh, or stale within ten TTLs of its fetch; undefined otherwise. */
  peek(ref: Pick<ResourceRow, 'id' | 'last_updated_at'>): string | undefined {
    const e = this.cache.get(ref.id);
    if (!e || e.version !== ref.last_updated_at) return undefined;
    return Date.now() - e.fetchedAt < this.settings.ttlMs * 10 ? e.value : undefined;
  }

  needsRefresh(ref: Pick<ResourceRow, 'id' | 'last_updated_at'>): boolean {
    const e = this.cache.get(ref.id);
    return !e || e.version !== ref.last_updated_at || Date.now() - e.fetchedAt >= this.settings.ttlMs;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Fetches (unless fresh) and caches a reference's raw value; throws a 502 naming the reference. */
  async resolve(ref: ResourceRow, force = false): Promise<string> {
    if (!force && !this.needsRefresh(ref)) return this.cache.get(ref.id)!.value;
    const key = `${ref.id}\u0000${ref.last_updated_at}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetch(ref).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Reads a reference's value without caching it (to check new settings before they are saved). */
  read(ref: ResourceRow): Promise<string> {
    return this.fetchRaw(ref);
  }

  /** Caches a value read for a row version (the version an update just wrote). */
  seed(ref: Pick<ResourceRow, 'id' | 'last_updated_at'>, value: string): void {
    this.store(ref, value);
  }

  private store(ref: Pick<ResourceRow, 'id' | 'last_updated_at'>, value: string): void {
    if (this.cache.size >= MAX_ENTRIES && !this.cache.has(ref.id)) this.cache.delete(this.cache.keys().next().value!);
    this.cache.delete(ref.id);
    this.cache.set(ref.id, { version: ref.last_updated_at, value, fetchedAt: Date.now() });
  }

  private async fetch(ref: ResourceRow): Promise<string> {
    const value = await this.fetchRaw(ref);
    this.store(ref, value);
    return value;
  }

  private async fetchRaw(ref: ResourceRow): Promise<string> {
    const d = parse<ReferenceData>(ref.data);
    let value: string;
    try {
      const sealed = ref.secret ? (JSON.parse(this.envelope.decrypt(ref.secret)) as Record<string, unknown>) : {};
      const auth = parseAuthConfig(d.manager_type, { ...d.auth_config, ...sealed }, this.settings.allowServiceRole);
      value = 'vault_addr' in auth ? await fetchVaultSecret(auth, d.secret_path, this.egress)
        : 'azure_vault_url' in auth ? await fetchAzureSecret(auth, d.secret_path, this.egress, this.settings.azureAuthority)
        : await fetchAwsSecret(auth, d.secret_path, { egress: this.egress, endpoint: this.settings.awsEndpoint });
      this.onRead(d.manager_type, true);
    } catch (e) {
      this.onRead(d.manager_type, false);
      const known = e instanceof SecretFetchError || e instanceof GatewayError || e instanceof EgressRefused;
      const reason = known ? (e as Error).message : 'the secret manager could not be reached';
      if (!known) this.log.warn({ reference: ref.slug, err: { name: (e as Error).name } }, 'secret reference fetch failed');
      throw referenceError(ref, reason);
    }
    return value;
  }
}

/** Reads one field of a resolved value: the whole string, or `secretKey` of a JSON object; `json` parses it. Errors name the reference, never the value. */
export function extractValue(ref: Pick<ResourceRow, 'slug'>, raw: string, secretKey: string | null | undefined, format: 'json' | 'string' | null | undefined): unknown {
  let value: unknown = raw;
  if (secretKey) {
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      throw referenceError(ref, `the secret is not a JSON object, so secret_key "${secretKey}" cannot be read from it`);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj) || !(secretKey in obj)) throw referenceError(ref, `the secret has no key "${secretKey}"`);
    value = (obj as Record<string, unknown>)[secretKey];
  }
  if (format === 'json' && typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      throw referenceError(ref, 'value_format is "json" but the value is not JSON');
    }
  }
  return typeof value === 'string' || format === 'json' ? value : JSON.stringify(value);
}
