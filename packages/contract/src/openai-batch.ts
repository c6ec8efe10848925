/**
 * OpenAI batches as both the data service (its own batches) and the gateway (the clouds' batch
 * translations) read and show them: one line of the input file, {custom_id, method: "POST", url, body},
 * and the Batch object. Pure: each caller says which urls it runs and words a problem into its own error.
 */
export interface OpenAIBatchLine {
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown>;
}

export const BATCH_CUSTOM_ID_MAX = 512;
const LINE_FIELDS: readonly string[] = ['custom_id', 'method', 'url', 'body'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The line, or what is wrong with it: a phrase that follows "Line N of the batch file: ". */
export function parseBatchLine(text: string, urls: readonly string[]): { line: OpenAIBatchLine } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { problem: `not valid JSON (${(e as Error).message}); each line must be one JSON object {"custom_id","method","url","body"}` };
  }
  if (!isObject(v)) return { problem: 'each line must be a JSON object {"custom_id","method","url","body"}' };
  for (const k of Object.keys(v)) if (!LINE_FIELDS.includes(k)) return { problem: `unknown field "${k.slice(0, 80)}"; a line holds custom_id, method, url and body only` };
  if (typeof v.custom_id !== 'string' || v.custom_id === '' || v.custom_id.length > BATCH_CUSTOM_ID_MAX) {
    return { problem: `custom_id must be a non-empty string of at most ${BATCH_CUSTOM_ID_MAX} characters` };
  }
  if (v.method !== 'POST') return { problem: 'method must be "POST"' };
  if (typeof v.url !== 'string' || !urls.includes(v.url)) return { problem: `url must be one of ${urls.join(', ')} (got ${JSON.stringify(v.url)?.slice(0, 80)})` };
  if (!isObject(v.body)) return { problem: 'body must be a JSON object (the request for url)' };
  return { line: v as unknown as OpenAIBatchLine };
}

/** OpenAI's batch statuses. */
export type OpenAIBatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** One entry of a Batch object's `errors.data`: a line of the input file that was refused. */
export interface OpenAIBatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/** OpenAI's Batch object, as the data service's batches and the clouds' batch translations show it. */
export interface OpenAIBatchObject {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: { object: 'list'; data: OpenAIBatchError[] } | null;
  input_file_id: string;
  completion_window: string;
  status: OpenAIBatchStatus;
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
}
