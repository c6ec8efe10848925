/**
 * An OpenAI batch file uploaded to a cloud's storage in that cloud's record format: each line is
 * checked, converted for the one model of the batch, and written in parts as it arrives.
 */
import { badRequest, GatewayError } from '../errors.js';
import type { JsonObject } from '../providers/types.js';
import type { CloudContext } from './context.js';
import { parseOpenAIBatchLine, type OpenAIBatchLine } from './openai-batch.js';
import { PartSink, receiveFile, jsonlLines, type PartWriter, type ReceivedFile } from './upload.js';

export interface BatchConversion {
  /** The model named by a header (x-portkey-aws-bedrock-model, x-portkey-provider-model), if any. */
  headerModel?: string;
  /** Throws a 400 for a model the cloud's records cannot be written for. */
  checkModel(model: string): void;
  toRecord(line: OpenAIBatchLine, model: string, lineNo: number): JsonObject;
  /** The header to name when no model is given at all. */
  modelHeader: string;
}

/** Uploads converting now, across the process: each holds up to two parts in memory. */
let uploading = 0;

/**
 * Returns the bytes written; `writer` is aborted when anything fails. At most CLOUD_BATCH_MAX_UPLOADS
 * run at once (each holds about two parts), so memory stays bounded however many clients upload.
 */
export async function uploadConverted(c: CloudContext, writer: PartWriter, partSize: number, conv: BatchConversion): Promise<ReceivedFile<number>> {
  const max = c.settings.maxUploads ?? 8;
  if (uploading >= max) {
    throw new GatewayError({ status: 503, type: 'server_error', code: 'cloud_uploads_busy', headers: { 'retry-after': '5' }, message: `The gateway is already converting ${max} batch files (CLOUD_BATCH_MAX_UPLOADS); retry shortly.` });
  }
  uploading++;
  try {
    return await convertUpload(c, writer, partSize, conv);
  } finally {
    uploading--;
  }
}

function convertUpload(c: CloudContext, writer: PartWriter, partSize: number, conv: BatchConversion): Promise<ReceivedFile<number>> {
  return receiveFile(c.req, c.maxUploadBytes, async (file) => {
    const sink = new PartSink(writer, partSize);
    try {
      let model = conv.headerModel;
      if (model) conv.checkModel(model);
      let records = 0;
      for await (const { text, lineNo } of jsonlLines(file, c.maxLineBytes)) {
        const line = parseOpenAIBatchLine(text, lineNo);
        if (!conv.headerModel) {
          // Without the header the lines name the model, all the same one: a batch job runs one model.
          const m = line.body.model;
          if (typeof m !== 'string' || !m) throw badRequest(`Line ${lineNo} of the batch file names no body.model; set ${conv.modelHeader} or name the model in every line.`, conv.modelHeader, 'missing_parameter');
          if (model === undefined) conv.checkModel((model = m));
          else if (m !== model) throw badRequest(`Line ${lineNo} of the batch file is for model ${m}, but line 1's is ${model}; a batch job runs one model.`, 'file', 'invalid_batch_line');
        }
        await sink.write(JSON.stringify(conv.toRecord(line, model!, lineNo)) + '\n');
        records++;
      }
      if (records === 0) throw badRequest('The batch file has no lines; send one JSON request per line.', 'file', 'invalid_batch_line');
      return await sink.finish();
    } catch (e) {
      await sink.abort();
      throw e;
    }
  });
}

/** OpenAI's File object for a cloud object. */
export function fileObject(uri: string, bytes: number, createdAt: number, filename: string, purpose = 'batch'): JsonObject {
  return { id: encodeURIComponent(uri), object: 'file', bytes, created_at: createdAt, filename, purpose, status: 'processed', status_details: null, expires_at: null };
}
