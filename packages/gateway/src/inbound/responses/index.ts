/** Inbound OpenAI Responses API (/v1/responses), translated to and from chat for providers that lack it. */
export { fromResponsesRequest } from './request.js';
export { toResponsesResponse, toResponsesError, toResponsesUsage } from './response.js';
export { createResponsesStreamEncoder } from './stream.js';
export type { ResponsesStreamEncoder, ResponsesStreamEncoderOptions } from './stream.js';
export type { ResponsesEcho, ResponsesResponse, ResponsesUsage, OutputItem } from './types.js';
