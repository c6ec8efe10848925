import { isCacheHit, type RequestContext } from '../pipeline/context.js';
import { costOfUsage } from './cost.js';
import { isoTime } from './iso-time.js';
import type { LogDocument } from './types.js';

/** Request headers that never enter a log document, whatever the redaction settings. */
const SECRET_HEADERS = new Set([
  'authorization', 'x-api-key', 'api-key', 'x-portkey-api-key', 'cookie', 'set-cookie', 'proxy-authorization',
  'x-goog-api-key', 'x-portkey-aws-secret-access-key', 'x-portkey-aws-session-token', 'x-portkey-aws-access-key-id',
  'x-portkey-vertex-service-account-json', 'x-portkey-azure-ad-token',
]);

function headersForLog(raw: RequestContext['req']['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in raw) {
    const v = raw[k];
    if (v === undefined || SECRET_HEADERS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** A body for the log: parsed JSON when small enough, else a truncated string marked as such. */
function bodyForLog(raw: Buffer | undefined, parsed: unknown, max: number): { body?: unknown; truncated?: boolean } {
  if (!raw || raw.length === 0) return {};
  if (raw.length <= max) {
    if (parsed !== undefined) return { body: parsed };
    const text = raw.toString('utf8');
    try {
      return { body: JSON.parse(text) };
    } catch {
      return { body: text };
    }
  }
  return { body: raw.subarray(0, max).toString('utf8'), truncated: true };
}

/** The client sent x-portkey-debug: false: the document keeps everything but the bodies. */
const OMITTED = { body: '[not logged: the request said x-portkey-debug: false]', truncated: true };

/** Builds the log document of a finished request. Runs after the response was sent. */
export function buildLogDocument(ctx: RequestContext, id: string, bodyMaxBytes: number): LogDocument {
  const now = ctx.endedAt ?? performance.now();
  const usage = ctx.usage;
  const omitted = ctx.headers?.keepBodies === false;
  const req = omitted ? OMITTED : ctx.requestNote ? { body: ctx.requestNote, truncated: true } : ctx.upload ? { body: `[upload of ${ctx.upload.bytes} bytes, streamed to the provider, not logged]`, truncated: true } : bodyForLog(ctx.rawBody, ctx.body, bodyMaxBytes);
  const res = omitted ? OMITTED : ctx.responseNote ? { body: ctx.responseNote, truncated: true } : bodyForLog(ctx.responseForLog, ctx.responseParsedForLog, bodyMaxBytes);
  return {
    id,
    trace_id: ctx.traceId,
    created_at: isoTime(ctx.endedWall ?? Date.now()),
    timings: {
      started_at: isoTime(ctx.startedWall),
      total_ms: round(now - ctx.startedAt),
      upstream_ms: round(ctx.upstreamMs),
      first_byte_ms: ctx.firstByteAt === undefined ? undefined : round(ctx.firstByteAt - ctx.startedAt),
      gateway_overhead_ms: ctx.upstreamStartedAt === undefined ? undefined : round(ctx.upstreamStartedAt - ctx.startedAt),
    },
    request: {
      method: ctx.req.method ?? 'GET',
      path: ctx.path,
      endpoint: ctx.api.op,
      stream: ctx.stream,
      headers: headersForLog(ctx.req.headers),
      body: req.body,
      body_truncated: req.truncated,
    },
    response: { status: ctx.status, body: res.body, body_truncated: res.truncated },
    provider: ctx.provider,
    model: ctx.model,
    served_model: ctx.servedModel && ctx.servedModel !== ctx.model ? ctx.servedModel : undefined,
    config_path: ctx.configUsed ? ctx.configPath : undefined,
    retries: ctx.retries,
    attempts: ctx.attempts.length ? ctx.attempts : undefined,
    cache_status: ctx.cacheStatus,
    hook_results: ctx.hookResults,
    usage: usage
      ? {
          prompt_tokens: usage.prompt_tokens ?? 0,
          completion_tokens: usage.completion_tokens ?? 0,
          total_tokens: usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0),
          cached_tokens: usage.prompt_tokens_details?.cached_tokens,
          cache_creation_tokens: usage.cache_creation_input_tokens,
          reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens,
        }
      : undefined,
    // A cache hit's usage is the original call's; the hit itself cost nothing at the provider.
    cost: isCacheHit(ctx.cacheStatus) ? { usd: 0, priced: true } : usage && ctx.provider && ctx.model ? costOfUsage(ctx.provider, ctx.model, ctx.servedModel, usage) : undefined,
    metadata: ctx.headers && Object.keys(ctx.headers.metadata).length ? ctx.headers.metadata : undefined,
    span: ctx.headers?.span ? { id: ctx.headers.span.id, name: ctx.headers.span.name, parent_id: ctx.headers.span.parentId } : undefined,
    principal: ctx.key || ctx.headers?.virtualKey ? { key_id: ctx.key?.id, virtual_key: ctx.headers?.virtualKey, workspace: ctx.key?.workspace } : undefined,
    error: ctx.error
      ? { message: ctx.error.message, type: ctx.error.type, code: ctx.error.code, status: ctx.error.status, stage: ctx.errorStage }
      : undefined,
    stream_outcome: ctx.stream ? ctx.streamOutcome : undefined,
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;
