/**
 * Preloaded into every Node child a test starts (spawn.ts): when the parent goes away, however it
 * died, the IPC channel closes and this child ends at once instead of listening on forever.
 */
if (process.channel) {
  process.channel.unref(); // the channel must not keep an otherwise finished child alive
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
