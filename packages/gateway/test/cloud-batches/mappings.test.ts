/** The pure halves of the cloud batch translations, on the providers' documented shapes. */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { decodeId, parseOpenAIBatchLine } from '../../src/cloud-batches/openai-batch.js';
import { jsonlLines, PartSink, type PartWriter } from '../../src/cloud-batches/upload.js';
import { bedrockOutputUri, fromModelInvocationJob, openAIStatusOfBedrockJob, toCreateModelInvocationJob } from '../../src/providers/bedrock/batch-jobs.js';
import { bedrockBatchFamily, fromBedrockBatchRecord, toBedrockBatchRecord } from '../../src/providers/bedrock/batch-records.js';
import { fromBatchPredictionJob, openAIStatusOfVertexJob, toBatchPredictionJob, vertexJobId } from '../../src/providers/vertex-ai/batch-jobs.js';
import { fromVertexBatchLine, toVertexBatchLine, vertexPublisherModel } from '../../src/providers/vertex-ai/batch-records.js';

const chat = (extra: Record<string, unknown> = {}) => ({ custom_id: 'c1', method: 'POST' as const, url: '/v1/chat/completions' as const, body: { model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...extra } });
const INPUT = encodeURIComponent('s3://bkt/in/file.jsonl');
const ROLE = 'arn:aws:iam::123456789012:role/R';

describe('OpenAI batch lines', () => {
  it('are checked field by field, naming the line', () => {
    expect(parseOpenAIBatchLine(JSON.stringify(chat()), 1).custom_id).toBe('c1');
    expect(() => parseOpenAIBatchLine('{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{},"extra":1}', 7)).toThrow(/Line 7.*unknown field "extra"/);
    expect(() => parseOpenAIBatchLine('{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{}}', 2)).toThrow(/Line 2.*method/);
    expect(() => parseOpenAIBatchLine('{"custom_id":"a","method":"POST","url":"/v1/responses","body":{}}', 3)).toThrow(/Line 3.*url/);
    expect(() => parseOpenAIBatchLine('not json', 4)).toThrow(/Line 4.*not valid JSON/);
  });

  it('ids decode once or twice (the SDK encodes the encoded URI again)', () => {
    const uri = 's3://b/k.jsonl';
    expect(decodeId(encodeURIComponent(uri), 'id')).toBe(uri);
    expect(decodeId(encodeURIComponent(encodeURIComponent(uri)), 'id')).toBe(uri);
    expect(decodeId('123', 'id')).toBe('123');
  });
});

describe('bounded streaming pieces', () => {
  it('jsonlLines numbers lines, skips blanks and refuses a line over the bound', async () => {
    const lines: Array<[number, string]> = [];
    for await (const l of jsonlLines(Readable.from([Buffer.from('{"a":1}\n\n{"b"'), Buffer.from(':2}\r\n{"c":3}')]), 100)) lines.push([l.lineNo, l.text]);
    expect(lines).toEqual([[1, '{"a":1}'], [3, '{"b":2}'], [4, '{"c":3}']]);
    const long = jsonlLines(Readable.from([Buffer.from('x'.repeat(50)), Buffer.from('y'.repeat(60))]), 100);
    await expect((async () => { for await (const _ of long) void _; })()).rejects.toThrow(/Line 1 .*longer than 100 bytes/);
  });

  it('PartSink hands the writer parts of exactly the part size, the rest at finish', async () => {
    const parts: number[] = [];
    let last = -1;
    const w: PartWriter = { part: async (d) => void parts.push(d.length), finish: async (d) => void (last = d.length), abort: async () => undefined };
    const sink = new PartSink(w, 10);
    for (const s of ['abcd', 'efghijklmnop', 'q', 'rstuvwxyz0123']) await sink.write(s);
    expect(await sink.finish()).toBe(30);
    expect(parts).toEqual([10, 10, 10]);
    expect(last).toBe(0);
  });
});

