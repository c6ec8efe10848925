import { readAtMost } from '@portico/contract';
import { errors, request, type Dispatcher } from 'undici';
import { validateCustomHost, type EgressPolicy } from '../upstream/egress-policy.js';
import { WebhookTimeoutError, type WebhookPoster } from './checks.js';

/** A webhook's answer is a verdict and some data: anything larger is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * default.webhook's HTTP side. The URL comes from a config, which any client may send inline, so it
 * passes the same egress policy as custom_host (never cloud metadata; private ranges only when allowed),
 * through the dispatcher that re-checks every resolved address at connect time.
 */
export function createWebhookPoster(dispatcher: Dispatcher, policy: EgressPolicy): WebhookPoster {
  return async (url, headers, body, timeoutMs) => {
    await validateCustomHost(url, policy, 'webhookURL');
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST', dispatcher, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
        headers: withJsonType(headers), body: JSON.stringify(body),
      });
      const text = await readBounded(res.body);
      // The status only: the caller chose the URL, and the text of whatever answers there is not theirs to read.
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`the webhook answered HTTP ${res.statusCode}`);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`the webhook's answer (HTTP ${res.statusCode}, ${text.length} characters) is not JSON`);
      }
    } catch (e) {
      if (signal.aborted || e instanceof errors.HeadersTimeoutError || e instanceof errors.BodyTimeoutError) throw new WebhookTimeoutError(`the webhook did not answer within ${timeoutMs} ms`);
      throw e;
    }
  };
}

/** The configured headers with the one content type the body has, whatever case the config wrote it in. */
function withJsonType(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) if (k.toLowerCase() !== 'content-type') out[k] = headers[k];
  out['content-type'] = 'application/json';
  return out;
}

async function readBounded(body: Dispatcher.ResponseData['body']): Promise<string> {
  return (await readAtMost(body, MAX_ANSWER_BYTES, () => new Error(`the webhook's answer is larger than ${MAX_ANSWER_BYTES} bytes`))).toString('utf8');
}
