const REDACTED = '[REDACTED]';

/**
 * A body as pretty JSON text. Values the gateway masked read "[REDACTED]" and are highlighted, so a
 * reader sees redaction as such rather than as data; truncated bodies say so.
 */
export function JsonView({ value, truncated, label }: { value: unknown; truncated?: boolean; label: string }) {
  if (value === undefined) return <p className="state state-empty">No {label.toLowerCase()} was recorded (bodies may be off in the gateway's log settings).</p>;
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  const parts = text.split(REDACTED);
  return (
    <>
      {truncated && <p className="notice">This body was longer than the log limit and is cut short.</p>}
      {parts.length > 1 && <p className="notice">Secrets in this body were redacted by the gateway before it was stored; they show as <mark>{REDACTED}</mark>.</p>}
      <pre className="json" tabIndex={0} aria-label={label}>
        {parts.map((part, i) => (
          <span key={i}>{part}{i < parts.length - 1 && <mark className="redacted">{REDACTED}</mark>}</span>
        ))}
      </pre>
    </>
  );
}
