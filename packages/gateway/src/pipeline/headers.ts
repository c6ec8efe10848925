import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { GatewayError, badRequest } from '../errors.js';

/** The x-portkey-* request headers, parsed and validated once. */
export interface PortkeyHeaders {
  traceId: string;
  provider?: string;
  apiKey?: string;
  gatewayKey?: string;
  config?: string;
  virtualKey?: string;
  customHost?: string;
  forwardHeaders?: string[];
  requestTimeout?: number;
  metadata: Record<string, string>;
  cacheForceRefresh: boolean;
  /** x-portkey-debug: false asks that request and response bodies be neither logged nor cached. */
  keepBodies: boolean;
  /** Portkey's span headers (or W3C traceparent's parent id): where this request sits in the caller's trace. */
  span?: { id?: string; name?: string; parentId?: string };
  /** x-portkey-cache-namespace: when given, the cache is partitioned by it alone, not by the routing headers. */
  cacheNamespace?: string;
  /** x-portkey-sticky-key: groups requests onto one loadbalance target under strategy.sticky. */
  stickyKey?: string;
  /** Other x-portkey-* headers as provider settings: x-portkey-aws-region → aws_region. */
  settings: Record<string, string>;
}

const METADATA_MAX_BYTES = 4096;
const METADATA_MAX_KEYS = 64;
const TRACE_ID_RE = /^[A-Za-z0-9._:\-]{1,128}$/;
const KNOWN = new Set([
  'x-portkey-trace-id', 'x-portkey-provider', 'x-portkey-api-key', 'x-portkey-config', 'x-portkey-virtual-key',
  'x-portkey-custom-host', 'x-portkey-forward-headers', 'x-portkey-request-timeout', 'x-portkey-metadata',
  'x-portkey-cache-force-refresh', 'x-portkey-cache-namespace', 'x-portkey-debug',
  'x-portkey-span-id', 'x-portkey-span-name', 'x-portkey-parent-span-id', 'x-portkey-sticky-key',
]);
const STICKY_KEY_MAX = 256;
const SPAN_NAME_MAX = 256;
/** W3C Trace Context: version-trace_id-parent_id-flags, lower-case hex. */
const TRACEPARENT_RE = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const CACHE_NAMESPACE_MAX = 256;
/** Portkey header names whose setting name differs from the plain snake_case form. */
const SETTING_ALIASES: Record<string, string> = {
  azure_resource_name: 'resource_name',
  azure_deployment_id: 'deployment_id',
  azure_api_version: 'api_version',
};

const isTrue = (v: string | undefined): boolean => v !== undefined && (v === '1' || v.toLowerCase() === 'true');
const isFalse = (v: string | undefined): boolean => v !== undefined && (v === '0' || v.toLowerCase() === 'false');

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function spanId(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = one(headers, name) || undefined;
  if (v !== undefined && !TRACE_ID_RE.test(v)) throw badRequest(`${name} may hold 1-128 letters, digits, and . _ : - only`, name);
  return v;
}

function stickyKeyHeader(v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (v.length > STICKY_KEY_MAX) throw badRequest(`x-portkey-sticky-key may be at most ${STICKY_KEY_MAX} characters`, 'x-portkey-sticky-key');
  return v;
}

