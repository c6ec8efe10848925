/** OpenAI's fine-tuning job, plus what Portico keeps to follow it at the provider (never shown). */
export type FineTuneStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface FineTuneEvent {
  id: string;
  object: 'fine_tuning.job.event';
  created_at: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  type: 'message';
  data: Record<string, unknown> | null;
}

export interface FineTuneRecord {
  id: string;
  object: 'fine_tuning.job';
  created_at: number;
  error: { code: string; message: string; param: string | null } | null;
  fine_tuned_model: string | null;
  finished_at: number | null;
  hyperparameters: { n_epochs: number | 'auto'; batch_size: number | 'auto'; learning_rate_multiplier: number | 'auto' };
  model: string;
  organization_id: string;
  result_files: string[];
  seed: number;
  status: FineTuneStatus;
  trained_tokens: number | null;
  training_file: string;
  validation_file: string | null;
  integrations: null;
  estimated_finish: number | null;
  metadata: Record<string, string> | null;
  suffix: string | null;
  /** Portico: which provider runs it, its id there, and the caller's provider headers (sealed). */
  provider: 'openai' | 'bedrock' | 'vertex-ai';
  provider_job_id: string | null;
  workspace: string | null;
  sealed_headers: string;
  events: FineTuneEvent[];
}

export const TERMINAL: FineTuneStatus[] = ['succeeded', 'failed', 'cancelled'];

export function fineTuneView(r: FineTuneRecord): Record<string, unknown> {
  const { workspace: _w, sealed_headers: _s, events: _e, ...rest } = r;
  return rest;
}

/** What a provider reports about a job. */
export interface ProviderJobState {
  status: FineTuneStatus;
  fineTunedModel?: string | null;
  error?: string;
  trainedTokens?: number | null;
}
