/**
 * Object layout of the S3 log store (see README.md in this folder):
 *   <prefix>dt=YYYY-MM-DD/hh=HH/<minMs>-<maxMs>-<count>-<batchId>.ndjson.gz
 * Defined in @portico/contract (log-store-layout.ts) so the data service reads what this store writes.
 */
import {
  LOG_HOUR_MS, logHourStart, pad13, parseS3LogBatchFileName, s3LogBatchFileName, s3LogBatchKey, s3LogHourPartition,
  s3LogHourPrefixes, type LogBatchName,
} from '@portico/contract';

export type BatchName = LogBatchName;
export { pad13, LOG_HOUR_MS as HOUR_MS };
export const hourStart = logHourStart;
export const hourPartition = s3LogHourPartition;
export const batchFileName = s3LogBatchFileName;
export const parseBatchFileName = parseS3LogBatchFileName;
export const batchKey = s3LogBatchKey;
export const hourPrefixes = s3LogHourPrefixes;
