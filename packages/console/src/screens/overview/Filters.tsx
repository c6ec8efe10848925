import { useEffect, useState, type FormEvent } from 'react';
import { setParams, type Route } from '../../app/route.js';
import { RANGES } from '../../app/time-range.js';

const GROUPS = [
  { id: '', label: 'No grouping' },
  { id: 'model', label: 'Model' },
  { id: 'provider', label: 'Provider' },
  { id: 'key', label: 'API key' },
  { id: 'workspace', label: 'Workspace' },
];

/** The dashboard's range, grouping and filters; all of them live in the URL. */
export function Filters({ route }: { route: Route }) {
  const p = route.params;
  const [draft, setDraft] = useState(() => readDraft(p));
  useEffect(() => setDraft(readDraft(p)), [p.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const group = p.get('group') ?? '';
  const isMeta = group.startsWith('metadata:');

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const { metaKey, ...filters } = draft;
    setParams(route, { ...filters, group: isMeta && metaKey ? `metadata:${metaKey}` : group || undefined });
  };

  return (
    <form className="filters" onSubmit={apply} aria-label="Dashboard filters">
      <label>Time range
        <select value={p.get('range') ?? '24h'} onChange={(e) => setParams(route, { range: e.target.value })}>
          {RANGES.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
        </select>
      </label>
      <label>Group by
        <select value={isMeta ? 'metadata' : group} onChange={(e) => setParams(route, { group: e.target.value === 'metadata' ? `metadata:${draft.metaKey || '_user'}` : e.target.value })}>
          {GROUPS.map((g) => <option key={g.id} value={g.id}>{g.label}</option>)}
          <option value="metadata">Metadata key</option>
        </select>
      </label>
      {isMeta && (
        <label>Metadata key
          <input value={draft.metaKey} onChange={(e) => setDraft({ ...draft, metaKey: e.target.value })}
            onBlur={() => draft.metaKey && setParams(route, { group: `metadata:${draft.metaKey}` })} />
        </label>
      )}
      <label>Model<input value={draft.model} onChange={(e) => setDraft({ ...draft, model: e.target.value })} placeholder="gpt-4o-mini" /></label>
      <label>Provider<input value={draft.provider} onChange={(e) => setDraft({ ...draft, provider: e.target.value })} placeholder="openai" /></label>
      <label>API key id<input value={draft.key} onChange={(e) => setDraft({ ...draft, key: e.target.value })} /></label>
      <label>Status<input value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })} placeholder="200,429" /></label>
      <label>Metadata<input value={draft.metadata} onChange={(e) => setDraft({ ...draft, metadata: e.target.value })} placeholder="team=search" /></label>
      <button type="submit">Apply filters</button>
    </form>
  );
}

function readDraft(p: URLSearchParams) {
  const group = p.get('group') ?? '';
  return {
    model: p.get('model') ?? '',
    provider: p.get('provider') ?? '',
    key: p.get('key') ?? '',
    status: p.get('status') ?? '',
    metadata: p.get('metadata') ?? '',
    metaKey: group.startsWith('metadata:') ? group.slice('metadata:'.length) : '',
  };
}
