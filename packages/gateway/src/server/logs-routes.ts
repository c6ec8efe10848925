import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { GatewayDeps } from '../pipeline/deps.js';
import { authenticate } from '../pipeline/authenticate.js';
import { getLogById, listLogs, parseListQuery } from '../logs/read-handlers.js';
import { drainOrClose, sendJson, toGatewayError } from './respond.js';
import { decodedPathSegment } from '../percent-decoding.js';

/**
 * GET /v1/logs/{id} and GET /v1/logs?from&to&limit (NDJSON, streamed). Needs the logs scope when keys
 * exist; a workspace key reads its workspace's documents only, an organisation-level key all of them.
 */
export async function handleLogsRoute(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, path: string, url: string): Promise<void> {
  req.resume();
  try {
    if (req.method !== 'GET') throw new GatewayError({ status: 405, code: 'method_not_allowed', message: `${path} accepts GET only.` });
    const presented = req.headers['x-portkey-api-key'];
    const key = await authenticate(deps.entities, typeof presented === 'string' ? presented : undefined, 'logs');
    const workspace = key?.workspace;
    if (path !== '/v1/logs') {
      const doc = await getLogById(deps.logStore, decodedPathSegment(path.slice('/v1/logs/'.length), 'id', 'log id'), workspace);
      return sendJson(res, 200, doc);
    }
    const query = parseListQuery(new URL(url, 'http://gateway').searchParams);
    const lines = listLogs(deps.logStore, query, workspace);
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for await (const line of lines) {
      if (res.destroyed) return;
      if (!res.write(line)) await drainOrClose(res);
    }
    res.end();
  } catch (e) {
    const err = toGatewayError(e, 'logs');
    if (res.headersSent) res.destroy();
    else sendJson(res, err.status, err.toBody());
  }
}
