import { useEffect, useState } from 'react';

/**
 * Hash routes, "#/logs/ID?ws=team&status=500": the server serves one index.html whatever the path,
 * and the whole state a person would share (screen, workspace, filters) sits in the URL.
 */
export interface Route {
  /** Path segments, e.g. ["logs", "abc"]. */
  segments: string[];
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const segments = pathPart.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { segments, params: new URLSearchParams(queryPart) };
}

/** Builds "#/a/b?x=1", keeping only non-empty parameters. */
export function buildHash(segments: string[], params: Record<string, string | undefined> | URLSearchParams = {}): string {
  const q = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  for (const [k, v] of entries) if (v !== undefined && v !== '') q.set(k, v);
  const path = '#/' + segments.map(encodeURIComponent).join('/');
  const query = q.toString();
  return query ? `${path}?${query}` : path;
}

/** Parameters that follow the user from screen to screen. */
const STICKY = ['ws', 'range'];

/** A link to another screen that keeps the workspace and time range. */
export function linkTo(segments: string[], current: URLSearchParams, extra: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {};
  for (const k of STICKY) params[k] = current.get(k) ?? undefined;
  return buildHash(segments, { ...params, ...extra });
}

export function navigate(hash: string, replace = false): void {
  if (replace) history.replaceState(null, '', hash);
  else history.pushState(null, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The current route; re-renders on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** Replaces some query parameters of the current route (filters), keeping the rest. */
export function setParams(route: Route, patch: Record<string, string | undefined>): void {
  const next = new URLSearchParams(route.params);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === '') next.delete(k);
    else next.set(k, v);
  }
  navigate(buildHash(route.segments, next), true);
}
