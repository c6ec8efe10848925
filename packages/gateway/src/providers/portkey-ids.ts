/**
 * The provider ids Portkey's open-source gateway accepts (its VALID_PROVIDERS list), and why any of
 * them is not served here. docs/providers.md is generated from this and the registry; a test fails
 * when an id is neither registered nor explained.
 */
export const PORTKEY_PROVIDER_IDS = [
  'anthropic', 'anyscale', 'azure-openai', 'cohere', 'google', 'vertex-ai', 'mistral-ai', 'openai', 'palm', 'perplexity-ai',
  'reka-ai', 'together-ai', 'deepinfra', 'ncompass', 'stability-ai', 'nomic', 'ollama', 'ai21', 'bedrock', 'groq',
  'segmind', 'jina', 'fireworks-ai', 'workers-ai', 'moonshot', 'openrouter', 'lingyi', 'zhipu', 'novita-ai', 'monsterapi',
  'deepseek', 'predibase', 'triton', 'voyage', 'azure-ai', 'github', 'deepbricks', 'siliconflow', 'huggingface', 'cerebras',
  'inference-net', 'sambanova', 'lemonfox-ai', 'upstage', 'lambda', 'dashscope', 'x-ai', 'cortex', 'sagemaker', 'nebius',
  'recraft-ai', 'milvus', 'replicate', 'portkey', 'lepton', 'kluster-ai', 'nscale', 'hyperbolic', 'bytez', 'featherless-ai',
  'krutrim', 'qdrant', '302ai', 'cometapi', 'matterai', 'meshy', 'tripo3d', 'nextbit', 'modal', 'z-ai',
] as const;

/** Why a Portkey id is not served. Every id in PORTKEY_PROVIDER_IDS that the registry lacks must be here. */
export const LEFT_OUT_REASONS: Record<string, string> = {
  palm: 'retired by Google (PaLM API shut down); use `google` or `vertex-ai`',
  milvus: 'a vector store, not a model provider',
  qdrant: 'a vector store, not a model provider',
  portkey: "Portkey's own hosted service (prompt templates), not an upstream provider",
  segmind: 'own per-model image API: needs the images translation, not done yet',
  meshy: '3D-asset generation API with its own task model; no OpenAI-shaped endpoint to map to',
  tripo3d: '3D-asset generation API with its own task model; no OpenAI-shaped endpoint to map to',
  replicate: 'asynchronous predictions API (create, then poll); not mapped yet',
  triton: "NVIDIA Triton's generate endpoint on a self-hosted server; not mapped yet (use `vllm` or `openai` with custom_host for an OpenAI-compatible frontend)",
  predibase: 'the model (deployment) is part of its URL path, which the family cannot build from headers alone; not mapped yet',
  nomic: "embeddings only, in Nomic's own /v1/embedding/text shape; not mapped yet",
  'reka-ai': "Reka's chat API has its own request shape; not mapped yet",
  bytez: 'own per-model API; not mapped yet',
  matterai: 'no public API reference found to build and test against',
  nextbit: 'no public API reference found to build and test against',
  modal: "each deployment has its own URL: use `openai` or `vllm` with custom_host pointing at the Modal endpoint",
};
