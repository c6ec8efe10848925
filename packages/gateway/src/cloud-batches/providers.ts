/** The providers whose own file and batch APIs the gateway translates, and what serves them (docs/providers.md reads this). */
export const CLOUD_BATCH_SERVICES: Readonly<Record<string, string>> = {
  bedrock: 'files in S3 as Bedrock batch records; batches as model invocation jobs (CreateModelInvocationJob)',
  'vertex-ai': 'files in Cloud Storage as Vertex batch lines; batches as batchPredictionJobs',
};
