import type { FakeCompat } from '../../fakes/openai-compatible.js';
import type { FakeEntra } from '../../fakes/entra.js';

/**
 * Makes the OpenAI-compatible fake behave as Azure's front door for Entra auth: a request with a
 * bearer token must carry a valid token from the fake tenant (signature, issuer, audience, expiry),
 * or it gets Azure's 401; the app id of each accepted token is recorded.
 */
export function checkAzureBearer(fake: FakeCompat, entra: FakeEntra, audience?: string): { appids: string[] } {
  const appids: string[] = [];
  for (const suffix of ['/chat/completions', '/embeddings']) {
    fake.route(suffix, (req) => {
      if (!req.headers.authorization) return undefined;
      const verdict = entra.verifyAccessToken(String(req.headers.authorization), audience);
      if (!verdict.ok) {
        return { status: 401, body: { error: { code: '401', message: `Unauthorized. Access token is missing, invalid, audience is incorrect, or have expired (${verdict.reason}).` } } };
      }
      appids.push(verdict.appid);
      return undefined;
    });
  }
  return { appids };
}
