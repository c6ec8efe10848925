export type Check = () => boolean | Promise<boolean>;

/** Polls `check` every `pollMs` until it holds; throws "timed out waiting for <what>" after `ms`. */
export async function pollUntil(what: string, check: Check, ms: number, pollMs: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
