import { randomBytes } from 'node:crypto';
import type { LogDocument } from '@portico/contract';
import type { BlobStore } from '../storage/blob-store.js';
import type { JobStore } from '../storage/job-store.js';
import type { Sealer } from '../storage/secret.js';
import type { FileService } from '../files/service.js';
import type { LogSource } from '../logs/log-source.js';
import { canSee, requireScope, type Principal } from '../auth/principal.js';
import { GatewayError, invalid, notFound, refuseUnknown } from '../http/respond.js';
import { compileFilter, timeRange, validateFilters } from '../exports/filters.js';
import { checkExample, convertDataset, convertExample, DATASET_FORMATS, DatasetError, exampleFromExchange, type DatasetFormat } from './datasets.js';
import { fineTuneView, TERMINAL, type FineTuneEvent, type FineTuneRecord, type ProviderJobState } from './record.js';
import { openAITuning } from './providers/openai.js';
import { bedrockTuning, type BedrockSettings } from './providers/bedrock.js';
import { vertexTuning, type VertexSettings } from './providers/vertex.js';

const CREATE_FIELDS = ['model', 'training_file', 'validation_file', 'hyperparameters', 'suffix', 'seed', 'metadata', 'portkey_options'];
const PROVIDERS = ['openai', 'bedrock', 'vertex-ai'] as const;
const MAX_DATASET_EXAMPLES = 100_000;

export interface FineTuneDeps {
  jobs: JobStore<FineTuneRecord>;
  files: FileService;
  blobs: BlobStore;
  /** FINETUNES_BUCKET: Bedrock reads the converted dataset from there (empty: local folder, no Bedrock). */
  bucket: string;
  sealer: Sealer;
  source: LogSource;
  gatewayUrl: () => string;
  bedrock: BedrockSettings;
  vertex: VertexSettings;
}

const nowS = () => Math.floor(Date.now() / 1000);

export class FineTuneService {
  private readonly openai;
  private readonly bedrock;
  private readonly vertex;
  constructor(private readonly d: FineTuneDeps) {
    this.openai = openAITuning(d.gatewayUrl);
    this.bedrock = bedrockTuning(d.bedrock);
    this.vertex = vertexTuning(d.vertex);
  }

  private event(r: FineTuneRecord, message: string, level: FineTuneEvent['level'] = 'info'): void {
    r.events.push({ id: `ftevent-${randomBytes(10).toString('hex')}`, object: 'fine_tuning.job.event', created_at: nowS(), level, message, type: 'message', data: null });
    if (r.events.length > 1000) r.events.splice(0, r.events.length - 1000);
  }

  private async find(p: Principal, id: string): Promise<FineTuneRecord> {
    requireScope(p, 'completions');
    const r = await this.d.jobs.get(id);
    if (!r || !canSee(p, r.workspace)) throw notFound('fine-tuning job', id, 'fine_tuning_job_id');
    return r;
  }

  private async openaiJsonl(p: Principal, fileId: string, param: string): Promise<Buffer> {
    const f = await this.d.files.find(p, fileId).catch(() => {
      throw notFound('file', fileId, param);
    });
    if (f.purpose !== 'fine-tune') throw invalid(`File ${f.id} has purpose "${f.purpose}"; fine-tuning needs a file uploaded with purpose "fine-tune".`, param);
    const { stream } = await this.d.files.content(p, fileId);
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  }

  private convert(data: Buffer, format: DatasetFormat, param: string): Buffer {
    try {
      return Buffer.from(convertDataset(data.toString('utf8'), format).jsonl);
    } catch (e) {
      if (e instanceof DatasetError) throw invalid(`The ${param.replace('_', ' ')} cannot be converted to ${format}'s training format: ${e.message}.`, param, 'invalid_file_line');
      throw e;
    }
  }

