import { request } from 'undici';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { GatewayError } from '@portico/contract';
import type { FineTuneRecord, ProviderJobState } from '../record.js';

/**
 * Bedrock model customization (control-plane API, SigV4 service "bedrock"):
 * POST /model-customization-jobs (CreateModelCustomizationJob), GET /model-customization-jobs/{id}
 * (GetModelCustomizationJob), POST /model-customization-jobs/{id}/stop. The dataset is already
 * converted and in FINETUNES_BUCKET; the service role comes from settings.
 */
export interface BedrockSettings {
  endpoint: string;
  roleArn: string;
}

function creds(h: Record<string, string>) {
  const accessKeyId = h['x-portkey-aws-access-key-id'];
  const secretAccessKey = h['x-portkey-aws-secret-access-key'];
  const region = h['x-portkey-aws-region'];
  if (!accessKeyId || !secretAccessKey || !region) {
    throw new GatewayError({ status: 400, code: 'missing_provider_credentials', param: 'portkey_options', message: 'Bedrock fine-tuning needs x-portkey-aws-access-key-id, x-portkey-aws-secret-access-key and x-portkey-aws-region in portkey_options.' });
  }
  return { region, credentials: { accessKeyId, secretAccessKey, ...(h['x-portkey-aws-session-token'] ? { sessionToken: h['x-portkey-aws-session-token'] } : {}) } };
}

async function call(s: BedrockSettings, h: Record<string, string>, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const { region, credentials } = creds(h);
  const url = new URL(path, s.endpoint || `https://bedrock.${region}.amazonaws.com`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const signer = new SignatureV4({ service: 'bedrock', region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname,
    headers: { host: url.host, ...(payload ? { 'content-type': 'application/json' } : {}) }, body: payload,
  });
  const res = await request(url, { method, headers: signed.headers as Record<string, string>, body: payload, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const text = await res.body.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (res.statusCode >= 400) throw new GatewayError({ status: res.statusCode >= 500 ? 502 : 400, code: 'provider_error', message: `Bedrock refused the request (${res.statusCode}): ${String(json.message ?? text).slice(0, 300)}` });
  return json;
}

const STATUS: Record<string, ProviderJobState['status']> = { InProgress: 'running', Completed: 'succeeded', Failed: 'failed', Stopping: 'running', Stopped: 'cancelled' };

export function bedrockTuning(s: BedrockSettings) {
  return {
    async create(job: FineTuneRecord, trainingUri: string, validationUri: string | undefined, outputUri: string, h: Record<string, string>): Promise<{ id: string; state: ProviderJobState }> {
      if (!s.roleArn) throw new GatewayError({ status: 400, code: 'bedrock_role_missing', message: 'Bedrock fine-tuning needs BEDROCK_FINETUNE_ROLE_ARN (the service role Bedrock assumes to read and write FINETUNES_BUCKET) set on the data service.' });
      const hp: Record<string, string> = {};
      if (job.hyperparameters.n_epochs !== 'auto') hp.epochCount = String(job.hyperparameters.n_epochs);
      if (job.hyperparameters.batch_size !== 'auto') hp.batchSize = String(job.hyperparameters.batch_size);
      if (job.hyperparameters.learning_rate_multiplier !== 'auto') hp.learningRateMultiplier = String(job.hyperparameters.learning_rate_multiplier);
      const res = await call(s, h, 'POST', '/model-customization-jobs', {
        jobName: job.id,
        customModelName: `${job.model.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 40)}-${job.suffix ?? job.id.slice(-8)}`,
        roleArn: s.roleArn,
        baseModelIdentifier: job.model,
        customizationType: 'FINE_TUNING',
        trainingDataConfig: { s3Uri: trainingUri },
        ...(validationUri ? { validationDataConfig: { validators: [{ s3Uri: validationUri }] } } : {}),
        outputDataConfig: { s3Uri: outputUri },
        hyperParameters: hp,
        clientRequestToken: job.id,
      });
      return { id: res.jobArn as string, state: { status: 'queued' } };
    },
    async get(job: FineTuneRecord, h: Record<string, string>): Promise<ProviderJobState> {
      const res = await call(s, h, 'GET', `/model-customization-jobs/${encodeURIComponent(job.provider_job_id!)}`);
      return { status: STATUS[res.status as string] ?? 'running', fineTunedModel: (res.outputModelArn as string | undefined) ?? null, error: res.failureMessage as string | undefined };
    },
    async cancel(job: FineTuneRecord, h: Record<string, string>): Promise<void> {
      await call(s, h, 'POST', `/model-customization-jobs/${encodeURIComponent(job.provider_job_id!)}/stop`);
    },
  };
}
