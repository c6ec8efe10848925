import { api, rows } from '../api/client.js';
import type { Session } from '../api/types.js';
import { setParams, type Route } from './route.js';
import { useAsync } from './useAsync.js';

/** Org admins choose any workspace (or all); others choose among their own. The choice is ?ws= in the URL. */
export function WorkspaceSwitcher({ session, route }: { session: Session; route: Route }) {
  const list = useAsync(async () => {
    if (session.role !== 'org_admin') return session.workspaces.map((slug) => ({ slug, name: slug }));
    return rows(await api.workspaces()).map((w) => ({ slug: w.slug ?? w.id, name: w.name }));
  }, [session.role, session.workspaces.join(',')]);
  const value = route.params.get('ws') ?? '';
  const options = list.status === 'ready' ? list.data : [];
  return (
    <label className="switcher">
      <span>Workspace</span>
      <select value={value} onChange={(e) => setParams(route, { ws: e.target.value || undefined })} aria-busy={list.status === 'loading'}>
        {session.role === 'org_admin' && <option value="">All workspaces</option>}
        {session.role !== 'org_admin' && !value && <option value="">Choose…</option>}
        {options.map((w) => <option key={w.slug} value={w.slug}>{w.name}</option>)}
        {value && !options.some((w) => w.slug === value) && <option value={value}>{value}</option>}
      </select>
    </label>
  );
}