  async create(p: Principal, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    requireScope(p, 'completions');
    refuseUnknown(body, CREATE_FIELDS);
    if (typeof body.model !== 'string' || !body.model) throw invalid('model is required: the base model to fine-tune.', 'model');
    if (typeof body.training_file !== 'string') throw invalid('training_file is required: the id of a file uploaded with purpose "fine-tune".', 'training_file');
    if (body.validation_file !== undefined && body.validation_file !== null && typeof body.validation_file !== 'string') throw invalid('validation_file must be a file id.', 'validation_file');
    if (body.suffix !== undefined && body.suffix !== null && (typeof body.suffix !== 'string' || body.suffix.length > 64)) throw invalid('suffix must be a string of at most 64 characters.', 'suffix');
    const hp = { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto', ...((body.hyperparameters as object | undefined) ?? {}) } as FineTuneRecord['hyperparameters'];
    for (const [k, v] of Object.entries(hp)) {
      if (!['n_epochs', 'batch_size', 'learning_rate_multiplier'].includes(k)) throw invalid(`Unknown hyperparameter "${k}"; accepted: n_epochs, batch_size, learning_rate_multiplier.`, `hyperparameters.${k}`, 'unknown_parameter');
      if (v !== 'auto' && (typeof v !== 'number' || !(v > 0))) throw invalid(`hyperparameters.${k} must be "auto" or a positive number.`, `hyperparameters.${k}`);
    }
    const options = (body.portkey_options ?? {}) as Record<string, unknown>;
    if (typeof options !== 'object' || Array.isArray(options)) throw invalid('portkey_options must be an object of header names to values.', 'portkey_options');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options)) {
      if (typeof v !== 'string') throw invalid(`portkey_options.${k} must be a string.`, `portkey_options.${k}`);
      headers[k.toLowerCase()] = v;
    }
    const provider = headers['x-portkey-provider'] as (typeof PROVIDERS)[number] | undefined;
    if (!provider || !(PROVIDERS as readonly string[]).includes(provider)) throw invalid(`portkey_options["x-portkey-provider"] must name the provider that trains: ${PROVIDERS.join(', ')}.`, 'portkey_options');
    if (p.apiKey) headers['x-portkey-api-key'] = p.apiKey;
    const training = await this.openaiJsonl(p, body.training_file, 'training_file');
    const validation = typeof body.validation_file === 'string' ? await this.openaiJsonl(p, body.validation_file, 'validation_file') : undefined;
    const r: FineTuneRecord = {
      id: `ftjob-${randomBytes(12).toString('hex')}`, object: 'fine_tuning.job', created_at: nowS(), error: null, fine_tuned_model: null,
      finished_at: null, hyperparameters: hp, model: body.model, organization_id: p.organisation ?? 'org-embedded', result_files: [],
      seed: typeof body.seed === 'number' ? body.seed : Math.floor(Math.random() * 2 ** 31), status: 'validating_files', trained_tokens: null,
      training_file: body.training_file, validation_file: (body.validation_file as string | undefined) ?? null, integrations: null,
      estimated_finish: null, metadata: (body.metadata as Record<string, string> | undefined) ?? null, suffix: (body.suffix as string | undefined) ?? null,
      provider, provider_job_id: null, workspace: p.workspace ?? null, sealed_headers: this.d.sealer.seal(headers), events: [],
    };
    this.event(r, `Validating training file: ${r.training_file}`);
    let created: { id: string; state: ProviderJobState };
    if (provider === 'openai') created = await this.openai.create(r, training, validation, headers);
    else if (provider === 'vertex-ai') created = await this.vertex.create(r, this.convert(training, 'vertex', 'training_file'), validation && this.convert(validation, 'vertex', 'validation_file'), headers);
    else {
      if (this.d.blobs.kind !== 's3' || !this.d.bucket) throw new GatewayError({ status: 400, code: 'finetunes_bucket_missing', message: 'Bedrock fine-tuning reads its dataset from S3: set FINETUNES_BUCKET on the data service.' });
      const format: DatasetFormat = r.model.startsWith('amazon.nova') ? 'bedrock-nova' : 'bedrock';
      const key = `finetunes/${r.id}/train.jsonl`;
      await this.d.blobs.putBytes(key, this.convert(training, format, 'training_file'), 'application/jsonl');
      let validationUri: string | undefined;
      if (validation) {
        await this.d.blobs.putBytes(`finetunes/${r.id}/validation.jsonl`, this.convert(validation, format, 'validation_file'), 'application/jsonl');
        validationUri = `s3://${this.d.bucket}/finetunes/${r.id}/validation.jsonl`;
      }
      created = await this.bedrock.create(r, `s3://${this.d.bucket}/${key}`, validationUri, `s3://${this.d.bucket}/finetunes/${r.id}/output/`, headers);
    }
    r.provider_job_id = created.id;
    this.apply(r, created.state);
    this.event(r, `Created fine-tuning job ${created.id} on ${provider}`);
    await this.d.jobs.put(r);
    return fineTuneView(r);
  }

  private apply(r: FineTuneRecord, s: ProviderJobState): void {
    if (s.status !== r.status) this.event(r, `Status: ${s.status}${s.error ? ` (${s.error})` : ''}`, s.status === 'failed' ? 'error' : 'info');
    r.status = s.status;
    if (s.fineTunedModel !== undefined && s.fineTunedModel !== null) r.fine_tuned_model = s.fineTunedModel;
    if (s.trainedTokens !== undefined && s.trainedTokens !== null) r.trained_tokens = s.trainedTokens;
    if (s.error) r.error = { code: 'provider_error', message: s.error, param: null };
    if (TERMINAL.includes(s.status)) r.finished_at ??= nowS();
  }

  private tuner(r: FineTuneRecord) {
    return r.provider === 'openai' ? this.openai : r.provider === 'bedrock' ? this.bedrock : this.vertex;
  }

  /** Refreshes a running job from its provider (on read; nothing polls in the background). */
  private async refresh(r: FineTuneRecord): Promise<void> {
    if (TERMINAL.includes(r.status) || !r.provider_job_id) return;
    const state = await this.tuner(r).get(r, this.d.sealer.open(r.sealed_headers));
    this.apply(r, state);
    await this.d.jobs.put(r);
  }

  async retrieve(p: Principal, id: string): Promise<Record<string, unknown>> {
    const r = await this.find(p, id);
    await this.refresh(r);
    return fineTuneView(r);
  }

  async list(p: Principal, after: string | null, limit: number): Promise<Record<string, unknown>> {
    requireScope(p, 'completions');
    let all = (await this.d.jobs.list()).filter((r) => canSee(p, r.workspace)).sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
    if (after) {
      const i = all.findIndex((r) => r.id === after);
      all = i === -1 ? [] : all.slice(i + 1);
    }
    return { object: 'list', data: all.slice(0, limit).map(fineTuneView), has_more: all.length > limit };
  }

  async cancel(p: Principal, id: string): Promise<Record<string, unknown>> {
    const r = await this.find(p, id);
    if (TERMINAL.includes(r.status)) throw new GatewayError({ status: 409, code: 'job_finished', message: `The fine-tuning job is ${r.status}; it cannot be cancelled.` });
    await this.tuner(r).cancel(r, this.d.sealer.open(r.sealed_headers));
    this.apply(r, { status: 'cancelled' });
    await this.d.jobs.put(r);
    return fineTuneView(r);
  }

  async events(p: Principal, id: string, after: string | null, limit: number): Promise<Record<string, unknown>> {
    const r = await this.find(p, id);
    let list = [...r.events].reverse();
    if (after) {
      const i = list.findIndex((e) => e.id === after);
      list = i === -1 ? [] : list.slice(i + 1);
    }
    return { object: 'list', data: list.slice(0, limit), has_more: list.length > limit };
  }

  /**
   * The dataset builder: logged chat completions that match the filters (the caller's workspace only),
   * turned into training examples in a provider's format, each checked, stored as a "fine-tune" file
   * in FINETUNES_BUCKET. Exchanges that cannot train a text model are counted, by reason, and skipped.
   */
  async buildDataset(p: Principal, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    requireScope(p, 'logs');
    refuseUnknown(body, ['filters', 'format', 'max_examples']);
    const filters = validateFilters(body.filters ?? {});
    const format = (body.format ?? 'openai') as DatasetFormat;
    if (!(DATASET_FORMATS as readonly string[]).includes(format)) throw invalid(`format must be one of ${DATASET_FORMATS.join(', ')}.`, 'format');
    const max = body.max_examples ?? MAX_DATASET_EXAMPLES;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_DATASET_EXAMPLES) throw invalid(`max_examples must be an integer from 1 to ${MAX_DATASET_EXAMPLES}.`, 'max_examples');
    const keep = compileFilter(filters, p.workspace);
    const { fromMs, toMs } = timeRange(filters);
    const lines: string[] = [];
    const skipped: Record<string, number> = {};
    const skip = (why: string) => void (skipped[why] = (skipped[why] ?? 0) + 1);
    outer: for await (const batch of this.d.source.lines(fromMs, toMs)) {
      for (const text of batch) {
        if (text.length < 2) continue;
        let doc: LogDocument;
        try {
          doc = JSON.parse(text) as LogDocument;
        } catch {
          continue;
        }
        if (!keep(doc)) continue;
        if (!doc.request.path.endsWith('/chat/completions')) { skip('not_chat_completions'); continue; }
        if (doc.response.status >= 300) { skip('not_successful'); continue; }
        if (doc.request.body_truncated || doc.response.body_truncated || doc.request.stream) { skip(doc.request.stream ? 'streamed' : 'body_truncated'); continue; }
        const ex = exampleFromExchange(doc.request.body, doc.response.body);
        if (!ex) { skip('not_text_only'); continue; }
        const converted = convertExample(ex, format);
        if (!converted) { skip('not_expressible_in_format'); continue; }
        const problem = checkExample(converted, format);
        if (problem) { skip('invalid_for_format'); continue; }
        lines.push(JSON.stringify(converted));
        if (lines.length >= max) break outer;
      }
    }
    if (lines.length === 0) throw invalid(`No logged chat completion matched the filters and could be used (skipped: ${JSON.stringify(skipped)}).`, 'filters', 'empty_dataset');
    const file = await this.d.files.create(p.workspace ?? null, `dataset-${format}-${Date.now()}.jsonl`, 'fine-tune', Buffer.from(lines.join('\n') + '\n'), lines.length);
    return { object: 'fine_tuning.dataset', format, examples: lines.length, skipped, file: this.d.files.view(file) };
  }
}
