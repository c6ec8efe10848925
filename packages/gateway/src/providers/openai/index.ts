import { createOpenAICompatibleProvider } from '../openai-compatible/family.js';

/** OpenAI itself: every endpoint native, bodies pass through unparsed. */
export const openaiProvider = createOpenAICompatibleProvider({
  id: 'openai',
  name: 'OpenAI',
  baseUrl: 'https://api.openai.com/v1',
  embeddings: true,
  completions: true,
  responses: true,
  images: true,
  // The Assistants, Realtime and other beta APIs need it (assistants=v2).
  protocolHeaders: ['openai-beta'],
  extraHeaders: (t) => ({
    ...(t.settings.openai_organization ? { 'openai-organization': t.settings.openai_organization } : {}),
    ...(t.settings.openai_project ? { 'openai-project': t.settings.openai_project } : {}),
  }),
});
