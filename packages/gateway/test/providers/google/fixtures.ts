/**
 * Gemini payloads in the published REST format (shapes as the API returns them, field names per the
 * proto3 JSON mapping). Every fixture is checked against ../shared/specs/gemini in fixtures.test.ts.
 */
export const textResponse = {
  candidates: [{
    content: { parts: [{ text: 'The capital of France is Paris.' }], role: 'model' },
    finishReason: 'STOP',
    index: 0,
    safetyRatings: [
      { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
      { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
    ],
  }],
  usageMetadata: {
    promptTokenCount: 9, candidatesTokenCount: 7, totalTokenCount: 16,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 9 }],
  },
  modelVersion: 'gemini-2.0-flash',
  responseId: 'pYf4aKXJHoWZ1dkP4aWJ6Ac',
};

export const toolCallResponse = {
  candidates: [{
    content: {
      parts: [
        { functionCall: { name: 'get_weather', args: { location: 'Boston, MA', unit: 'celsius' } }, thoughtSignature: 'CiQBVKhc7hZx0Y5Vd2lhc2lnbmF0dXJl' },
        { functionCall: { name: 'get_time', args: { tz: 'America/New_York' } } },
      ],
      role: 'model',
    },
    finishReason: 'STOP',
    index: 0,
  }],
  usageMetadata: { promptTokenCount: 70, candidatesTokenCount: 22, totalTokenCount: 140, thoughtsTokenCount: 48, cachedContentTokenCount: 32 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'q4f4aN2bKs2v1dkPxbWQ8AU',
};

export const thinkingResponse = {
  candidates: [{
    content: { parts: [{ text: 'User asks for 2+2; trivial.', thought: true }, { text: '4' }], role: 'model' },
    finishReason: 'STOP',
    index: 0,
  }],
  usageMetadata: { promptTokenCount: 6, candidatesTokenCount: 1, thoughtsTokenCount: 12, totalTokenCount: 19 },
  modelVersion: 'gemini-2.5-pro',
};

export const maxTokensResponse = {
  candidates: [{ content: { parts: [{ text: 'Once upon a' }], role: 'model' }, finishReason: 'MAX_TOKENS', index: 0 }],
  usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
  modelVersion: 'gemini-2.0-flash',
};

export const candidateSafetyResponse = {
  candidates: [{
    finishReason: 'SAFETY',
    index: 0,
    safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }],
  }],
  usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 },
  modelVersion: 'gemini-2.0-flash',
};

export const promptBlockedResponse = {
  promptFeedback: {
    blockReason: 'SAFETY',
    safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }],
  },
  usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 },
  modelVersion: 'gemini-2.0-flash',
};

/** streamGenerateContent?alt=sse body, exactly as framed on the wire (CRLF separators). */
export const sseTextStream = [
  { candidates: [{ content: { parts: [{ text: 'The' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, modelVersion: 'gemini-2.0-flash', responseId: 'r1' },
  { candidates: [{ content: { parts: [{ text: ' capital of France' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, modelVersion: 'gemini-2.0-flash', responseId: 'r1' },
  { candidates: [{ content: { parts: [{ text: ' is Paris.' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 7, totalTokenCount: 16, cachedContentTokenCount: 4 }, modelVersion: 'gemini-2.0-flash', responseId: 'r1' },
];

export const sseToolStream = [
  { candidates: [{ content: { parts: [{ text: 'Checking.' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 30, totalTokenCount: 30 }, modelVersion: 'gemini-2.5-flash' },
  { candidates: [{ content: { parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris' } } }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 30, totalTokenCount: 30 }, modelVersion: 'gemini-2.5-flash' },
  { candidates: [{ content: { parts: [{ functionCall: { name: 'get_time', args: { tz: 'Europe/Paris' } } }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 30, candidatesTokenCount: 12, totalTokenCount: 42 }, modelVersion: 'gemini-2.5-flash' },
];

export function sseBody(frames: unknown[]): string {
  return frames.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join('');
}

export const embedContentResponse = { embedding: { values: [0.013168523, -0.008711934, -0.046782676, 0.000699695] } };
export const batchEmbedContentsResponse = { embeddings: [{ values: [0.1, 0.2, 0.3] }, { values: [-0.1, -0.2, -0.3] }] };

export const rpcErrors = {
  invalid: { error: { code: 400, message: 'Invalid JSON payload received. Unknown name "additionalProperties" at \'tools[0].function_declarations[0].parameters\': Cannot find field.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'tools[0].function_declarations[0].parameters', description: 'Invalid JSON payload received. Unknown name "additionalProperties"' }] }] } },
  permission: { error: { code: 403, message: 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.', status: 'PERMISSION_DENIED' } },
  exhausted: { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } },
  unavailable: { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } },
  unauthenticated: { error: { code: 401, message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', status: 'UNAUTHENTICATED' } },
};