describe('bedrock batch records and jobs', () => {
  it('writes each family\'s InvokeModel body', () => {
    expect(toBedrockBatchRecord(chat(), 'us.anthropic.claude-3-5-haiku-20241022-v1:0', 'anthropic', 1)).toEqual({ recordId: 'c1', modelInput: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } });
    expect(toBedrockBatchRecord(chat({ temperature: 0.5 }), 'amazon.nova-lite-v1:0', 'nova', 1).modelInput).toEqual({ schemaVersion: 'messages-v1', messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 10, temperature: 0.5 } });
    const embed = { custom_id: 'e', method: 'POST' as const, url: '/v1/embeddings' as const, body: { input: 'text', dimensions: 256 } };
    expect(toBedrockBatchRecord(embed, 'amazon.titan-embed-text-v2:0', 'titan-embed', 1).modelInput).toEqual({ inputText: 'text', dimensions: 256 });
    expect(() => toBedrockBatchRecord(embed, 'anthropic.claude-3-haiku-20240307-v1:0', 'anthropic', 5)).toThrow(/Line 5.*one batch file goes to one model/);
    expect(() => bedrockBatchFamily('meta.llama3-70b-instruct-v1:0')).toThrow(/not a model Portico writes batch records for/);
  });

  it('reads each family\'s output record back as an OpenAI output line', () => {
    const nova = fromBedrockBatchRecord({ recordId: 'n', modelInput: {}, modelOutput: { output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'max_tokens', usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 } } }, 'amazon.nova-lite-v1:0', 0);
    expect(nova).toMatchObject({ custom_id: 'n', error: null, response: { status_code: 200, body: { model: 'amazon.nova-lite-v1:0', choices: [{ message: { content: 'ok' }, finish_reason: 'length' }], usage: { total_tokens: 5 } } } });
    const titan = fromBedrockBatchRecord({ recordId: 't', modelInput: { inputText: 'a' }, modelOutput: { embedding: [0.5, 0.25], inputTextTokenCount: 1 } }, 'amazon.titan-embed-text-v2:0', 1);
    expect(titan.response?.body).toEqual({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5, 0.25] }], model: 'amazon.titan-embed-text-v2:0', usage: { prompt_tokens: 1, total_tokens: 1 } });
    expect(fromBedrockBatchRecord({ recordId: 'x', modelInput: {}, error: { errorCode: 500, errorMessage: 'boom' } }, 'm', 2)).toMatchObject({ custom_id: 'x', error: { code: 'model_error', message: 'boom' }, response: { status_code: 500 } });
    expect(fromBedrockBatchRecord('garbage', 'm', 3).error?.code).toBe('invalid_record');
  });

  it('builds CreateModelInvocationJob and refuses what Bedrock would', () => {
    const job = toCreateModelInvocationJob({ input_file_id: INPUT, role_arn: ROLE, completion_window: '72h', metadata: { team: 'a b' } }, { model: 'anthropic.claude-3-haiku-20240307-v1:0', kmsKeyId: 'kms-1' });
    expect(job).toMatchObject({ roleArn: ROLE, modelId: 'anthropic.claude-3-haiku-20240307-v1:0', timeoutDurationInHours: 72, tags: [{ key: 'team', value: 'a b' }], outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://bkt/in/', s3EncryptionKeyId: 'kms-1' } } });
    expect(job.jobName).toMatch(/^portico-batch-[0-9a-f-]{36}$/);
    expect(() => toCreateModelInvocationJob({ input_file_id: INPUT, role_arn: ROLE, model: 'm', completion_window: 'immediate' }, {})).toThrow(/data service/);
    expect(() => toCreateModelInvocationJob({ input_file_id: INPUT, role_arn: ROLE, model: 'm', completion_window: '12h' }, {})).toThrow(/24h/);
    expect(() => toCreateModelInvocationJob({ input_file_id: INPUT, role_arn: 'nope', model: 'm' }, {})).toThrow(/role_arn/);
    expect(() => toCreateModelInvocationJob({ input_file_id: INPUT, role_arn: ROLE, model: 'm', metadata: { k: 'a<b' } }, {})).toThrow(/tags/);
    expect(() => toCreateModelInvocationJob({ input_file_id: encodeURIComponent('s3://bkt/in/file.csv'), role_arn: ROLE, model: 'm' }, {})).toThrow(/\.jsonl/);
  });

  it('maps every job status to OpenAI\'s, and finds the output object', () => {
    const map = Object.fromEntries(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed', 'PartiallyCompleted', 'Failed', 'Stopping', 'Stopped', 'Expired'].map((s) => [s, openAIStatusOfBedrockJob(s)]));
    expect(map).toEqual({ Submitted: 'validating', Validating: 'validating', Scheduled: 'in_progress', InProgress: 'in_progress', Completed: 'completed', PartiallyCompleted: 'completed', Failed: 'failed', Stopping: 'cancelling', Stopped: 'cancelled', Expired: 'expired' });
    const job = { jobArn: 'arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefabcdef', status: 'Failed', message: 'role cannot read', modelId: 'cohere.embed-english-v3', submitTime: '2026-01-01T00:00:00Z', endTime: '2026-01-01T01:00:00Z', inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://b/p/in.jsonl' } }, outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://b/out' } } };
    expect(bedrockOutputUri(job)).toBe('s3://b/out/abcdefabcdef/in.jsonl.out');
    expect(fromModelInvocationJob(job)).toMatchObject({ status: 'failed', endpoint: '/v1/embeddings', failed_at: 1767229200, created_at: 1767225600, output_file_id: null, errors: { data: [{ code: 'failed', message: 'role cannot read' }] }, provider_status: 'Failed' });
  });
});

describe('vertex batch lines and jobs', () => {
  it('writes Gemini and Claude requests, and reads their predictions back', () => {
    expect(toVertexBatchLine(chat(), 'gemini-2.0-flash-001', 1)).toEqual({ custom_id: 'c1', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 10 } } });
    const claude = toVertexBatchLine(chat(), 'claude-3-5-haiku@20241022', 1);
    expect(claude.request).toMatchObject({ anthropic_version: 'vertex-2023-10-16', max_tokens: 10 });
    expect(claude.request).not.toHaveProperty('stream');
    expect(vertexPublisherModel('claude-3-5-haiku@20241022')).toBe('publishers/anthropic/models/claude-3-5-haiku@20241022');
    const out = fromVertexBatchLine({ custom_id: 'c1', status: '', response: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text: 'yo' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } } }, 'publishers/anthropic/models/claude-3-5-haiku@20241022', 0);
    expect(out).toMatchObject({ custom_id: 'c1', response: { status_code: 200, body: { model: 'claude-3-5-haiku@20241022', choices: [{ message: { content: 'yo' } }] } } });
  });

  it('builds batchPredictionJobs and maps their states', () => {
    const job = toBatchPredictionJob({ input_file_id: encodeURIComponent('gs://bkt/dir/in.jsonl'), model: 'gemini-2.0-flash-001', job_name: 'nightly' }, {});
    expect(job).toEqual({ displayName: 'nightly', model: 'publishers/google/models/gemini-2.0-flash-001', inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://bkt/dir/in.jsonl'] } }, outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://bkt/dir' } } });
    expect(() => toBatchPredictionJob({ input_file_id: encodeURIComponent('gs://bkt/in.jsonl'), model: 'm', metadata: { Team: 'x' } }, {})).toThrow(/labels/);
    expect(['JOB_STATE_PENDING', 'JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED', 'JOB_STATE_PARTIALLY_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLING', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'].map(openAIStatusOfVertexJob))
      .toEqual(['validating', 'in_progress', 'completed', 'completed', 'failed', 'cancelling', 'cancelled', 'expired']);
    expect(vertexJobId('projects/p/locations/l/batchPredictionJobs/42')).toBe('42');
    expect(() => vertexJobId('42%2F..%2Fx')).toThrow(/not a Vertex AI batch id/);
    const b = fromBatchPredictionJob({ name: 'projects/p/locations/l/batchPredictionJobs/42', state: 'JOB_STATE_SUCCEEDED', createTime: '2026-01-01T00:00:00Z', endTime: '2026-01-01T00:10:00Z', inputConfig: { gcsSource: { uris: ['gs://bkt/in.jsonl'] } }, outputInfo: { gcsOutputDirectory: 'gs://bkt/out/prediction-model-x' }, completionStats: { successfulCount: '3', failedCount: '1' } });
    expect(b).toMatchObject({ id: '42', status: 'completed', request_counts: { total: 4, completed: 3, failed: 1 }, output_file_id: encodeURIComponent('gs://bkt/out/prediction-model-x/predictions.jsonl') });
  });
});
