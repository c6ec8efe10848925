// Runs the real terraform binary on a copy of terraform/ with the schema-only stand-in AWS provider
// (provider/): nothing is downloaded, nothing is written into the repository.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installStandIn } from '../provider/install.mjs';
import { tfRoot } from '../scripts/lib.mjs';

/** The terraform on PATH, or null. */
export const terraformBin: string | null = (() => {
  const r = spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
})();

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Workdir {
  root: string;
  cfg: string;
  env: NodeJS.ProcessEnv;
  /** Runs terraform in cfg; with reattach (a TF_REATTACH_PROVIDERS value) it uses that shared stand-in. */
  tf(args: string[], opts?: { timeoutMs?: number; reattach?: string }): Promise<Run>;
  cleanup(): void;
}

const SKIP = new Set(['.terraform', '.terraform.lock.hcl', 'terraform.tfstate', 'terraform.tfstate.backup', 'tfplan']);

/** A temp copy of terraform/ (or an empty directory) with the stand-in installed; terraform init not yet run. */
export function makeWorkdir({ empty = false } = {}): Workdir {
  const root = mkdtempSync(path.join(tmpdir(), 'tf-stand-in-'));
  const cfg = path.join(root, 'terraform');
  if (empty) mkdirSync(cfg);
  else cpSync(tfRoot, cfg, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) && !src.endsWith('.tfplan') });
  const env = { ...process.env, ...installStandIn(root), TF_LOG: '', NO_COLOR: '1' };
  // Terraform processes still running at cleanup (a test that timed out) are killed; their providers follow.
  const running = new Set<ReturnType<typeof spawn>>();
  const tf = (args: string[], { timeoutMs = 600_000, reattach }: { timeoutMs?: number; reattach?: string } = {}) =>
    new Promise<Run>((resolve, reject) => {
      const runEnv = reattach ? { ...env, TF_REATTACH_PROVIDERS: reattach } : env;
      const child = spawn(terraformBin ?? 'terraform', args, { cwd: cfg, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        running.delete(child);
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  const cleanup = () => {
    for (const child of running) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  return { root, cfg, env, tf, cleanup };
}

/** `terraform test -json` lines. */
export type TestEvent = {
  type: string;
  '@level': string;
  '@message': string;
  '@testfile'?: string;
  '@testrun'?: string;
  test_run?: { path: string; run: string; progress: string; status?: string };
  test_summary?: { status: string; passed: number; failed: number; errored: number; skipped: number };
  diagnostic?: { severity: string; summary: string; detail: string };
};

export const events = (stdout: string): TestEvent[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as TestEvent);

/** Final status of every run: "file/run" -> pass | fail | error | skip. */
export function runStatuses(evs: TestEvent[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of evs) if (e.type === 'test_run' && e.test_run?.progress === 'complete') out[`${e.test_run.path}/${e.test_run.run}`] = e.test_run.status ?? '?';
  return out;
}

/** Readable errors of a terraform run, for assertion messages. */
export const errorsOf = (evs: TestEvent[]): string =>
  evs
    .filter((e) => e['@level'] === 'error')
    .map((e) => `${e['@testrun'] ?? ''}: ${e.diagnostic?.summary ?? e['@message']} ${e.diagnostic?.detail ?? ''}`)
    .join('\n');
