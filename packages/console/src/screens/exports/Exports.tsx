import { useEffect, useState } from 'react';
import { api } from '../../api/client.js';
import type { ExportStatus, LogFilters } from '../../api/types.js';
import { linkTo } from '../../app/route.js';
import { windowOf } from '../../app/time-range.js';
import type { ScreenProps } from '../../app/Screen.js';

/** Starts an export of the filtered logs through the data service, then polls it to a download. */
export function Exports({ route }: ScreenProps) {
  const p = route.params;
  const [status, setStatus] = useState<ExportStatus | null>(null);
  const [error, setError] = useState<string>();
  const filters: LogFilters = {
    ...windowOf(p.get('range')),
    status: p.get('status') ?? undefined,
    trace_id: p.get('trace_id') ?? undefined,
    model: p.get('model') ?? undefined,
    workspace: p.get('ws') ?? undefined,
  };
  const described = Object.entries({ range: p.get('range') ?? '24h', status: filters.status, model: filters.model, trace: filters.trace_id })
    .filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ');

  useEffect(() => {
    if (!status?.available || status.status === 'success' || status.status === 'failed') return;
    const timer = setTimeout(() => {
      api.exportStatus(status.id).then(setStatus, (e: Error) => setError(e.message));
    }, 1500);
    return () => clearTimeout(timer);
  }, [status]);

  const start = async () => {
    setError(undefined);
    try {
      setStatus(await api.startExport(filters));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section>
      <div className="screen-head">
        <h1 tabIndex={-1}>Exports</h1>
        <a className="button-link" href={linkTo(['logs'], p, { status: filters.status, trace_id: filters.trace_id, model: filters.model })}>Back to the logs</a>
      </div>
      <div className="card">
        <p>Export the logs matching: {described}.</p>
        <button type="button" onClick={start} disabled={status?.available === true && status.status === 'in_progress'}>Start export</button>
        {error && <p className="field-error" role="alert">{error}</p>}
        {status && !status.available && <p className="notice" role="status" data-testid="exports-unavailable">{status.reason}</p>}
        {status?.available && (
          <div role="status">
            <label htmlFor="export-progress">Export {status.id}: {status.status.replace('_', ' ')}</label>
            <progress id="export-progress" max={100} value={status.progress ?? (status.status === 'success' ? 100 : undefined)} />
            {status.download_url && <p><a className="button-link primary" href={status.download_url} download>Download the export</a></p>}
            {status.status === 'failed' && <p className="field-error">The export failed. Start it again; if it keeps failing, check the data service's logs.</p>}
          </div>
        )}
      </div>
    </section>
  );
}
