import { authorizeWithEntra } from '../azure-openai/entra.js';
import { AZURE_ENTRA_AUTH_MODES } from '../azure-openai/identity.js';
import { toAzureAIHeaders } from '../azure-openai/foundry-headers.js';
import { createOpenAICompatibleProvider, type OpenAICompatibleSpec } from './family.js';

/**
 * The OpenAI-compatible family: providers that differ from OpenAI only by base URL and auth. Each
 * base URL is the one the provider documents for its OpenAI-compatible API; the flags say which
 * OpenAI endpoints it serves. Other /v1/* paths pass through to the same base.
 */
export const OPENAI_COMPATIBLE_SPECS: OpenAICompatibleSpec[] = [
  { id: 'groq', name: 'Groq', baseUrl: 'https://api.groq.com/openai/v1', responses: true },
  { id: 'together-ai', name: 'Together AI', baseUrl: 'https://api.together.xyz/v1', embeddings: true, completions: true, images: true },
  {
    id: 'fireworks-ai', name: 'Fireworks AI', baseUrl: 'https://api.fireworks.ai/inference/v1', embeddings: true, completions: true,
    // Datasets, fine-tuning and batch jobs live under the account (x-portkey-fireworks-account-id), as Portkey addresses them.
    accountApi: { baseUrl: 'https://api.fireworks.ai/v1/accounts/{fireworks_account_id}', paths: ['/v1/datasets', '/v1/supervisedFineTuningJobs', '/v1/batchInferenceJobs', '/v1/dpoJobs', '/v1/deployments', '/v1/deployedModels'] },
  },
  { id: 'deepseek', name: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', completions: true },
  { id: 'openrouter', name: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', completions: true },
  { id: 'perplexity-ai', name: 'Perplexity', baseUrl: 'https://api.perplexity.ai' },
  { id: 'x-ai', name: 'xAI', baseUrl: 'https://api.x.ai/v1', embeddings: true, responses: true, images: true },
  { id: 'cerebras', name: 'Cerebras', baseUrl: 'https://api.cerebras.ai/v1', completions: true },
  { id: 'vllm', name: 'vLLM (custom_host)', baseUrl: 'http://127.0.0.1:8000/v1', embeddings: true, completions: true, keyOptional: true },
  { id: 'lm-studio', name: 'LM Studio (custom_host)', baseUrl: 'http://127.0.0.1:1234/v1', embeddings: true, completions: true, keyOptional: true },

  // Anyscale Endpoints closed in 2024; its id stays for configs that point custom_host at an Anyscale-compatible server.
  { id: 'anyscale', name: 'Anyscale Endpoints (compatible, custom_host)', baseUrl: 'https://api.endpoints.anyscale.com/v1', embeddings: true, completions: true },
  {
    id: 'huggingface', name: 'Hugging Face (Inference Providers router)', baseUrl: 'https://router.huggingface.co/v1',
    // A dedicated Inference Endpoint serves the same API under /v1 of its own URL.
    baseUrlSetting: { setting: 'huggingface_base_url', hostSuffixes: ['.endpoints.huggingface.cloud', 'router.huggingface.co', 'api-inference.huggingface.co'], append: '/v1' },
  },
  { id: 'deepinfra', name: 'DeepInfra', baseUrl: 'https://api.deepinfra.com/v1/openai', embeddings: true, completions: true, images: true },
  { id: 'github', name: 'GitHub Models', baseUrl: 'https://models.github.ai/inference' },
  { id: 'sambanova', name: 'SambaNova Cloud', baseUrl: 'https://api.sambanova.ai/v1', embeddings: true },
  { id: 'nebius', name: 'Nebius AI Studio', baseUrl: 'https://api.studio.nebius.com/v1', embeddings: true, completions: true, images: true },
  { id: 'dashscope', name: 'Alibaba DashScope (Qwen, compatible mode)', baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1', embeddings: true },
  { id: 'moonshot', name: 'Moonshot AI (Kimi)', baseUrl: 'https://api.moonshot.cn/v1' },
  { id: 'zhipu', name: 'Zhipu AI (BigModel)', baseUrl: 'https://open.bigmodel.cn/api/paas/v4', embeddings: true },
  { id: 'z-ai', name: 'Z.ai', baseUrl: 'https://api.z.ai/api/paas/v4' },
  { id: 'novita-ai', name: 'Novita AI', baseUrl: 'https://api.novita.ai/v3/openai', completions: true, embeddings: true },
  { id: 'siliconflow', name: 'SiliconFlow', baseUrl: 'https://api.siliconflow.cn/v1', embeddings: true, images: true },
  { id: 'lambda', name: 'Lambda Inference', baseUrl: 'https://api.lambda.ai/v1', completions: true },
  { id: 'hyperbolic', name: 'Hyperbolic', baseUrl: 'https://api.hyperbolic.xyz/v1', completions: true },
  { id: 'nscale', name: 'Nscale', baseUrl: 'https://inference.api.nscale.com/v1' },
  { id: 'featherless-ai', name: 'Featherless AI', baseUrl: 'https://api.featherless.ai/v1', completions: true },
  { id: 'ai21', name: 'AI21 Studio', baseUrl: 'https://api.ai21.com/studio/v1' },
  { id: 'nvidia-nim', name: 'NVIDIA NIM (API catalog)', baseUrl: 'https://integrate.api.nvidia.com/v1', embeddings: true, completions: true },
  { id: 'lepton', name: 'Lepton AI', baseUrl: 'https://api.lepton.ai/api/v1', completions: true },
  { id: 'workers-ai', name: 'Cloudflare Workers AI', baseUrl: 'https://api.cloudflare.com/client/v4/accounts/{workers_ai_account_id}/ai/v1', embeddings: true },
  { id: 'lingyi', name: '01.AI (Lingyi Wanwu)', baseUrl: 'https://api.lingyiwanwu.com/v1' },
  { id: 'ncompass', name: 'nCompass', baseUrl: 'https://api.ncompass.tech/v1' },
  { id: 'monsterapi', name: 'MonsterAPI', baseUrl: 'https://llm.monsterapi.ai/v1' },
  { id: 'deepbricks', name: 'Deepbricks', baseUrl: 'https://api.deepbricks.ai/v1' },
  { id: 'inference-net', name: 'Inference.net', baseUrl: 'https://api.inference.net/v1' },
  { id: 'lemonfox-ai', name: 'Lemonfox.ai', baseUrl: 'https://api.lemonfox.ai/v1', images: true },
  { id: 'upstage', name: 'Upstage (Solar)', baseUrl: 'https://api.upstage.ai/v1', embeddings: true },
  {
    id: 'cortex', name: 'Snowflake Cortex', baseUrl: 'https://{snowflake_account}.snowflakecomputing.com/api/v2/cortex/v1',
    // Snowflake takes a key-pair JWT, an OAuth token or a programmatic access token as the bearer; it says which.
    extraHeaders: (t) => ({ 'x-snowflake-authorization-token-type': t.settings.snowflake_token_type ?? 'KEYPAIR_JWT' }),
  },
  { id: 'kluster-ai', name: 'kluster.ai', baseUrl: 'https://api.kluster.ai/v1', embeddings: true },
  { id: 'krutrim', name: 'Krutrim (Ola)', baseUrl: 'https://cloud.olakrutrim.com/v1', embeddings: true },
  { id: '302ai', name: '302.AI', baseUrl: 'https://api.302.ai/v1', embeddings: true, images: true },
  { id: 'cometapi', name: 'CometAPI', baseUrl: 'https://api.cometapi.com/v1', embeddings: true, images: true },
  // Image generation only: /v1/images/generations passes through in OpenAI's images shape.
  { id: 'recraft-ai', name: 'Recraft AI (images)', baseUrl: 'https://external.api.recraft.ai/v1', chat: false, images: true },
  {
    id: 'azure-ai', name: 'Azure AI Foundry (model inference)', baseUrl: 'https://{resource_name}.services.ai.azure.com/models',
    baseUrlSetting: { setting: 'azure_foundry_url', hostSuffixes: ['.services.ai.azure.com', '.inference.ai.azure.com', '.models.ai.azure.com', '.cognitiveservices.azure.com'] },
    query: { 'api-version': { setting: 'api_version', default: '2024-05-01-preview' } },
    authHeader: { header: 'api-key' },
    // Portkey's x-portkey-azure-extra-params (extra-parameters: drop by default) and -deployment-name.
    extraHeaders: toAzureAIHeaders,
    authorize: authorizeWithEntra('azure-ai'),
    authModes: AZURE_ENTRA_AUTH_MODES,
    embeddings: true,
  },
];

export const openAICompatibleProviders = OPENAI_COMPATIBLE_SPECS.map(createOpenAICompatibleProvider);
