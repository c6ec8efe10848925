import type { HttpApp } from '../http/server.js';
import type { Services } from '../services.js';
import { Reply, type Ctx, type Route } from '../http/router.js';
import { principalForKey } from '../auth/api-key.js';
import { invalid, unauthorized, conflict } from '../http/errors.js';
import { ConsoleAuth, tooManyAttempts } from './auth.js';
import { SessionStore } from './sessions.js';
import { PasswordStore } from './passwords.js';
import { SignInLimiter } from './rate-limit.js';
import { GatewayLogs } from './gateway-proxy.js';
import { OidcSignIn } from './oidc.js';
import { stringFields } from './body.js';
import { feedbackForTrace } from './feedback.js';
import { dimensions } from './dimensions.js';
import { consoleSettingsFromEnv, type ConsoleSettings } from './settings.js';

export { consoleSettingsFromEnv, type ConsoleSettings };

/** The control plane's extension hook (main.ts loads src/console/index and calls register). */
export async function register(app: HttpApp, services: Services): Promise<void> {
  await mountConsole(app, services);
}

/**
 * The console's server side, mounted on the control plane's HTTP app: cookie sessions (a principal
 * resolver the Admin API consults after API keys), sign-in by API key, password or OIDC, and the
 * gateway reads the console needs (log documents, the playground). Every route is under /console/api.
 */
