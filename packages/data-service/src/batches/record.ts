import type { OpenAIBatchError, OpenAIBatchObject, OpenAIBatchStatus } from '@portico/contract';

/** OpenAI's Batch object (contract's), plus what Portico keeps to run it (never shown to clients). */
export type BatchStatus = OpenAIBatchStatus;
export type BatchError = OpenAIBatchError;

export interface BatchRecord extends OpenAIBatchObject {
  completion_window: '24h' | 'immediate';
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