/** `traceId` is used when the client sent no x-portkey-trace-id. */
export function parsePortkeyHeaders(headers: IncomingHttpHeaders, traceId?: string): PortkeyHeaders {
  const rawTrace = one(headers, 'x-portkey-trace-id');
  if (rawTrace !== undefined && !TRACE_ID_RE.test(rawTrace)) {
    throw badRequest('x-portkey-trace-id may hold 1-128 letters, digits, and . _ : - only', 'x-portkey-trace-id');
  }
  // An OpenTelemetry caller's traceparent stands in for the Portkey headers it did not send; a malformed one is ignored, as W3C says.
  const parent = TRACEPARENT_RE.exec(one(headers, 'traceparent') ?? '');
  const out: PortkeyHeaders = {
    traceId: rawTrace ?? parent?.[1] ?? traceId ?? randomUUID(),
    provider: one(headers, 'x-portkey-provider')?.trim().toLowerCase() || undefined,
    gatewayKey: one(headers, 'x-portkey-api-key') || undefined,
    config: one(headers, 'x-portkey-config') || undefined,
    virtualKey: one(headers, 'x-portkey-virtual-key') || undefined,
    customHost: one(headers, 'x-portkey-custom-host') || undefined,
    metadata: {},
    cacheForceRefresh: isTrue(one(headers, 'x-portkey-cache-force-refresh')),
    cacheNamespace: one(headers, 'x-portkey-cache-namespace') || undefined,
    stickyKey: stickyKeyHeader(one(headers, 'x-portkey-sticky-key')),
    keepBodies: !isFalse(one(headers, 'x-portkey-debug')),
    settings: {},
  };
  // x-portkey-provider: @slug names a saved provider (Portkey's model catalog), not a provider id.
  const rawProvider = one(headers, 'x-portkey-provider')?.trim();
  if (rawProvider?.startsWith('@')) {
    if (rawProvider.length === 1) throw badRequest('x-portkey-provider "@" names no saved provider; send "@provider-slug"', 'x-portkey-provider');
    if (out.virtualKey && out.virtualKey !== rawProvider.slice(1)) throw badRequest('x-portkey-provider names a saved provider and x-portkey-virtual-key another; send one of them', 'x-portkey-provider');
    out.virtualKey = rawProvider.slice(1);
    out.provider = undefined;
  }
  const span = { id: spanId(headers, 'x-portkey-span-id'), name: one(headers, 'x-portkey-span-name') || undefined, parentId: spanId(headers, 'x-portkey-parent-span-id') ?? parent?.[2] };
  if (span.name !== undefined && span.name.length > SPAN_NAME_MAX) throw badRequest(`x-portkey-span-name may be at most ${SPAN_NAME_MAX} characters`, 'x-portkey-span-name');
  if (span.id || span.name || span.parentId) out.span = span;
  if (out.cacheNamespace !== undefined && out.cacheNamespace.length > CACHE_NAMESPACE_MAX) {
    throw badRequest(`x-portkey-cache-namespace may be at most ${CACHE_NAMESPACE_MAX} characters`, 'x-portkey-cache-namespace');
  }
  const auth = one(headers, 'authorization');
  if (auth) out.apiKey = auth.replace(/^Bearer\s+/i, '');
  else if (one(headers, 'x-api-key')) out.apiKey = one(headers, 'x-api-key');
  else if (one(headers, 'api-key')) out.apiKey = one(headers, 'api-key');

  const forward = one(headers, 'x-portkey-forward-headers');
  if (forward) out.forwardHeaders = forward.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);

  const timeout = one(headers, 'x-portkey-request-timeout');
  if (timeout !== undefined) {
    if (!/^\d{1,9}$/.test(timeout) || Number(timeout) <= 0) throw badRequest('x-portkey-request-timeout must be a positive whole number of milliseconds', 'x-portkey-request-timeout');
    out.requestTimeout = Number(timeout);
  }

  const metadata = one(headers, 'x-portkey-metadata');
  if (metadata) out.metadata = parseMetadata(metadata);

  for (const name in headers) {
    if (!name.startsWith('x-portkey-') || KNOWN.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const key = name.slice('x-portkey-'.length).replace(/-/g, '_');
    out.settings[SETTING_ALIASES[key] ?? key] = Array.isArray(value) ? value[0] : value;
  }
  return out;
}

function parseMetadata(raw: string): Record<string, string> {
  // Characters first: a string this short in UTF-16 units cannot exceed the byte bound.
  if (raw.length * 3 > METADATA_MAX_BYTES && Buffer.byteLength(raw) > METADATA_MAX_BYTES) throw badRequest(`x-portkey-metadata is larger than ${METADATA_MAX_BYTES} bytes; send fewer or shorter values`, 'x-portkey-metadata');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw badRequest('x-portkey-metadata must be a JSON object of strings, e.g. {"_user":"alice","env":"prod"}', 'x-portkey-metadata');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('x-portkey-metadata must be a JSON object of strings', 'x-portkey-metadata');
  const out: Record<string, string> = {};
  let count = 0;
  for (const k in value) {
    if (++count > METADATA_MAX_KEYS) throw badRequest(`x-portkey-metadata may hold at most ${METADATA_MAX_KEYS} keys`, 'x-portkey-metadata');
    const v = (value as Record<string, unknown>)[k];
    if (typeof v !== 'string') throw new GatewayError({ status: 400, param: 'x-portkey-metadata', message: `x-portkey-metadata.${k} must be a string (got ${v === null ? 'null' : typeof v})` });
    out[k] = v;
  }
  return out;
}
