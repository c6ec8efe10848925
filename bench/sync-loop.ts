/**
 * What a sync costs the event loop that serves requests, measured in this process with the gateway's
 * own entity store: the snapshot worker (the default) against parsing on the event loop
 * (the store's fallback). For each sync of 10,000 keys and 1,000 configs: how long the loop was busy
 * (event-loop utilisation over the apply) and the longest it went without a turn. Both are read on
 * the loop itself, so a busy machine stretches them less than request latencies.
 */
import { performance } from 'node:perf_hooks';
import { ControlPlaneEntityStore } from '../packages/gateway/src/entities/control-plane-store.js';
import { fmt, sleep } from './lib.js';

interface ControlPlane {
  url: string;
  snapshot(round: number): number;
  changes(round: number): number;
}

const silent = { info() {}, warn() {}, error() {} };

async function oneApply(store: ControlPlaneEntityStore, trigger: () => number, lastKeyHash: string): Promise<{ ms: number; busyMs: number; longestMs: number }> {
  while (trigger() === 0) await sleep(2);
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  let last = started;
  let longest = 0;
  for (;;) {
    // A 1 ms timer: the loop idles between checks, so its utilisation is the sync's (and the lookups').
    await new Promise<void>((r) => setTimeout(r, 1));
    const now = performance.now();
    longest = Math.max(longest, now - last - 1);
    last = now;
    if (await store.findKeyByHash(lastKeyHash)) break;
    if (now - started > 20_000) throw new Error('the sync was not applied within 20 s');
  }
  const used = performance.eventLoopUtilization(elu);
  return { ms: performance.now() - started, busyMs: used.active, longestMs: longest };
}

/** Rounds 41.. of the control plane's prepared bodies; returns the table's rows. */
export async function loopCost(cp: ControlPlane, clientAuth: string, organisation: string, lastKeyHash: (round: number) => string, firstRound: number, rounds = 3): Promise<string[]> {
  const results: Record<string, Array<{ ms: number; busyMs: number; longestMs: number }>> = {};
  let round = firstRound;
  for (let i = 0; i < rounds; i++) {
    // Interleaved, so both see the same moments of a busy machine.
    for (const mode of ['worker', 'event loop'] as const) {
      const store = new ControlPlaneEntityStore({ url: cp.url, clientAuth, organisations: [organisation], logger: silent, builder: mode === 'worker' ? undefined : false });
      await store.start(10_000);
      for (const kind of ['snapshot', 'changes'] as const) {
        round++;
        const r = await oneApply(store, () => (kind === 'snapshot' ? cp.snapshot(round) : cp.changes(round)), lastKeyHash(round));
        (results[`${mode} ${kind}`] ??= []).push(r);
        await sleep(200);
      }
      await store.close();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.entries(results).map(([name, rs]) => `| event loop during one ${name.replace('changes', 'batch of 11,000 changes')} (median of ${rs.length}) | busy ${fmt(median(rs.map((r) => r.busyMs)), 0)} ms of ${fmt(median(rs.map((r) => r.ms)), 0)} ms; longest without a turn ${fmt(median(rs.map((r) => r.longestMs)), 1)} ms | (what requests wait behind) |`);
}
