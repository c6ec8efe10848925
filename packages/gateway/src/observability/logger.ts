import { pino, type Logger } from 'pino';

/** Structured JSON process log. Credential-bearing fields are censored by path wherever they appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'portico-gateway' },
    redact: {
      paths: ['*.authorization', '*.apiKey', '*.api_key', '*["x-portkey-api-key"]', '*["x-api-key"]', '*["api-key"]', '*.password', '*.secret', '*.token'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
