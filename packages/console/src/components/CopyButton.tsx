import { useState } from 'react';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      // Clipboard refused (no permission, plain http): select-and-copy still works on the shown text.
      setCopied(false);
    }
  };
  return (
    <button type="button" className="button-secondary" onClick={copy} aria-live="polite">
      {copied ? 'Copied' : label}
    </button>
  );
}
