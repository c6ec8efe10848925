/**
 * Preloaded (node --import) into every process the launcher (start.mjs) and the bench (bench/*.ts)
 * start, which give it an IPC channel: when the parent goes away, however it died (SIGKILL included),
 * the channel closes and this process stops, with SIGTERM so that a gateway still drains and flushes,
 * instead of listening on, orphaned, on its port.
 */
if (process.channel) {
  process.channel.unref(); // the channel must not keep an otherwise finished process alive
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
