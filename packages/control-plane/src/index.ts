export { startControlPlane, type ControlPlane, type StartOptions } from './app.js';
export { readEnv, type ControlPlaneEnv } from './env.js';
export type { Principal, PrincipalResolver, Role } from './auth/principal.js';
export type { Route, Ctx, Access } from './http/router.js';
export { Reply } from './http/router.js';
export type { HttpApp } from './http/server.js';
export type { Services } from './services.js';
