import { api, rows } from '../../api/client.js';
import { useAsync } from '../../app/useAsync.js';
import { linkTo } from '../../app/route.js';
import { canEdit } from '../../app/nav.js';
import { Empty, Loaded } from '../../components/States.js';
import { formatTime } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';

export function Configs({ route, session }: ScreenProps) {
  const ws = route.params.get('ws') ?? undefined;
  const list = useAsync(() => api.configs(ws), [ws]);
  return (
    <section>
      <div className="screen-head">
        <h1 tabIndex={-1}>Configs</h1>
        {canEdit(session) && <a className="button-link primary" href={linkTo(['configs', 'new'], route.params)}>New config</a>}
      </div>
      <Loaded state={list} what="configs">
        {(res) => rows(res).length === 0
          ? <Empty><p>No saved configs. A config routes requests: fallbacks, load balancing, retries, caching.</p></Empty>
          : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Saved configs</caption>
                <thead><tr><th scope="col">Name</th><th scope="col">Slug</th><th scope="col">Updated</th></tr></thead>
                <tbody>
                  {rows(res).map((c) => (
                    <tr key={c.slug ?? c.id}>
                      <td><a href={linkTo(['configs', c.slug ?? c.id], route.params)}>{c.name}</a></td>
                      <td className="mono">{c.slug ?? c.id}</td>
                      <td>{formatTime(c.last_updated_at ?? c.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Loaded>
    </section>
  );
}
