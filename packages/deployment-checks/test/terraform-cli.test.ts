// The real terraform binary on terraform/: init, validate, the shipped `terraform test` files, every
// validation message, and a plan of each environment's tfvars, all against the schema-only stand-in AWS
// provider (provider/). Skipped, saying so, when terraform is not on PATH.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModule, type Obj, rootDir, unwrap } from './hcl.js';
import { startSharedStandIn } from '../provider/install.mjs';
import { errorsOf, events, makeWorkdir, runStatuses, terraformBin, type Workdir } from './terraform-cli.js';

if (!terraformBin) console.warn('terraform is not on PATH: the terraform validate/test/plan checks are skipped (the offline checks still run)');

// REQUIRE_TERRAFORM=1 turns the skip into a failure (for a CI that must run them).
it.runIf(process.env.REQUIRE_TERRAFORM === '1')('terraform is on PATH (REQUIRE_TERRAFORM=1)', () => {
  expect(terraformBin, 'REQUIRE_TERRAFORM=1 but terraform is not on PATH').not.toBeNull();
});

// The guide's 27 validation runs, plus those of the rules added since (data service, KMS key, control plane).
const VALIDATION_RUNS = [...readFileSync(path.join(rootDir, 'tests/validations.tftest.hcl'), 'utf8').matchAll(/^run "/gm)].length;

/** validations.tftest.hcl split into one file per run, without expect_failures: each run must now fail. */
function splitValidationRuns(cfg: string): Record<string, string[]> {
  const text = readFileSync(path.join(cfg, 'tests/validations.tftest.hcl'), 'utf8');
  const [header, ...runs] = text.split(/^(?=run ")/m);
  const dir = path.join(cfg, 'tests-messages');
  mkdirSync(dir, { recursive: true });
  const expected: Record<string, string[]> = {};
  runs.forEach((run, i) => {
    const name = /^run "([^"]+)"/.exec(run)![1];
    const list = /^\s*expect_failures\s*=\s*\[([^\]]*)\]\s*$/m.exec(run);
    expected[name] = (list?.[1] ?? '').split(',').map((s) => s.trim().replace(/^var\./, '')).filter(Boolean);
    writeFileSync(path.join(dir, `${String(i).padStart(2, '0')}.tftest.hcl`), header + run.replace(/^\s*expect_failures\s*=.*$/m, ''));
  });
  return expected;
}

describe.skipIf(!terraformBin)('terraform (real binary, stand-in AWS provider)', { concurrent: true }, () => {
  let w: Workdir;
  // init, validate and the schema checks start the stand-in as terraform installs it (dev_overrides, go-plugin
  // handshake, AutoMTLS). The many `terraform test` runs attach to one shared stand-in instead
  // (TF_REATTACH_PROVIDERS): the same server and schema, without a Node start per run.
  let shared: Awaited<ReturnType<typeof startSharedStandIn>>;

  beforeAll(async () => {
    w = makeWorkdir();
    shared = await startSharedStandIn();
    const init = await w.tf(['init', '-backend=false', '-input=false', '-no-color']);
    expect(init.code, init.stdout + init.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await shared?.stop();
    w?.cleanup();
  });

  it('terraform validate succeeds', async () => {
    const r = await w.tf(['validate', '-json', '-no-color']);
    const out = JSON.parse(r.stdout) as { valid: boolean; error_count: number; diagnostics: { severity: string; summary: string; detail: string }[] };
    const errors = out.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.summary}: ${d.detail}`)).toEqual([]);
    expect(out.valid).toBe(true);
  }, 300_000);

  it('every shipped terraform test run passes, the 27 validation runs included', async () => {
    expect(VALIDATION_RUNS).toBeGreaterThanOrEqual(27);
    const r = await w.tf(['test', '-json', '-no-color'], { reattach: shared.reattach });
    const evs = events(r.stdout);
    const status = runStatuses(evs);
    const failed = Object.entries(status).filter(([, s]) => s !== 'pass');
    expect(failed, errorsOf(evs) + r.stderr).toEqual([]);
    expect(Object.keys(status).filter((k) => k.startsWith('tests/validations.tftest.hcl/'))).toHaveLength(VALIDATION_RUNS);
    expect(Object.keys(status).filter((k) => k.startsWith('tests/plan.tftest.hcl/')).length).toBeGreaterThanOrEqual(12);
    expect(r.code).toBe(0);
    expect(shared.calls, 'terraform test must have used the shared stand-in').toContain('GetProviderSchema');
  }, 900_000);

  it('each validation run fails with its own validation message(s) once expect_failures is removed', async () => {
    const expected = splitValidationRuns(w.cfg);
    expect(Object.keys(expected)).toHaveLength(VALIDATION_RUNS);
    const m = await loadModule(rootDir);
    const messages = (name: string) => ((m.variables[name]?.validation ?? []) as Obj[]).map((v) => unwrap(String(v.error_message)));
    const r = await w.tf(['test', '-json', '-no-color', '-test-directory=tests-messages'], { reattach: shared.reattach });
    const evs = events(r.stdout);
    const byRun = new Map<string, string[]>();
    for (const e of evs) {
      if (e['@level'] !== 'error' || !e['@testrun']) continue;
      byRun.set(e['@testrun'], [...(byRun.get(e['@testrun']) ?? []), `${e.diagnostic?.summary}|${e.diagnostic?.detail}`]);
    }
    for (const [run, vars] of Object.entries(expected)) {
      const got = byRun.get(run) ?? [];
      expect(vars.length, `${run} names the variables it expects to fail`).toBeGreaterThan(0);
      for (const v of vars) {
        const own = messages(v);
        expect(own.length, `${v} has a validation`).toBeGreaterThan(0);
        expect(got.some((g) => g.startsWith('Invalid value for variable|') && own.some((msg) => g.split('|')[1].startsWith(msg))), `${run}: the message of ${v} must fire; got:\n${got.join('\n')}`).toBe(true);
      }
      // Nothing else fails: every error is a validation message of an expected variable.
      const allowed = vars.flatMap(messages);
      for (const g of got) expect(allowed.some((msg) => g.split('|')[1]?.startsWith(msg)), `${run}: unexpected error ${g}`).toBe(true);
    }
  }, 900_000);

  it('the stand-in schema is enforced: wrong types, unknown and missing arguments fail validate; plan says it cannot reach AWS', async () => {
    const bad = makeWorkdir({ empty: true });
    try {
      writeFileSync(
        path.join(bad.cfg, 'main.tf'),
        [
          'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}',
          'provider "aws" {\n  region = "us-east-1"\n}',
          'resource "aws_lb" "typed" {\n  internal = "maybe"\n}',
          'resource "aws_iam_role" "missing" {\n  name = "x"\n}',
          'resource "aws_vpc" "unknown" {\n  no_such_argument = 1\n}',
          'resource "aws_ecs_service" "block" {\n  name = "x"\n  network_configuration = {}\n}',
          '',
        ].join('\n\n'),
      );
      expect((await bad.tf(['init', '-backend=false', '-input=false', '-no-color'])).code).toBe(0);
      const v = await bad.tf(['validate', '-json', '-no-color']);
      const details = (JSON.parse(v.stdout).diagnostics as { severity: string; summary: string; detail: string }[]).filter((d) => d.severity === 'error').map((d) => `${d.summary}: ${d.detail}`).join('\n');
      expect(details).toMatch(/Incorrect attribute value type[\s\S]*"internal": a bool is required/);
      expect(details).toMatch(/Missing required argument[\s\S]*"assume_role_policy" is required/);
      expect(details).toMatch(/Unsupported argument[\s\S]*"no_such_argument" is not expected/);
      expect(details).toMatch(/Unsupported argument[\s\S]*"network_configuration" is not expected here\. Did you mean to define a block/);

      writeFileSync(path.join(bad.cfg, 'main.tf'), 'resource "aws_cloudwatch_log_group" "ok" {\n  name = "x"\n}\n');
      const p = await bad.tf(['plan', '-input=false', '-no-color']);
      expect(p.code).not.toBe(0);
      expect(p.stdout + p.stderr).toContain('The schema-only AWS stand-in cannot plan aws_cloudwatch_log_group');
    } finally {
      bad.cleanup();
    }
  }, 300_000);

  for (const env of ['dev', 'prod']) {
    it(`a plan of environments/${env}/${env}.tfvars under the mock succeeds`, async () => {
      const r = await w.tf(['test', '-json', '-no-color', '-test-directory=tests/environments', `-var-file=environments/${env}/${env}.tfvars`], { reattach: shared.reattach });
      const evs = events(r.stdout);
      const status = runStatuses(evs);
      expect(Object.keys(status).length).toBeGreaterThan(0);
      expect(Object.entries(status).filter(([, s]) => s !== 'pass'), errorsOf(evs) + r.stderr).toEqual([]);
      expect(r.code).toBe(0);
    }, 300_000);
  }
});
