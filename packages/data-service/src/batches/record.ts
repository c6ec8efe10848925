/** OpenAI's Batch object, plus what Portico keeps to run it (never shown to clients). */
export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchRecord {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: '24h' | 'immediate';
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  /** Portico: why a running batch waits (object store out, rate limited); null when it does not. */
  paused_reason: string | null;
  workspace: string | null;
  /** The caller's key and routing headers, sealed (AES-GCM) with the service's secret. */
  sealed_headers: string;
}

export const ACTIVE_STATUSES: BatchStatus[] = ['validating', 'in_progress', 'finalizing', 'cancelling'];

export function batchView(r: BatchRecord): Record<string, unknown> {
  const { workspace: _w, sealed_headers: _s, ...rest } = r;
  return rest;
}

export const nowS = () => Math.floor(Date.now() / 1000);
