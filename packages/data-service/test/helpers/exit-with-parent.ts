/**
 * Preloaded (--import) into every process these tests start: when the test worker goes away, however
 * it died, the IPC channel closes and the child ends at once instead of listening on forever.
 */
if (process.channel) {
  process.channel.unref(); // the channel must not keep an otherwise finished child alive
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
