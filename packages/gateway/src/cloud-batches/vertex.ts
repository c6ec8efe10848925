import { GatewayError } from '../errors.js';
import type { CloudContext, CloudRoute } from './context.js';

export async function handleVertex(_c: CloudContext, _r: CloudRoute): Promise<void> {
  throw new GatewayError({ status: 501, code: 'unsupported_operation', message: 'vertex-ai files and batches: not yet' });
}
