import { processLogOptions } from '@portico/contract';
import { pino, type Logger } from 'pino';

/** Structured JSON process log, in the shape every Portico part shares (see the contract's process-log.ts). */
export function createLogger(level: string): Logger {
  return pino(processLogOptions('portico-gateway', level));
}
