/** What other modules (the console's server side in src/console/, tests, launchers) build on. */
export { startControlPlane, type ControlPlane, type StartOptions } from './app.js';
export { readEnv, type ControlPlaneEnv } from './env.js';
export type { Principal, PrincipalResolver, Role } from './auth/principal.js';
export { principalForUser } from './auth/user.js';
export { hashKey, presentedKey } from './auth/api-key.js';
export { acceptInvite } from './store/users.js';
export { createOrganisation, createAdminKey } from './bootstrap.js';
export type { Route, Ctx, Access } from './http/router.js';
export { Reply } from './http/router.js';
export type { HttpApp } from './http/server.js';
export type { Services } from './services.js';
