import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { Portkey } from 'portkey-ai';
import { startTestControlPlane, type Backend, type TestControlPlane } from './control-plane.js';
import { PortkeySpec, specMissing } from './portkey-spec.js';
import { startRecorder, type Exchange } from './recorder.js';

/**
 * The official portkey-ai SDK against a running control plane, through a recorder: after each test,
 * every body the SDK sent and every answer Portico gave is checked against Portkey's OpenAPI document.
 */
const spec = specMissing ? undefined : new PortkeySpec();

export interface Harness {
  t: TestControlPlane;
  portkey: Portkey;
  /** The recorder's base URL (for raw calls that should be checked too). */
  url: string;
  checked(): number;
}

/** The SDK's spellings of documented analytics paths (served by the same handlers), checked as the documented path. */
const SDK_ALIASES: Array<[RegExp, string]> = [
  [/\/analytics\/graphs\/errors-rate/, '/analytics/graphs/errors/rate'], [/\/analytics\/graphs\/cache-hit-rate/, '/analytics/graphs/cache/hit-rate'],
  [/\/analytics\/graphs\/users-requests/, '/analytics/graphs/users/requests'], [/\/analytics\/graphs\/errors-stack/, '/analytics/graphs/errors/stacks'],
  [/\/analytics\/graphs\/errors-status-code/, '/analytics/graphs/errors/status-codes'], [/\/analytics\/graphs\/requests-rescued/, '/analytics/graphs/requests/rescued'],
  [/\/analytics\/graphs\/cache-latency/, '/analytics/graphs/cache/latency'], [/\/analytics\/graphs\/feedbacks\/score\b/, '/analytics/graphs/feedbacks/scores'],
];

function checkExchange(x: Exchange): string[] {
  const path = SDK_ALIASES.reduce((p, [re, to]) => p.replace(re, to), x.path);
  const template = spec!.template(path);
  if (!template) return [`${x.method} ${x.path} matches no path in Portkey's document`];
  // Guardrails carry no x-server-groups entry in the document; they are a control-plane resource all the same.
  if (!spec!.isControlPlanePath(template) && !template.startsWith('/guardrails')) return [`${template} is not a control-plane path`];
  return [...spec!.checkRequest(x.method, template, x.requestBody), ...spec!.checkResponse(x.method, template, x.status, x.responseBody)];
}

export function useSdkHarness(backend: Backend, env: Record<string, string> | (() => Record<string, string>) = {}): Harness {
  const h = { checked: () => count } as Harness;
  let rec: Awaited<ReturnType<typeof startRecorder>>;
  let count = 0;
  beforeAll(async () => {
    h.t = await startTestControlPlane(backend, typeof env === 'function' ? env() : env);
    rec = await startRecorder(() => h.t.url);
    h.url = rec.url;
    h.portkey = new Portkey({ apiKey: h.t.adminKey, baseURL: `${rec.url}/v1` });
  });
  afterAll(async () => {
    await rec?.close();
    await h.t?.close();
  });
  afterEach(() => {
    const problems: string[] = [];
    for (const x of rec.exchanges.splice(0)) {
      count++;
      problems.push(...checkExchange(x));
    }
    expect(problems).toEqual([]);
  });
  return h;
}
