/**
 * npm run bench [-- core|state|logs|sync|console|resilience|data-service|control-plane|soak ...]: every suite but soak by default. All processes share this machine's
 * cores (the core suite repeats its c=1 table with the load driver on a CPU of its own), so read the
 * ratios measured within one run, not the absolute numbers.
 * Env: BENCH_SECONDS (5), BENCH_ROUNDS (2), BENCH_SEQUENTIAL (2000), BENCH_WARMUP_SECONDS (6),
 * BENCH_GATEWAY_NODE_FLAGS (extra node/V8 flags for the gateway processes, e.g. --max-semi-space-size=8).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.js';
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

/** The builds a suite runs: checked before anything starts, so a missing one is a message, not a half-started bench. */
const GATEWAY_BUILD = ['packages/contract/dist/index.js', 'packages/gateway/dist/main.js'];
const builds: Record<string, string[]> = { core: GATEWAY_BUILD, state: GATEWAY_BUILD, logs: GATEWAY_BUILD, sync: GATEWAY_BUILD, resilience: GATEWAY_BUILD, soak: GATEWAY_BUILD, console: ['packages/contract/dist/index.js'] };

function missingBuilds(names: string[]): string[] {
  return [...new Set(names.flatMap((n) => builds[n] ?? []))].filter((f) => !existsSync(join(ROOT, f)));
}

async function main(): Promise<void> {
  // The soak runs for half an hour: only when asked for by name.
  const names = chosen.length ? chosen : Object.keys(suites).filter((s) => s !== 'soak');
  const missing = missingBuilds(names);
  if (missing.length) {
    console.error(`The bench runs the built packages, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing.\nBuild first: npm run build -w @portico/contract -w @portico/gateway (npm run bench does it for you).`);
    process.exit(2);
  }
  console.log('# Portico benchmark');
  for (const name of names) await suites[name]();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
