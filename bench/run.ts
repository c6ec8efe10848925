/**
 * npm run bench [-- core|state|logs|sync|console|resilience|data-service|control-plane|soak ...]: every suite but soak by default. All processes share this machine's
 * cores (the core suite repeats its c=1 table with the load driver on a CPU of its own), so read the
 * ratios measured within one run, not the absolute numbers.
 * Env: BENCH_SECONDS (5), BENCH_ROUNDS (2), BENCH_SEQUENTIAL (2000), BENCH_WARMUP_SECONDS (6),
 * BENCH_GATEWAY_NODE_FLAGS (extra node/V8 flags for the gateway processes, e.g. --max-semi-space-size=8).
 */
import { spawnSync } from 'node:child_process';
import { runCore } from './core.js';
import { runLogs } from './logs.js';
import { runState } from './state.js';
import { runSync } from './sync.js';
import { runConsole } from './console.js';
import { runResilience } from './resilience.js';
import { runSoak } from './soak.js';

/** A package's own bench (its figures printed next to their targets), run as a suite of this one. */
const packageBench = (pkg: string, build: string[] = []) => async (): Promise<void> => {
  for (const args of [...build.map((b) => ['run', 'build', '-w', b]), ['run', 'bench', '-w', pkg]]) {
    const r = spawnSync('npm', args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status})`);
  }
};

const suites: Record<string, () => Promise<void>> = { core: runCore, state: runState, logs: runLogs, sync: runSync, console: runConsole, resilience: runResilience,
  'data-service': packageBench('@portico/data-service'),
  'control-plane': packageBench('@portico/control-plane', ['@portico/console']),
  soak: runSoak,
};
const chosen = process.argv.slice(2).filter((a) => a in suites);

async function main(): Promise<void> {
  console.log('# Portico benchmark');
  // The soak runs for half an hour: only when asked for by name.
  for (const name of chosen.length ? chosen : Object.keys(suites).filter((s) => s !== 'soak')) await suites[name]();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
