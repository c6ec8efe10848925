/**
 * Preloaded (node --import) into every process the launcher (start.mjs) and the bench (bench/*.ts)
 * start, which give it an IPC channel: when the parent goes away, however it died (SIGKILL included),
 * the channel closes and this process stops instead of listening on, orphaned, on its port.
 *
 * It gets SIGTERM first, so that a gateway still drains and flushes, and SIGKILL once
 * PORTICO_PARENT_GONE_GRACE_MS have passed (default: SHUTDOWN_TIMEOUT_MS plus 5 s): a process whose
 * drain cannot finish (its stdout, a pipe to the dead parent, refuses every write) still ends.
 * 0 kills at once (the bench: nothing of its processes is worth keeping).
 */
if (process.channel) {
  process.channel.unref(); // the channel must not keep an otherwise finished process alive
  process.once('disconnect', () => {
    const configured = Number(process.env.PORTICO_PARENT_GONE_GRACE_MS);
    const graceMs = Number.isFinite(configured) && process.env.PORTICO_PARENT_GONE_GRACE_MS !== ''
      ? configured
      : (Number(process.env.SHUTDOWN_TIMEOUT_MS) || 25_000) + 5_000;
    if (graceMs <= 0) return process.kill(process.pid, 'SIGKILL');
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), graceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
