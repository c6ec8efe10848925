import { Agent, type Dispatcher } from 'undici';

export const ORIGINAL_ORIGIN_HEADER = 'x-test-original-origin';

/**
 * A dispatcher that sends every request to `toOrigin` (a local fake) instead of the host in its URL,
 * telling the fake the origin the gateway meant to reach. Installed as the gateway's trusted
 * dispatcher, it lets a test check the exact URL a provider builds (https://api.sambanova.ai/v1/...)
 * while the bytes go to a real HTTP server on loopback.
 */
export function redirectingDispatcher(toOrigin: string): { dispatcher: Dispatcher; close(): Promise<void> } {
  const agent = new Agent();
  const dispatcher = agent.compose((dispatch) => (opts, handler) => {
    // Host stays the one meant, as a signed request (SigV4) covers it.
    const headers = { ...(opts.headers as Record<string, string>), [ORIGINAL_ORIGIN_HEADER]: String(opts.origin), host: new URL(String(opts.origin)).host };
    return dispatch({ ...opts, origin: toOrigin, headers }, handler);
  });
  return { dispatcher, close: () => agent.close() };
}