export async function mountConsole(app: HttpApp, services: Services, settings: ConsoleSettings = consoleSettingsFromEnv()): Promise<void> {
  const sessions = new SessionStore(services.db, services.envelope, settings.sessionHours * 3_600_000);
  await sessions.init();
  const auth = new ConsoleAuth(services.db, sessions, settings);
  const passwords = new PasswordStore(services.db, sessions);
  const limiter = new SignInLimiter(settings.signInFailures, settings.signInWindowMs);
  const logs = new GatewayLogs(settings, services.db);
  const oidc = settings.oidc ? new OidcSignIn(settings.oidc, services.db, sessions, auth) : undefined;

  // The Admin API accepts a console session as a principal, CSRF checked on changes.
  app.addResolver(async (req) => (await auth.current(req))?.principal);

  const route = (method: Route['method'], path: string, summary: string, handler: (ctx: Ctx) => Promise<unknown>): Route =>
    ({ method, path: `/console/api${path}`, access: { kind: 'public' }, summary, handler });

  const clientOf = (ctx: Ctx) => ctx.req.socket.remoteAddress ?? 'unknown';

  const ID = /^[\w.-]{1,128}$/;
  const exportId = (ctx: Ctx) => {
    if (!ID.test(ctx.params.id)) throw invalid('An export id is letters, digits, ".", "_" and "-"', 'id', 'invalid_export_id');
    return encodeURIComponent(ctx.params.id);
  };
  const passBack = (out: { status: number; body: unknown }) => new Reply(out.status, out.body);
  const exportRoutes = (): Route[] => [
    route('POST', '/exports', 'Console: create a log export (through the gateway to the data service)', async (ctx) =>
      passBack(await logs.exports('POST', '', ctx.body, (await auth.require(ctx.req)).apiKey))),
    route('GET', '/exports/:id', 'Console: a log export\'s status and progress', async (ctx) =>
      passBack(await logs.exports('GET', `/${exportId(ctx)}`, undefined, (await auth.require(ctx.req)).apiKey))),
    route('POST', '/exports/:id/start', 'Console: start a log export', async (ctx) =>
      passBack(await logs.exports('POST', `/${exportId(ctx)}/start`, {}, (await auth.require(ctx.req)).apiKey))),
    route('GET', '/exports/:id/download', 'Console: a finished export\'s download link', async (ctx) =>
      passBack(await logs.exports('GET', `/${exportId(ctx)}/download`, undefined, (await auth.require(ctx.req)).apiKey))),
  ];

  app.router.add(
    route('GET', '/sign-in-options', 'Console: which sign-in methods are on', async () => ({ oidc: Boolean(oidc) })),

    route('GET', '/session', 'Console: the signed-in session', async (ctx) => auth.view(await auth.require(ctx.req))),

    route('POST', '/session', 'Console: sign in with an API key or a password set from one (rate-limited)', async (ctx) => {
      const client = clientOf(ctx);
      const wait = limiter.retryAfter(client);
      if (wait > 0) throw tooManyAttempts(wait);
      const { api_key: secret } = stringFields(ctx.body, ['api_key']);
      let key = secret;
      let checked = await principalForKey(services.db, secret);
      let kind: 'api_key' | 'password' = 'api_key';
      if (!checked) {
        const fromPassword = await passwords.keyFor(secret);
        if (fromPassword) {
          checked = await principalForKey(services.db, fromPassword);
          key = fromPassword;
          kind = 'password';
        }
      }
      if (!checked || 'refused' in checked) {
        limiter.fail(client);
        throw unauthorized(checked && 'refused' in checked ? `${checked.refused}; sign in with an active key` : 'That API key or password is not valid');
      }
      limiter.succeed(client);
      const keyName = await services.db.get<{ name: string }>(`SELECT name FROM api_keys WHERE id = ?`, [checked.principal.keyId ?? '']);
      const record = await auth.start(ctx.req, ctx.res, { organisationId: checked.principal.organisationId, kind, apiKey: key, name: keyName?.name ?? 'API key' });
      return auth.view({ session: record, principal: checked.principal });
    }),

    route('DELETE', '/session', 'Console: sign out', async (ctx) => {
      await auth.require(ctx.req);
      await auth.end(ctx.req, ctx.res);
      return new Reply(204, undefined);
    }),

    route('POST', '/password', 'Console: set a password for the API key this session signed in with', async (ctx) => {
      const signed = await auth.require(ctx.req);
      const { password } = stringFields(ctx.body, ['password']);
      if (signed.session.kind !== 'api_key' || !signed.apiKey || !signed.principal.keyId) throw invalid('Sign in with the API key itself to set a password for it', null, 'wrong_session_kind');
      const weak = PasswordStore.weakness(password);
      if (weak) throw invalid(weak, 'password', 'weak_password');
      if (!(await passwords.set(signed.principal.keyId, signed.principal.organisationId, signed.apiKey, password))) throw conflict('Choose a different password', 'password');
      return { ok: true };
    }),

    route('GET', '/oidc/start', 'Console: start OIDC sign-in', async (ctx) => {
      if (!oidc) throw invalid('OIDC sign-in is not configured (CONSOLE_OIDC_ISSUER)', null, 'oidc_off');
      await oidc.start(ctx.req, ctx.res);
    }),

    route('GET', '/oidc/callback', 'Console: OIDC redirect back', async (ctx) => {
      if (!oidc) throw invalid('OIDC sign-in is not configured (CONSOLE_OIDC_ISSUER)', null, 'oidc_off');
      await oidc.callback(ctx.req, ctx.res);
    }),

    route('GET', '/logs', 'Console: a page of log rows read from the gateway', async (ctx) => {
      const signed = await auth.require(ctx.req);
      return logs.list(signed.principal, ctx.query, signed.apiKey);
    }),

    route('GET', '/logs/:id', 'Console: one log document read from the gateway', async (ctx) => {
      const signed = await auth.require(ctx.req);
      return logs.get(signed.principal, ctx.params.id, signed.apiKey);
    }),

    route('GET', '/feedback', 'Console: feedback given on a trace', async (ctx) => {
      const signed = await auth.require(ctx.req);
      return feedbackForTrace(services.db, signed.principal, ctx.query.get('trace_id'));
    }),

    route('GET', '/analytics/dimensions', 'Console: providers, models and keys with requests in a range, for the dashboard\'s grouping and filters', async (ctx) => {
      const signed = await auth.require(ctx.req);
      return dimensions(services.db, signed.principal, ctx.query);
    }),

    ...exportRoutes(),

    route('POST', '/playground/chat/completions', 'Console: run a chat request through the gateway, streaming', async (ctx) => {
      await auth.require(ctx.req);
      await logs.playground(ctx.res, ctx.body);
    }),

    route('POST', '/playground/prompts/:id/completions', 'Console: run a saved prompt through the gateway, streaming', async (ctx) => {
      await auth.require(ctx.req);
      await logs.playground(ctx.res, ctx.body, ctx.params.id);
    }),
  );
}
