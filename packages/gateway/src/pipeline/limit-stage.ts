import { scopeOf } from '../entities/types.js';
import { estimateTokens, limitSubjectsFor } from '../limits/subjects.js';
import { costOfUsage, estimateCostSafe } from '../logs/cost.js';
import type { LimitEstimate, LimitSubject, Reservation } from '../limits/types.js';
import type { OrgLimits } from '../limits/policies.js';
import { GatewayError } from '../errors.js';
import { endingTheWalk } from '../routing/execute.js';
import { isCacheHit, tenantOf, type RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';
import { observeResponse } from './respond-stage.js';

/**
 * Reserves the request, its estimated tokens and cost against every limit that applies (gateway key,
 * virtual key, metadata user). Returns the settle function that corrects the reservation afterwards.
 */
export function reserveLimits(deps: GatewayDeps, ctx: RequestContext): Promise<Settle | undefined> | undefined {
  const h = ctx.headers!;
  const user = h.metadata._user;
  const org = orgLimitsOf(deps, ctx);
  // Limits attach to a gateway key, a virtual key, a metadata user, or (synced) the key's workspace and
  // policies; a request with none of them has none.
  if (!ctx.key?.limits?.length && !h.virtualKey && !user && !org) return undefined;
  return reserve(deps, ctx, user, org);
}

/** The synced organisation's policies and workspace limits, when it has any. */
function orgLimitsOf(deps: GatewayDeps, ctx: RequestContext): OrgLimits | undefined {
  const organisation = ctx.key?.organisation;
  if (organisation === undefined || !deps.entities.orgLimits) return undefined;
  const limits = deps.entities.orgLimits(organisation);
  return limits && !limits.empty ? limits : undefined;
}

/** Moves the reservation to what the request used, once it is done. */
type Settle = () => void;

async function reserve(deps: GatewayDeps, ctx: RequestContext, user: string | undefined, org: OrgLimits | undefined): Promise<Settle | undefined> {
  const h = ctx.headers!;
  const [virtualKey, userRules] = await Promise.all([
    h.virtualKey ? deps.entities.getVirtualKey(h.virtualKey, scopeOf(ctx.key)) : undefined,
    user ? deps.entities.userLimits(user) : undefined,
  ]);
  const subjects = limitSubjectsFor({ key: ctx.key, virtualKey, user, userRules, tenant: tenantOf(ctx) });
  if (org && ctx.key) {
    subjects.push(...org.subjectsFor({ keyId: ctx.key.id, organisation: ctx.key.organisation, workspace: ctx.key.workspace, metadata: h.metadata, tenant: tenantOf(ctx) }));
  }
  if (subjects.length === 0) return undefined;
  ctx.limitSubjects = subjects;
  const estimate = estimateFor(ctx, h.provider ?? virtualKey?.provider ?? '');
  const reservation = await deps.limiter.reserve(subjects, estimate);
  return () => settleWithUsage(ctx, reservation, estimate.tokens);
}

/** What a request is expected to use before the call: its input tokens plus the output ceiling, and their price. */
function estimateFor(ctx: RequestContext, provider: string): LimitEstimate {
  const tokens = estimateTokens(ctx.rawBody);
  return { tokens, costUsd: estimateCostSafe(provider, ctx.model ?? '', { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens }).usd };
}

/** Moves a reservation to what the request used: its usage and cost, nothing for a cache hit or a failure. */
function settleWithUsage(ctx: RequestContext, reservation: Reservation, estimatedTokens: number): void {
  // A cache hit is a request, but no provider call: it uses no tokens and costs nothing.
  if (isCacheHit(ctx.cacheStatus)) return reservation.settle({ tokens: 0, costUsd: 0 });
  observeResponse(ctx);
  const u = ctx.usage;
  const actualTokens = u?.total_tokens ?? (ctx.status >= 400 ? 0 : estimatedTokens);
  const costUsd = u && ctx.provider ? costOfUsage(ctx.provider, ctx.model, ctx.servedModel, u).usd : 0;
  reservation.settle({ tokens: actualTokens, costUsd });
}

/** The reservation of one attempt on a config target's virtual key. */
export interface TargetKeyReservation {
  /** The attempt failed: it used no tokens and cost nothing. */
  failed(): void;
  /** The attempt served the request: settle with the request's usage once it is done. */
  served(): void;
}

/**
 * A virtual key named in a config (not in the x-portkey-virtual-key header, which reserveLimits
 * covers) is known only once routing picks its target, so its limits are reserved per attempt. Over a
 * limit, the attempt fails with a 429, and a fallback config moves on to its next target.
 */
export async function reserveTargetKey(deps: GatewayDeps, ctx: RequestContext, slug: string): Promise<TargetKeyReservation | undefined> {
  const virtualKey = await deps.entities.getVirtualKey(slug, scopeOf(ctx.key));
  const subjects = limitSubjectsFor({ virtualKey });
  if (subjects.length === 0) return undefined;
  const estimate = estimateFor(ctx, virtualKey!.provider);
  const reservation = await deps.limiter.reserve(subjects, estimate);
  return {
    failed: () => reservation.settle({ tokens: 0, costUsd: 0 }),
    served: () => settleWithUsage(ctx, reservation, estimate.tokens),
  };
}

const NOTHING: LimitEstimate = { tokens: 0, costUsd: 0 };

/**
 * Each upstream attempt after the first (a retry or a fallback) is one more request against the request
 * limits of the key, the virtual key and the user, so a config cannot multiply one request's calls past
 * them. Tokens and cost are counted once, by what the request used. Over a limit, the walk ends with the 429.
 */
export async function reserveExtraAttempt(deps: GatewayDeps, ctx: RequestContext): Promise<void> {
  const subjects = ctx.limitSubjects && requestRulesOf(ctx.limitSubjects);
  if (!subjects?.length) return;
  try {
    (await deps.limiter.reserve(subjects, NOTHING)).settle(NOTHING);
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    throw endingTheWalk(new GatewayError({ status: e.status, type: e.type, code: e.code, param: e.param, headers: e.headers, message: e.message, retryable: false }));
  }
}

function requestRulesOf(subjects: LimitSubject[]): LimitSubject[] {
  const out: LimitSubject[] = [];
  for (const s of subjects) {
    const rules = s.rules.filter((r) => r.kind === 'requests');
    if (rules.length) out.push({ ...s, rules });
  }
  return out;
}
