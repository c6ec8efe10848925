import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Principal, Role } from '../auth/principal.js';
import type { Services } from '../services.js';

/**
 * The route table. Each route says who may call it: `public` (health), `client` (gateways, by client
 * auth key, checked in the handler), or an admin role and Portkey scope checked before the handler
 * runs. `level: 'workspace'` routes act inside one workspace, resolved from workspace_id (query or
 * body), the key's own workspace, or, for an org admin, the default workspace; the role is checked
 * in that workspace. docs/control-plane.md's API table is generated from this table.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'client' }
  /** An identity provider, by SCIM token (src/scim/token.ts); answers in SCIM's error shape. */
  | { kind: 'scim' }
  | { kind: 'admin'; level: 'org' | 'workspace'; role: Role; scope?: string };

export interface WorkspaceScope {
  /** Where new entities go. */
  id: string;
  /** Lookups and lists are limited to this workspace (organisation-wide entities stay visible). */
  filter: string;
  /** Whether the request named the workspace (workspace_id / workspace_slug / path), rather than defaulting to it. */
  named: boolean;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The body's JSON text, as received. */
  rawBody?: string;
  principal: Principal;
  /** Set on workspace-level admin routes. */
  ws: WorkspaceScope;
  requestId: string;
  services: Services;
  log: Logger;
}

export class Reply {
  constructor(readonly status: number, readonly body: unknown, readonly headers: Record<string, string> = {}) {}
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  access: Access;
  summary: string;
  /** Largest body accepted, in bytes (default 1 MiB). */
  bodyLimit?: number;
  handler: (ctx: Ctx) => Promise<unknown>;
}

interface Compiled {
  route: Route;
  segments: string[];
  literalCount: number;
}

export class Router {
  private readonly compiled: Compiled[] = [];

  add(...routes: Route[]): void {
    for (const route of routes) {
      const segments = route.path.split('/').filter(Boolean);
      this.compiled.push({ route, segments, literalCount: segments.filter((s) => !s.startsWith(':')).length });
    }
    // Literal segments beat parameters: /v1/prompts/partials before /v1/prompts/:id.
    this.compiled.sort((a, b) => b.literalCount - a.literalCount);
  }

  get routes(): Route[] {
    return this.compiled.map((c) => c.route);
  }

  /** The route for a request, its path parameters, and the methods the path allows (for 405). */
  match(method: string, path: string): { route?: Route; params: Record<string, string>; allowed: string[] } {
    const parts = path.split('/').filter(Boolean);
    const allowed: string[] = [];
    let best: { route: Route; params: Record<string, string> } | undefined;
    for (const c of this.compiled) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i];
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
          }
        } else ok = seg === parts[i];
      }
      if (!ok) continue;
      allowed.push(c.route.method);
      if (c.route.method === method && !best) best = { route: c.route, params };
    }
    return { route: best?.route, params: best?.params ?? {}, allowed: [...new Set(allowed)].sort() };
  }
}
