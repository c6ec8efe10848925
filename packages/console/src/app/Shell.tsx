import { useEffect, useRef } from 'react';
import type { Session } from '../api/types.js';
import { linkTo, setParams, useRoute } from './route.js';
import { NAV, canSee } from './nav.js';
import { WorkspaceSwitcher } from './WorkspaceSwitcher.js';
import { Screen } from './Screen.js';

export function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const current = route.segments[0] ?? 'overview';
  const mainRef = useRef<HTMLElement>(null);

  // Someone who is not an org admin always works in one of their workspaces: start in the first.
  const ws = route.params.get('ws');
  useEffect(() => {
    if (session.role !== 'org_admin' && !ws && session.workspaces.length > 0) setParams(route, { ws: session.workspaces[0] });
  }, [session, ws, route]);

  // Moving to another screen puts focus on its heading, so keyboard and screen-reader users start at the
  // top of it; on first load focus stays at the document's start, where the skip link is.
  const firstScreen = useRef(true);
  useEffect(() => {
    if (firstScreen.current) {
      firstScreen.current = false;
      return;
    }
    const main = mainRef.current;
    if (!main) return;
    const heading = main.querySelector<HTMLElement>('h1');
    if (heading) return heading.focus();
    // A screen fetched on first use (Screen.tsx) renders its heading once its code has arrived.
    const observer = new MutationObserver(() => {
      const h = main.querySelector<HTMLElement>('h1');
      if (h) (observer.disconnect(), h.focus());
    });
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [current]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>Skip to content</a>
      <header className="topbar">
        <span className="brand">Portico</span>
        <WorkspaceSwitcher session={session} route={route} />
        <a className="who" href={linkTo(['account'], route.params)} title={`Signed in as ${session.name}: account and password`}>{session.name} · {session.role.replace('_', ' ')}</a>
        <button type="button" className="button-secondary" onClick={onSignOut}>Sign out</button>
      </header>
      <nav className="sidenav" aria-label="Screens">
        <ul>
          {NAV.filter((n) => canSee(session, n.id)).map((n) => (
            <li key={n.id}>
              <a href={linkTo([n.id], route.params)} aria-current={current === n.id ? 'page' : undefined}>{n.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="content">
        <Screen session={session} route={route} />
      </main>
    </div>
  );
}
