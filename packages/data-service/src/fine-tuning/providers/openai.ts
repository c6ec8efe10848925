import { request } from 'undici';
import { GatewayError } from '@portico/contract';
import type { FineTuneRecord, ProviderJobState } from '../record.js';

/**
 * OpenAI fine-tuning, native, through the gateway with the provider named (the gateway passes
 * /v1/files and /v1/fine_tuning through to OpenAI): the training file is uploaded for the caller,
 * then the job is created there and followed by id.
 */
async function send(gatewayUrl: string, path: string, method: string, headers: Record<string, string>, body?: string | FormData): Promise<Record<string, unknown>> {
  const h: Record<string, string> = { ...headers };
  let payload: string | Buffer | undefined;
  if (body instanceof FormData) {
    const res = new Response(body);
    h['content-type'] = res.headers.get('content-type')!;
    payload = Buffer.from(await res.arrayBuffer());
  } else if (body !== undefined) {
    h['content-type'] = 'application/json';
    payload = body;
  }
  const res = await request(new URL(path, gatewayUrl), { method: method as 'POST', headers: h, body: payload, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // non-JSON error
  }
  if (res.statusCode >= 400) {
    const msg = (json.error as { message?: string } | undefined)?.message ?? text.slice(0, 300);
    throw new GatewayError({ status: res.statusCode >= 500 ? 502 : res.statusCode, code: 'provider_error', message: `OpenAI refused the fine-tuning request (${res.statusCode}): ${msg}` });
  }
  return json;
}

export function openAITuning(gatewayUrl: () => string) {
  const headersFor = (h: Record<string, string>) => ({ ...h, 'x-portkey-provider': h['x-portkey-provider'] ?? 'openai' });
  return {
    async create(job: FineTuneRecord, training: Buffer, validation: Buffer | undefined, h: Record<string, string>): Promise<{ id: string; state: ProviderJobState }> {
      const upload = async (data: Buffer, name: string) => {
        const form = new FormData();
        form.append('purpose', 'fine-tune');
        form.append('file', new Blob([new Uint8Array(data)]), name);
        return (await send(gatewayUrl(), '/v1/files', 'POST', headersFor(h), form)).id as string;
      };
      const trainingId = await upload(training, `${job.id}-train.jsonl`);
      const validationId = validation ? await upload(validation, `${job.id}-validation.jsonl`) : undefined;
      const hp = Object.fromEntries(Object.entries(job.hyperparameters).filter(([, v]) => v !== 'auto'));
      const created = await send(gatewayUrl(), '/v1/fine_tuning/jobs', 'POST', headersFor(h), JSON.stringify({
        model: job.model, training_file: trainingId, ...(validationId ? { validation_file: validationId } : {}),
        ...(Object.keys(hp).length ? { hyperparameters: hp } : {}), ...(job.suffix ? { suffix: job.suffix } : {}), seed: job.seed,
      }));
      return { id: created.id as string, state: fromOpenAI(created) };
    },
    async get(job: FineTuneRecord, h: Record<string, string>): Promise<ProviderJobState> {
      return fromOpenAI(await send(gatewayUrl(), `/v1/fine_tuning/jobs/${encodeURIComponent(job.provider_job_id!)}`, 'GET', headersFor(h)));
    },
    async cancel(job: FineTuneRecord, h: Record<string, string>): Promise<void> {
      await send(gatewayUrl(), `/v1/fine_tuning/jobs/${encodeURIComponent(job.provider_job_id!)}/cancel`, 'POST', headersFor(h));
    },
  };
}

function fromOpenAI(j: Record<string, unknown>): ProviderJobState {
  const status = j.status as ProviderJobState['status'];
  return {
    status: ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'].includes(status) ? status : 'running',
    fineTunedModel: (j.fine_tuned_model as string | null) ?? null,
    error: (j.error as { message?: string } | null)?.message,
    trainedTokens: (j.trained_tokens as number | null) ?? null,
  };
}
