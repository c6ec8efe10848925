import { request } from 'undici';
import { GatewayError } from '@portico/contract';
import type { FineTuneRecord, ProviderJobState } from '../record.js';

/**
 * Vertex AI supervised tuning of Gemini: the converted dataset is uploaded to the caller's Cloud
 * Storage bucket (JSON API, media upload), then POST /v1/projects/{p}/locations/{r}/tuningJobs,
 * GET /v1/{name}, POST /v1/{name}:cancel, all with the caller's OAuth access token.
 */
export interface VertexSettings {
  endpoint: string;
  storageEndpoint: string;
}

function opts(h: Record<string, string>) {
  const project = h['x-portkey-vertex-project-id'];
  const region = h['x-portkey-vertex-region'];
  const bucket = h['x-portkey-vertex-storage-bucket-name'];
  const auth = h.authorization;
  if (!project || !region || !bucket || !auth) {
    throw new GatewayError({ status: 400, code: 'missing_provider_credentials', param: 'portkey_options', message: 'Vertex AI fine-tuning needs x-portkey-vertex-project-id, x-portkey-vertex-region, x-portkey-vertex-storage-bucket-name and authorization (Bearer <access token>) in portkey_options.' });
  }
  return { project, region, bucket, auth };
}

async function call(url: URL, method: 'GET' | 'POST', auth: string, body?: string | Buffer, contentType = 'application/json'): Promise<Record<string, unknown>> {
  const res = await request(url, { method, headers: { authorization: auth, ...(body !== undefined ? { 'content-type': contentType } : {}) }, body, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const text = await res.body.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (res.statusCode >= 400) throw new GatewayError({ status: res.statusCode >= 500 ? 502 : 400, code: 'provider_error', message: `Vertex AI refused the request (${res.statusCode}): ${String((json.error as { message?: string })?.message ?? text).slice(0, 300)}` });
  return json;
}

const STATE: Record<string, ProviderJobState['status']> = {
  JOB_STATE_QUEUED: 'queued', JOB_STATE_PENDING: 'queued', JOB_STATE_RUNNING: 'running', JOB_STATE_SUCCEEDED: 'succeeded',
  JOB_STATE_FAILED: 'failed', JOB_STATE_CANCELLING: 'running', JOB_STATE_CANCELLED: 'cancelled', JOB_STATE_EXPIRED: 'failed',
};

export function vertexTuning(s: VertexSettings) {
  const base = (region: string) => s.endpoint || `https://${region}-aiplatform.googleapis.com`;
  return {
    async create(job: FineTuneRecord, training: Buffer, validation: Buffer | undefined, h: Record<string, string>): Promise<{ id: string; state: ProviderJobState }> {
      const o = opts(h);
      const upload = async (data: Buffer, name: string) => {
        const url = new URL(`/upload/storage/v1/b/${encodeURIComponent(o.bucket)}/o`, s.storageEndpoint || 'https://storage.googleapis.com');
        url.searchParams.set('uploadType', 'media');
        url.searchParams.set('name', name);
        await call(url, 'POST', o.auth, data, 'application/jsonl');
        return `gs://${o.bucket}/${name}`;
      };
      const trainingUri = await upload(training, `portico-finetunes/${job.id}/train.jsonl`);
      const validationUri = validation ? await upload(validation, `portico-finetunes/${job.id}/validation.jsonl`) : undefined;
      const hp: Record<string, unknown> = {};
      if (job.hyperparameters.n_epochs !== 'auto') hp.epochCount = job.hyperparameters.n_epochs;
      if (job.hyperparameters.learning_rate_multiplier !== 'auto') hp.learningRateMultiplier = job.hyperparameters.learning_rate_multiplier;
      const res = await call(new URL(`/v1/projects/${encodeURIComponent(o.project)}/locations/${encodeURIComponent(o.region)}/tuningJobs`, base(o.region)), 'POST', o.auth, JSON.stringify({
        baseModel: job.model,
        supervisedTuningSpec: { trainingDatasetUri: trainingUri, ...(validationUri ? { validationDatasetUri: validationUri } : {}), ...(Object.keys(hp).length ? { hyperParameters: hp } : {}) },
        ...(job.suffix ? { tunedModelDisplayName: job.suffix } : {}),
      }));
      return { id: res.name as string, state: { status: STATE[res.state as string] ?? 'queued' } };
    },
    async get(job: FineTuneRecord, h: Record<string, string>): Promise<ProviderJobState> {
      const o = opts(h);
      const res = await call(new URL(`/v1/${job.provider_job_id}`, base(o.region)), 'GET', o.auth);
      const tuned = res.tunedModel as { model?: string; endpoint?: string } | undefined;
      return { status: STATE[res.state as string] ?? 'running', fineTunedModel: tuned?.model ?? tuned?.endpoint ?? null, error: (res.error as { message?: string } | undefined)?.message };
    },
    async cancel(job: FineTuneRecord, h: Record<string, string>): Promise<void> {
      const o = opts(h);
      await call(new URL(`/v1/${job.provider_job_id}:cancel`, base(o.region)), 'POST', o.auth, '{}');
    },
  };
}
