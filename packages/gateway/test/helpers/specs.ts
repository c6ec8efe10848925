/**
 * The third-party specifications the test oracles read live in ../shared/specs beside the repository,
 * never inside it. A fresh clone has none: a test that needs one is skipped, naming the missing file.
 * CI has them and sets REQUIRE_SPECS=1, under which a missing spec fails the test instead.
 *
 * Skipping works from wherever the oracle is called, including inside a fake's request handler: the
 * test running at that moment (recorded by test/setup.ts) is marked skipped with a note.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findRepoRoot } from '@portico/test-support/repo-root';

export const SPECS_DIR = path.resolve(findRepoRoot(), '../shared/specs');

/** Raised when a spec is absent and the test could not be skipped in place (no test is running). */
export class SpecMissingError extends Error {
  constructor(readonly spec: string, message: string) {
    super(message);
    this.name = 'SpecMissingError';
  }
}

import type { TestContext } from 'vitest';

type RunningTest = Pick<TestContext, 'skip' | 'task'>;
let running: RunningTest | undefined;

/** Called by test/setup.ts around each test. */
export function setRunningTest(ctx: RunningTest | undefined): void {
  running = ctx;
}

export const specsRequired = (): boolean => process.env.REQUIRE_SPECS === '1';

/** Absolute path of a spec file, relative to ../shared/specs (e.g. 'openai/openapi.yaml'). */
export function specPath(rel: string): string {
  return path.join(SPECS_DIR, rel);
}

export function hasSpec(rel: string): boolean {
  return fs.existsSync(specPath(rel));
}

/**
 * The absolute path of a spec that the caller is about to read. When it is absent: under REQUIRE_SPECS=1
 * throws an error that fails the test; otherwise skips the running test, saying which spec is missing.
 */
export function requireSpec(rel: string): string {
  const file = specPath(rel);
  if (fs.existsSync(file)) return file;
  const where = `../shared/specs/${rel}`;
  if (specsRequired()) {
    throw new SpecMissingError(rel, `REQUIRE_SPECS=1 but the spec ${where} is missing (looked at ${file})`);
  }
  const note = `needs the spec ${where}, which is absent (a fresh clone has no ../shared/specs)`;
  if (running) {
    // The note is kept even when the skip is thrown inside a fake's handler, away from the test's own stack.
    const result = running.task.result as { note?: string } | undefined;
    if (result) result.note = note;
    running.skip(note);
  }
  throw new SpecMissingError(rel, `skipped: ${note}`);
}

const warned = new Set<string>();

/**
 * For a fake upstream's own checks of what the gateway sends it: the fake still serves when the spec
 * is absent (the test checks the gateway's behaviour, not the spec), without that extra check and
 * saying so once. Under REQUIRE_SPECS=1 the absent spec fails the request, and so the test.
 */
export function checkedIfPresent<A extends unknown[], R>(rel: string, check: (...args: A) => R, whenAbsent: R): (...args: A) => R {
  return (...args) => {
    if (hasSpec(rel)) return check(...args);
    if (specsRequired()) throw new SpecMissingError(rel, `REQUIRE_SPECS=1 but the spec ../shared/specs/${rel} is missing`);
    if (!warned.has(rel)) {
      warned.add(rel);
      process.stderr.write(`[specs] ../shared/specs/${rel} is absent: fakes serve without checking requests against it\n`);
    }
    return whenAbsent;
  };
}
