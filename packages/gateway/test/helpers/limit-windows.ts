/**
 * Limit windows are calendar-aligned (UTC): a test that counts against a limit first waits out the last
 * seconds of the window, so its requests all fall in one window.
 */
export async function awayFromWindowEnd(window: 'minute' | 'hour', marginMs = 10_000): Promise<void> {
  const size = window === 'minute' ? 60_000 : 3_600_000;
  const left = size - (Date.now() % size);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 100));
}
