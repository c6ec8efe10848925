import type { LogRow } from '@portico/contract';
/** Shapes the console reads from the control plane: Portkey's Admin API plus the console's own session routes. */

export interface Session {
  signed_in: true;
  /** Who is signed in: the API key's name, or the OIDC user's email. */
  name: string;
  /** org_admin sees every workspace; workspace roles see their own. */
  role: 'org_admin' | 'workspace_admin' | 'member';
  organisation: string;
  /** Workspaces this session may open (slugs). Empty for org admins: they see all. */
  workspaces: string[];
  csrf_token: string;
  /** How the session was made. */
  method: 'api_key' | 'password' | 'oidc';
  can_set_password: boolean;
}

export interface SignInOptions {
  oidc: boolean;
}

export interface ListResponse<T> {
  object?: string;
  total?: number;
  data: T[];
}

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  description?: string;
  created_at?: string;
}

export interface WorkspaceMember {
  id: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  role: string;
}

export interface ApiKey {
  id: string;
  name: string;
  type?: string;
  workspace_id?: string;
  status?: string;
  scopes: string[];
  created_at?: string;
  expires_at?: string | null;
  usage_limits?: { type?: string; credit_limit?: number; alert_threshold?: number; periodic_reset?: string } | null;
  rate_limits?: Array<{ type: string; unit: string; value: number }> | null;
}

export interface CreatedApiKey {
  id: string;
  key: string;
}

export interface NewApiKey {
  name: string;
  type: 'organisation' | 'workspace';
  scopes: string[];
  workspace_id?: string;
  expires_at?: string;
  rate_limits?: Array<{ type: 'requests' | 'tokens'; unit: 'rpm' | 'rph' | 'rpd'; value: number }>;
  usage_limits?: { type: 'cost' | 'tokens'; credit_limit: number; periodic_reset?: 'monthly' | 'weekly' };
}

export interface Credential {
  slug: string;
  name: string;
  provider: string;
  status?: string;
  note?: string | null;
  created_at?: string;
  workspace_id?: string;
}

export interface ConfigSummary {
  id: string;
  slug: string;
  name: string;
  workspace_id?: string;
  status?: string;
  created_at?: string;
  last_updated_at?: string;
}

export interface ConfigDetail extends ConfigSummary {
  /** The routing config; the API gives it as a JSON string or an object. */
  config: unknown;
}

export interface ConfigVersion {
  id: string;
  version?: number;
  name?: string;
  config: unknown;
  created_at?: string;
}

export interface PromptSummary {
  id: string;
  slug: string;
  name: string;
  model?: string;
  status?: string;
  created_at?: string;
  last_updated_at?: string;
}

export interface PromptDetail extends PromptSummary {
  string: string;
  parameters: Record<string, unknown>;
  virtual_key?: string;
  prompt_version?: number;
  prompt_version_id?: string;
  variables?: string[];
}

export interface PromptVersion {
  id: string;
  prompt_version?: number;
  string: string;
  parameters?: Record<string, unknown>;
  model?: string;
  created_at?: string;
  label?: string | null;
}

export interface Label {
  id: string;
  name: string;
  description?: string;
}

export interface PromptPartial {
  id: string;
  slug: string;
  name: string;
  string?: string;
  version?: number;
}

export interface Guardrail {
  id: string;
  slug?: string;
  name: string;
  status?: string;
  checks?: Array<{ id: string; parameters?: Record<string, unknown> }>;
  actions?: Record<string, unknown>;
  created_at?: string;
}

/** The time range and filters every analytics call takes; turned into Portkey's parameter names. */
export interface AnalyticsQuery {
  from: string;
  to: string;
  /** Workspace slug (the switcher) or id (a workspace group's line). */
  workspace?: string;
  workspaceId?: string;
  /** provider__model pairs; an empty list matches nothing. */
  models?: string[];
  keys?: string[];
  metadata?: Record<string, string>;
  status?: string;
}

/** Providers, models and keys with requests in a range (the console's dimensions route). */
export interface Dimensions {
  models: Array<{ provider: string; model: string; requests: number }>;
  keys: Array<{ key_id: string; requests: number }>;
}

export interface GraphResponse<P> {
  summary: Record<string, number>;
  data_points: Array<{ timestamp: string } & P>;
  object?: string;
}

/** One row of the logs list: the fields of a log document the list shows, never its bodies. */
export type { LogRow };

export interface LogPage {
  data: LogRow[];
  /** True when more rows matched than the page holds. */
  has_more: boolean;
}

export interface LogFilters {
  from: string;
  to: string;
  status?: string;
  model?: string;
  provider?: string;
  key?: string;
  trace_id?: string;
  /** "key=value" */
  metadata?: string;
  workspace?: string;
  page?: number;
}

export interface Feedback {
  id?: string;
  trace_id: string;
  value: number;
  weight?: number;
  created_at?: string;
  metadata?: Record<string, unknown>;
}

export type ExportStatus =
  | { available: false; reason: string }
  | { available: true; id: string; status: 'draft' | 'in_progress' | 'success' | 'failed'; progress?: number; download_url?: string };
