import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { LimitRule } from '../limits/types.js';
import type { EntityStore, GatewayKey, Prompt, SavedConfig, VirtualKey } from './types.js';

/**
 * The embedded entity store: one declarative YAML file (ENTITIES_FILE). Gateway keys are stored as
 * SHA-256 hashes (or named by an env var holding the key); provider secrets are env-var references
 * (`${OPENAI_API_KEY}`), never literals. The file is re-read when it changes; a bad file keeps the
 * last good one and logs why.
 */
const limitRule = z.object({
  kind: z.enum(['requests', 'tokens', 'cost']),
  limit: z.number().positive(),
  window: z.enum(['minute', 'hour', 'day', 'month']),
});

const envRef = z.string().regex(/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/, 'must be an environment variable reference such as ${OPENAI_API_KEY}; secrets are not stored in this file');

const fileSchema = z.object({
  keys: z.array(z.object({
    id: z.string().min(1),
    key_hash: z.string().regex(/^[a-f0-9]{64}$/, 'must be the lowercase hex SHA-256 of the key').optional(),
    key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    name: z.string().optional(),
    scopes: z.array(z.string()).default(['completions']),
    workspace: z.string().optional(),
    defaults: z.object({ config: z.string().optional(), metadata: z.record(z.string(), z.string()).optional() }).optional(),
    limits: z.array(limitRule).optional(),
  }).refine((k) => k.key_hash || k.key_env, 'each key needs key_hash or key_env')).default([]),
  virtual_keys: z.array(z.object({
    slug: z.string().min(1),
    provider: z.string().min(1),
    api_key: envRef.optional(),
    settings: z.record(z.string(), z.union([z.string(), envRef])).default({}),
    workspace: z.string().optional(),
    limits: z.array(limitRule).optional(),
  })).default([]),
  configs: z.array(z.object({ id: z.string().min(1), workspace: z.string().optional(), config: z.record(z.string(), z.unknown()) })).default([]),
  prompts: z.array(z.object({ id: z.string().min(1), template: z.unknown() })).default([]),
  user_limits: z.record(z.string(), z.array(limitRule)).default({}),
});

interface Snapshot {
  keysByHash: Map<string, GatewayKey>;
  virtualKeys: Map<string, VirtualKey>;
  configs: Map<string, SavedConfig>;
  prompts: Map<string, Prompt>;
  userLimits: Map<string, LimitRule[]>;
}

const EMPTY: Snapshot = { keysByHash: new Map(), virtualKeys: new Map(), configs: new Map(), prompts: new Map(), userLimits: new Map() };

function resolveEnvRef(value: string, env: NodeJS.ProcessEnv, where: string): string {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
  if (!m) return value;
  const v = env[m[1]];
  if (v === undefined || v === '') throw new Error(`${where} refers to environment variable ${m[1]}, which is not set`);
  return v;
}

/** Parses and resolves the file's text; throws an Error naming the first problem. */
export function parseEntitiesFile(text: string, env: NodeJS.ProcessEnv = process.env): Snapshot {
  const raw = parseYaml(text) ?? {};
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const f = parsed.data;
  const snap: Snapshot = { keysByHash: new Map(), virtualKeys: new Map(), configs: new Map(), prompts: new Map(), userLimits: new Map() };
  for (const k of f.keys) {
    let hash = k.key_hash;
    if (!hash) {
      const secret = env[k.key_env!];
      if (!secret) throw new Error(`keys.${k.id}: environment variable ${k.key_env} is not set`);
      hash = createHash('sha256').update(secret).digest('hex');
    }
    snap.keysByHash.set(hash, { id: k.id, hash, name: k.name, scopes: k.scopes, workspace: k.workspace, defaults: k.defaults, limits: k.limits });
  }
  for (const vk of f.virtual_keys) {
    const settings: Record<string, string> = {};
    for (const [name, value] of Object.entries(vk.settings)) settings[name] = resolveEnvRef(value, env, `virtual_keys.${vk.slug}.settings.${name}`);
    snap.virtualKeys.set(vk.slug, {
      slug: vk.slug,
      provider: vk.provider,
      apiKey: vk.api_key ? resolveEnvRef(vk.api_key, env, `virtual_keys.${vk.slug}.api_key`) : undefined,
      settings,
      workspace: vk.workspace,
      limits: vk.limits,
    });
  }
  for (const c of f.configs) snap.configs.set(c.id, { id: c.id, workspace: c.workspace, json: JSON.stringify(c.config) });
  for (const p of f.prompts) snap.prompts.set(p.id, { id: p.id, template: p.template });
  for (const [user, rules] of Object.entries(f.user_limits)) snap.userLimits.set(user, rules);
  return snap;
}

export class FileEntityStore implements EntityStore {
  readonly kind = 'file';
  private snap: Snapshot = EMPTY;
  private lastError?: string;
  private readonly listeners: Array<() => void> = [];

  private constructor(private readonly path: string, private readonly log: (level: 'info' | 'error', msg: string) => void) {}

  /** Loads the file (a bad file at start is fatal: better than serving with no auth) and watches it. */
  static async open(path: string, log: (level: 'info' | 'error', msg: string) => void, pollMs = 1000): Promise<FileEntityStore> {
    const store = new FileEntityStore(path, log);
    store.snap = parseEntitiesFile(await readFile(path, 'utf8'));
    watchFile(path, { interval: pollMs, persistent: false }, () => void store.reload());
    return store;
  }

  /** An empty store: no keys, so no gateway auth (the embedded default). */
  static empty(): FileEntityStore {
    return new FileEntityStore('', () => undefined);
  }

  async reload(): Promise<void> {
    try {
      this.snap = parseEntitiesFile(await readFile(this.path, 'utf8'));
      this.lastError = undefined;
      this.log('info', `entities reloaded from ${this.path}`);
      for (const l of this.listeners) l();
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log('error', `entities file ${this.path} is invalid, keeping the last good version: ${this.lastError}`);
    }
  }

  authRequired(): boolean {
    return this.snap.keysByHash.size > 0;
  }
  async findKeyByHash(hash: string) {
    return this.snap.keysByHash.get(hash);
  }
  async getVirtualKey(slug: string) {
    return this.snap.virtualKeys.get(slug);
  }
  async getConfig(id: string) {
    return this.snap.configs.get(id);
  }
  async getPrompt(id: string) {
    return this.snap.prompts.get(id);
  }
  async userLimits(user: string) {
    return this.snap.userLimits.get(user) ?? this.snap.userLimits.get('*');
  }
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
  health() {
    return this.lastError ? { status: 'degraded' as const, detail: `entities file invalid, serving the last good version: ${this.lastError}` } : { status: 'ok' as const };
  }
  async close(): Promise<void> {
    if (this.path) unwatchFile(this.path);
  }
}
