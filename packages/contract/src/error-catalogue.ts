/**
 * Every error code the gateway itself gives, in one place: its HTTP status, its OpenAI-style `type`,
 * what it means and what the caller can do about it. One failure has one code. `docs/errors.md` is
 * generated from this table (renderErrorsDoc) and a test keeps the two, and the call sites, in step.
 *
 * Codes a provider sends (its own `error.code`) are passed through as they came and are not listed here.
 */
import { GatewayError, type ErrorType, type GatewayErrorInit } from './errors.js';

export interface ErrorEntry {
  status: number;
  type: ErrorType | 'hooks_failed';
  /** What happened, in one sentence. */
  means: string;
  /** What the caller can do about it. */
  fix: string;
}

const entry = (status: number, type: ErrorEntry['type'], means: string, fix: string): ErrorEntry => ({ status, type, means, fix });
const BAD = 'invalid_request_error' as const;
const UP = 'upstream_error' as const;

export const ERROR_CATALOGUE = {
  // ---- the request itself
  invalid_json: entry(400, BAD, 'The request body is not valid JSON.', 'Send a JSON object with Content-Type: application/json.'),
  empty_body: entry(400, BAD, 'The request body is empty.', 'Send a JSON object as the body.'),
  unsupported_media_type: entry(415, BAD, 'The Content-Type is not one this route accepts.', 'Send Content-Type: application/json (multipart/form-data for uploads).'),
  request_too_large: entry(413, BAD, 'The body is larger than the gateway accepts.', 'Send a smaller body, or raise MAX_BODY_BYTES / MAX_UPLOAD_BYTES.'),
  request_aborted: entry(400, BAD, 'The body could not be read to its end: the client stopped sending it.', 'Send the whole body; check for proxies that cut uploads.'),
  bad_http_request: entry(400, BAD, 'The request is not valid HTTP.', 'Check the client or proxy in front of the gateway.'),
  method_not_allowed: entry(405, BAD, 'The route exists, but not for this HTTP method.', 'Use the method the route documents (usually POST for inference, GET for reads).'),
  route_not_found: entry(404, 'not_found_error', 'No route has this path.', 'Check the path against the README\'s list of routes.'),
  invalid_value: entry(400, BAD, 'A field has a value the gateway cannot use.', 'Fix the field named in `param`, as the message says.'),
  unsupported_parameter: entry(400, BAD, 'A field is valid for the API but not supported on this route or provider.', 'Remove the field named in `param`, or use a provider that supports it.'),
  missing_parameter: entry(400, BAD, 'A required field or header is missing.', 'Add the field named in `param`.'),
  unsupported_tool: entry(400, BAD, 'A tool type in the request cannot be sent to the selected provider.', 'Remove the tool, or use a provider that offers it.'),
  unsupported_operation: entry(400, BAD, 'The selected provider does not offer this operation.', 'Route the request to a provider that does (docs/providers.md).'),
  invalid_batch_line: entry(400, BAD, 'A line of a batch input file is not an OpenAI batch request the provider\'s batch format can take.', 'Fix the line the message names: {"custom_id","method":"POST","url","body"}, one JSON object per line.'),
  unsupported_model: entry(400, BAD, 'The model is not one the gateway can write this provider\'s batch records for.', 'Use a model family the message lists, or run the batch on the data service (no x-portkey-provider).'),
  own_identity_not_allowed: entry(403, 'permission_error', 'The request brought no cloud credentials, and the gateway\'s own identity may not be used for this bucket.', 'Send your own credentials (keys, a role, a virtual key), or ask the operator to list the bucket in BEDROCK_BATCH_S3_BUCKETS.'),
  cloud_uploads_busy: entry(503, 'server_error', 'The gateway is already converting as many batch files to a cloud\'s storage as it allows at once (CLOUD_BATCH_MAX_UPLOADS).', 'Retry after the Retry-After seconds.'),
  batch_output_unavailable: entry(409, BAD, 'The batch has no output to read yet (it has not finished, or it failed before writing any).', 'Wait until the batch is completed (or cancelled, expired) and read its output then.'),
  stateless_gateway: entry(400, BAD, 'The request refers to state that the gateway does not keep for this provider.', 'Send the full history instead of a reference to it.'),
  body_too_deep: entry(400, BAD, 'The JSON body nests objects and arrays deeper than the gateway parses.', 'Flatten the body, or raise MAX_BODY_DEPTH.'),
  image_filtered: entry(400, BAD, "The provider's safety filter withheld every image the request asked for.", 'Rephrase the prompt.'),
  invalid_header_value: entry(400, BAD, 'A value bound for an upstream header holds a CR or LF.', 'Remove the line break from the field named in `param`.'),
  invalid_forward_header: entry(400, BAD, 'The forward_headers list names a hop-by-hop or otherwise unforwardable header.', 'Remove the header named in `param` from forward_headers.'),
  request_headers_too_slow: entry(408, 'timeout_error', 'The request headers did not arrive in time; the connection was closed.', 'Send the headers at once, or raise REQUEST_HEADERS_TIMEOUT_MS.'),
  request_body_too_slow: entry(408, 'timeout_error', 'The request body arrived slower than the minimum rate; the connection was closed.', 'Send the body without pauses, or lower REQUEST_BODY_MIN_BYTES_PER_S.'),
  // ---- routing and configuration
  missing_provider: entry(400, BAD, 'No provider is selected for the request.', 'Send x-portkey-provider, x-portkey-virtual-key or a config with a provider.'),
  unknown_provider: entry(400, BAD, 'The provider named is not one the gateway knows.', 'Use a provider listed in docs/providers.md.'),
  invalid_config: entry(400, BAD, 'The routing config, or a routing header, is not valid.', 'Fix the key named in `param`; the message says what is wrong with it.'),
  semantic_cache_not_configured: entry(400, BAD, 'The config asks for cache.mode "semantic" but names no embedding model, and the gateway has no default.', 'Add cache.semantic.embedding ({"provider" or "virtual_key", "model"}) to the config, have the operator set SEMANTIC_CACHE_EMBEDDING, or use mode "simple".'),
  unknown_config: entry(400, BAD, 'The x-portkey-config header names no saved config and is not a JSON object.', 'Check the config id in the entities file, or send the config inline as JSON.'),
  unknown_virtual_key: entry(400, BAD, 'The virtual key named is not configured.', 'Check the virtual key\'s slug in the entities file.'),
  invalid_model: entry(400, BAD, 'The model starts with @ but is not "@provider-slug/model".', 'Send "@provider-slug/model", e.g. "@openai-prod/gpt-4o-mini", or a plain model name.'),
  conflicting_provider: entry(400, BAD, 'The request names a saved provider twice, differently (model "@slug/...", x-portkey-provider, x-portkey-virtual-key).', 'Name the provider once.'),
  unknown_guardrail: entry(400, BAD, 'A config names a saved guardrail by id that does not exist (for this key\'s workspace).', 'Check the id against the control plane\'s /v1/guardrails.'),
  prompt_not_found: entry(404, 'not_found_error', 'The prompt, its version or its label does not exist (for this key\'s workspace).', 'Check the prompt id or slug and the @version or @label.'),
  prompt_partial_loop: entry(400, BAD, 'Prompt partials include each other too deeply (a loop).', 'Break the loop of {{>partial}} includes.'),
  too_many_partials: entry(400, BAD, 'The prompt includes more partials than the gateway renders.', 'Include fewer partials.'),
  prompt_partial_not_found: entry(400, BAD, 'The prompt includes a partial that does not exist.', 'Create the partial under /v1/prompts/partials or fix the {{>name}}.'),
  invalid_prompt_template: entry(400, BAD, 'The saved prompt\'s template is not valid Mustache or not a list of messages.', 'Fix the template in the control plane.'),
  admin_busy: entry(503, 'server_error', 'The gateway is already forwarding as many admin calls to the control plane as it allows.', 'Retry shortly.'),
  control_plane_unreachable: entry(502, 'server_error', 'The control plane did not answer an admin call forwarded by the gateway (504 when it timed out).', 'Check that the control plane runs and CONTROL_PLANE_URL points at it.'),
  no_matching_condition: entry(400, BAD, 'A conditional config has no condition that matches the request and no default.', 'Add a `default` target, or send the metadata a condition expects.'),
  virtual_key_override_forbidden: entry(400, BAD, 'A request setting would move a virtual key\'s saved secret to another host or change how it authenticates.', 'Remove the field named in `param`, or save it in the virtual key (or allow it there with allow_request_routing).'),
  custom_host_forbidden: entry(400, BAD, 'The custom_host points somewhere the gateway\'s egress policy does not allow.', 'Use a public host, or allow its network in CUSTOM_HOST_ALLOWED_CIDRS.'),
  guardrails_unsupported: entry(400, BAD, 'Guardrails were asked for on a route that cannot run them.', 'Remove the hooks from the config for this route.'),
  // ---- keys and access
  entra_token_refused: entry(401, 'authentication_error', 'Entra ID refused the identity given for an Azure provider: client credentials (tenant, client id, secret), the workload identity\'s federated token, or a managed identity the host does not have.', 'Check x-portkey-azure-entra-tenant-id, -client-id and -client-secret, the app\'s federated credential, or x-portkey-azure-managed-client-id; the message carries Entra\'s (AADSTS) or the metadata service\'s reason.'),
  entra_token_unavailable: entry(502, UP, 'The Entra ID token endpoint, the managed identity endpoint or the workload identity token file could not be reached or read.', 'Check network egress to login.microsoftonline.com (or AZURE_AUTHORITY_HOST), that the gateway runs on an Azure host with a managed identity, or AZURE_FEDERATED_TOKEN_FILE; then retry.'),
  missing_api_key: entry(401, 'authentication_error', 'The gateway has keys configured and the request sent none.', 'Send a gateway key in x-portkey-api-key.'),
  invalid_api_key: entry(401, 'authentication_error', 'The gateway key sent is not valid.', 'Check the key against the keys configured for this gateway.'),
  insufficient_scope: entry(403, 'permission_error', 'The gateway key lacks the scope this route needs.', 'Add the scope named in the message to the key.'),
  cors_origin_not_allowed: entry(403, 'permission_error', 'The browser origin is not allowed.', 'Add the origin to CORS_ALLOWED_ORIGINS.'),
  gateway_identity_refused: entry(403, 'permission_error', "The request would be signed with the gateway's own cloud identity (its AWS task role, or its Azure managed or workload identity), which this gateway lends only to saved provider credentials.", 'Send the provider\'s own credentials (x-portkey-aws-access-key-id / -secret-access-key, an Azure api-key or Entra client credentials), use a virtual key or saved config that the operator made, or have the operator set GATEWAY_CLOUD_IDENTITY=any.'),
  // ---- kept state and logs
  response_not_found: entry(404, 'not_found_error', 'No response with this id is kept for this workspace.', 'Check the id; responses are kept only when created with store: true.'),
  item_not_found: entry(404, BAD, 'An item_reference in the input names no item of a response the gateway kept.', 'Send the item itself, or check that its response was kept (store not false, not expired).'),
  previous_response_not_found: entry(404, BAD, 'The previous_response_id names no kept response.', 'Check the id, or send the full history instead.'),
  log_not_found: entry(404, 'not_found_error', 'No log document has this id.', 'Check the id, or search by time with GET /v1/logs?from&to.'),
  invalid_log_id: entry(400, BAD, 'The log id is not in the gateway\'s id format.', 'Use the id from the x-portkey-trace-id or the log listing.'),
  invalid_time: entry(400, BAD, 'A time bound of the log query is not a valid time.', 'Send ISO 8601 times or epoch milliseconds.'),
  invalid_range: entry(400, BAD, 'The log query\'s `from` is after its `to`.', 'Send from ≤ to.'),
  range_too_large: entry(400, BAD, 'The log query spans more time than one query may.', 'Query a shorter range.'),
  invalid_limit: entry(400, BAD, 'The log query\'s limit is not a positive integer within the maximum.', 'Send a smaller positive integer limit.'),
  // ---- limits and guardrails
  rate_limit_exceeded: entry(429, 'rate_limit_error', 'A request or token rate limit of the key, virtual key or user is used up for this window.', 'Wait for the Retry-After seconds, or raise the limit.'),
  budget_exceeded: entry(429, 'rate_limit_error', 'A cost budget of the key, virtual key or user is spent for this window.', 'Wait for the next window (Retry-After), or raise the budget.'),
  policy_rate_limit_exceeded: entry(429, 'rate_limit_error', 'A rate-limit policy (/v1/policies/rate-limits) is used up for this request\'s group (its group_by values) in this window.', 'Wait for the Retry-After seconds, or ask a workspace admin to raise the policy\'s value.'),
  policy_usage_limit_exceeded: entry(429, 'rate_limit_error', 'A usage-limit policy (/v1/policies/usage-limits) has spent its credit_limit of cost or tokens for this request\'s group.', 'Wait for the periodic reset (Retry-After, when there is one), or ask a workspace admin to reset the entity\'s usage or raise credit_limit.'),
  workspace_rate_limit_exceeded: entry(429, 'rate_limit_error', 'A rate limit of the key\'s workspace (its rate_limits) is used up for this window.', 'Wait for the Retry-After seconds, or ask an admin to raise the workspace\'s rate_limits.'),
  workspace_budget_exceeded: entry(429, 'rate_limit_error', 'A usage limit of the key\'s workspace (its usage_limits: cost or tokens per month or week) is spent.', 'Wait for the next month or week (Retry-After), or ask an admin to raise the workspace\'s usage_limits.'),
  limits_unavailable: entry(503, 'api_error', 'The limits store could not be reached and LIMITS_FAIL_MODE is closed.', 'Retry shortly; check the Redis that holds the limits.'),
  guardrails_denied: entry(446, 'hooks_failed', 'A guardrail with deny: true failed; the request or its response was refused.', 'See hook_results in the body for the check that failed.'),
  // ---- the call to the provider
  request_timeout: entry(408, 'timeout_error', 'The provider did not answer within the request timeout.', 'Raise request_timeout in the config or x-portkey-request-timeout, or retry.'),
  client_closed_request: entry(499, BAD, 'The client went away before the answer was complete.', 'Nothing to fix on the gateway; the log document records the partial result.'),
  upstream_unreachable: entry(502, UP, 'The provider could not be reached (DNS, connection refused, TLS).', 'Check the provider\'s URL or custom_host, and the network path to it.'),
  upstream_connection_lost: entry(502, UP, 'The connection to the provider was lost before its answer was complete.', 'Retry; add retry to the config to do so automatically.'),
  invalid_upstream_response: entry(502, UP, 'The provider\'s answer is not valid HTTP or not the format its API documents.', 'Check that the provider or custom_host is the API the provider names.'),
  upstream_response_too_large: entry(502, UP, 'The provider\'s answer is larger than the gateway buffers.', 'Ask for a streamed response, or a smaller one.'),
  upload_not_replayable: entry(502, UP, 'A streamed upload was already sent to one provider and cannot be sent to another.', 'Retry the request; uploads are not retried or fallen back.'),
  upstream_generation_error: entry(502, UP, 'The provider reported that generating the answer failed.', 'Retry; the message carries the provider\'s words.'),
  // ---- streams from the provider
  empty_stream: entry(502, UP, 'The provider\'s stream ended without a single event.', 'Retry; if it persists, the provider or custom_host does not stream.'),
  stream_truncated: entry(502, UP, 'The provider\'s stream ended before its final event; the answer is incomplete.', 'Retry; the partial answer is in the log document.'),
  invalid_stream_event: entry(502, UP, 'The provider\'s stream sent an event the gateway cannot read (not JSON, or not an event its API documents).', 'Check that the provider or custom_host is the API the provider names.'),
  stream_frame_too_large: entry(502, UP, 'One server-sent event from the provider is larger than the gateway buffers.', 'Report it; the bound protects the gateway\'s memory.'),
  stream_line_too_long: entry(502, UP, 'One NDJSON line from the provider is longer than the gateway buffers.', 'Report it; the bound protects the gateway\'s memory.'),
  upstream_stream_corrupt: entry(502, UP, 'The provider\'s binary event stream failed its checksum or framing.', 'Retry; if it persists, check what sits between the gateway and the provider.'),
  upstream_stream_error: entry(502, UP, 'The provider sent an error in the middle of its stream.', 'Retry; the message carries the provider\'s words.'),
  stream_stalled: entry(504, 'timeout_error', 'The provider\'s stream sent nothing for longer than the idle timeout.', 'Retry, or raise request_timeout if the model pauses this long.'),
  data_service_unavailable: entry(502, 'api_error', 'The data service that serves log exports could not be reached.', 'Retry shortly; check DATASERVICE_BASEPATH and that the data service is running.'),
  // ---- the control plane: secret references and MCP servers
  secret_reference_unresolved: entry(502, UP, 'The control plane could not read a secret reference\'s value from its secret manager: access denied, no such secret, unreachable, or refused by the egress policy.', 'Check the reference\'s auth_config and secret_path (the message names the reference and says what the manager answered); for a private endpoint see EGRESS_ALLOWED_CIDRS and EGRESS_ALLOW_LOOPBACK.'),
  secret_reference_in_use: entry(400, BAD, 'A secret reference still fills a field of an integration, virtual key or MCP integration.', 'Remove those secret_mappings first; the message names them.'),
  unsupported_secret_manager: entry(400, BAD, 'The secret manager or auth type is one Portkey\'s document lists but Portico does not resolve.', 'Use manager_type "aws_sm" with aws_auth_type "accessKey" (or "serviceRole" where SECRET_REFERENCE_ALLOW_SERVICE_ROLE allows it), "hashicorp_vault" with vault_auth_type "token" or "approle", or "azure_kv" with azure_auth_mode "entra".'),
  unsupported_mcp_transport: entry(400, BAD, 'The MCP transport or auth type is one Portkey\'s document lists but Portico does not speak (the older SSE transport, OAuth flows).', 'Use transport "http" with auth_type "none" or "headers".'),
  mcp_server_unreachable: entry(502, UP, 'The control plane could not list an MCP server\'s capabilities: it refused, failed, timed out, answered more than 2 MiB, or the egress policy refused it.', 'Check the integration\'s URL and headers with POST /v1/mcp-servers/{id}/test; the message says what failed.'),
  // ---- the gateway itself
  circuit_open: entry(503, 'api_error', 'Every target of a strategy has an open circuit breaker (strategy.cb_config) after repeated failures.', 'Retry after the Retry-After header\'s seconds, when one target is probed again.'),
  response_buffer_full: entry(503, 'api_error', 'The gateway holds as many unread answer bytes as it may (RESPONSE_BUFFER_MAX_BYTES).', 'Retry shortly, or send "stream": true.'),
  internal_error: entry(500, 'server_error', 'The gateway failed in a way it did not expect.', 'Report it with the x-portkey-trace-id; the log has the details.'),
  framer_missing: entry(500, 'server_error', 'The provider streams in a format the gateway has no reader for.', 'Report it: this is a gateway bug.'),
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/**
 * A GatewayError whose status and type come from the catalogue. `message` says what exactly went
 * wrong in this request; the catalogue's fix text is for docs, not appended to every message.
 */
export function catalogued(code: ErrorCode, message: string, init: Omit<GatewayErrorInit, 'status' | 'message' | 'code' | 'type'> = {}): GatewayError {
  const e = ERROR_CATALOGUE[code];
  return new GatewayError({ ...init, status: e.status, type: e.type, code, message });
}

/** docs/errors.md, generated: one row per code. */
export function renderErrorsDoc(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = Object.entries(ERROR_CATALOGUE).map(([code, e]) => `| \`${code}\` | ${e.status} | \`${e.type}\` | ${cell(e.means)} | ${cell(e.fix)} |`);
  return [
    '# Error codes',
    '',
    '<!-- Generated from packages/contract/src/error-catalogue.ts by `npm run docs -w @portico/gateway`; do not edit by hand. -->',
    '',
    'Every error the gateway gives is in OpenAI\'s shape: `{"error":{"message","type","param","code"}}`.',
    'The `code` is one of those below; `param` names the field or header at fault when there is one.',
    'Errors a provider returns keep the provider\'s own status, type and code, and are not listed here.',
    '',
    '| code | status | type | means | what to do |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
