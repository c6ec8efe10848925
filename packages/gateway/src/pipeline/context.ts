import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogDocument } from '@portico/contract';
import type { GatewayError } from '../errors.js';
import type { GatewayKey } from '../entities/types.js';
import type { HookResults } from '../guardrails/hooks.js';
import type { InboundApi } from '../inbound/types.js';
import type { ProviderTarget, Usage } from '../providers/types.js';
import type { RoutingConfig } from '../routing/config-schema.js';
import type { PortkeyHeaders } from './headers.js';
import type { StreamedUpload } from './upload.js';
import type { ResponsesPlan } from './responses-stage.js';
import type { JsonResult } from './call-target.js';
import type { LimitSubject } from '../limits/types.js';

export type CacheStatus = 'DISABLED' | 'MISS' | 'HIT' | 'REFRESH' | 'SEMANTIC HIT' | 'SEMANTIC MISS';

/** An answer from the cache, exact or semantic: no tokens used, nothing paid. */
export const isCacheHit = (status: CacheStatus): boolean => status === 'HIT' || status === 'SEMANTIC HIT';

/** The state of one request as it moves through the stages; the log document is built from it. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  api: InboundApi;
  path: string;
  startedAt: number;
  /** When the request arrived, epoch ms. */
  startedWall: number;
  traceId: string;
  headers?: PortkeyHeaders;
  key?: GatewayKey;
  rawBody?: Buffer;
  /** A passthrough body too large to buffer, streamed to the upstream instead of rawBody. */
  upload?: StreamedUpload;
  body?: Record<string, unknown>;
  stream: boolean;
  /** The model the current (finally the serving) attempt sent upstream. */
  model?: string;
  /** The model the provider says it served, when it names one. */
  servedModel?: string;
  provider?: string;
  configPath?: string;
  configUsed: boolean;
  retries: number;
  fallbacks: number;
  cacheStatus: CacheStatus;
  usage?: Usage;
  status: number;
  error?: GatewayError;
  errorStage?: 'before_first_byte' | 'mid_stream';
  streamOutcome?: 'complete' | 'client_aborted' | 'client_too_slow' | 'upstream_error';
  firstByteAt?: number;
  upstreamStartedAt?: number;
  upstreamMs: number;
  /** When the response was done (performance.now() and wall clock): the log document's times. */
  endedAt?: number;
  endedWall?: number;
  attempts: NonNullable<LogDocument['attempts']>;
  /** Said in the log document instead of a request body that was streamed through unread (a cloud batch file). */
  requestNote?: string;
  /** Said in the log document instead of a response body that was streamed through (a file's content). */
  responseNote?: string;
  /** The response body for the log (buffered responses only). */
  responseForLog?: Buffer;
  /** The same body already parsed, when it was. */
  responseParsedForLog?: unknown;
  /** A native JSON response sent unparsed: its usage is read on first need (observeResponse). */
  unobservedResponse?: JsonResult;
  /** Guardrail results, when the config has guardrails. */
  hookResults?: HookResults;
  /** /v1/responses only: the conversation so far, and whether this response is kept. */
  responses?: ResponsesPlan;
  /** "async": true guardrail hooks still running; the document waits for them. */
  backgroundHooks?: Promise<unknown>[];
  /** The saved prompt the request rendered (/v1/prompts/{id}/completions). */
  promptId?: string;
  /** The saved config the request used, by the id or slug it was named with. */
  configId?: string;
  /** The document was handed to the log stage. */
  logged?: boolean;
  /** Targets resolved from a virtual key: their saved secrets are masked in errors and the log. */
  savedCredentials?: ProviderTarget[];
  /** The routing config is the operator's (saved, or the key's default): hosts it names are not the caller's choice. */
  operatorConfig?: boolean;
  /** The routing config the request used: its credentials are masked in the log. */
  routingConfig?: RoutingConfig;
  /** tenantOf() of a request without a gateway key, computed once. */
  anonymousTenant?: string;
  /** Who the request's limits apply to (reserveLimits): each further upstream attempt counts against them too. */
  limitSubjects?: LimitSubject[];
}

/**
 * Whose data a request touches (cache entries, stored responses). Each kind has its own prefix, so no key
 * id can pass for a workspace name: a workspace key's workspace (`ws:`), an organisation-level key
 * itself (`key:`), or, on a gateway without keys, the provider credential the caller holds (`anon:`,
 * a hash of it), so callers with different credentials share nothing.
 */
export function tenantOf(ctx: RequestContext): string {
  const key = ctx.key;
  if (key) return key.workspace !== undefined ? `ws:${key.workspace}` : `key:${key.id}`;
  return ctx.anonymousTenant ??= `anon:${ctx.headers?.apiKey ? createHash('sha256').update(ctx.headers.apiKey).digest('hex') : ''}`;
}

export function newRequestContext(req: IncomingMessage, res: ServerResponse, api: InboundApi, path: string, traceId: string): RequestContext {
  return {
    req,
    res,
    api,
    path,
    startedAt: performance.now(),
    startedWall: Date.now(),
    traceId,
    stream: false,
    configUsed: false,
    retries: 0,
    fallbacks: 0,
    cacheStatus: 'DISABLED',
    status: 0,
    upstreamMs: 0,
    attempts: [],
    anonymousTenant: undefined,
  };
}
