/**
 * One shape for every part's JSON process log (gateway, control plane, data service), so a log
 * pipeline parses them alike: ISO-8601 `time`, a `service` field, and credential-bearing fields
 * censored by path wherever they appear. Returns pino's options; each part creates its own logger.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  '*.authorization', '*.apiKey', '*.api_key', '*["x-portkey-api-key"]', '*["x-api-key"]', '*["api-key"]', '*.password', '*.secret', '*.token',
];

export interface ProcessLogOptions {
  level: string;
  base: { service: string };
  redact: { paths: string[]; censor: string };
  timestamp: () => string;
}

/** pino's timestamp hook: the text it splices into each line, `,"time":"2026-12-07T16:00:00.000Z"`. */
const isoTime = (): string => `,"time":"${new Date().toISOString()}"`;

export function processLogOptions(service: string, level: string, extraRedactPaths: readonly string[] = []): ProcessLogOptions {
  return { level, base: { service }, redact: { paths: [...LOG_REDACT_PATHS, ...extraRedactPaths], censor: '[redacted]' }, timestamp: isoTime };
}
