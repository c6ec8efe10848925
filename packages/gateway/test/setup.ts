/**
 * Runs in every test file: records the running test so a missing spec can skip it from anywhere
 * (helpers/specs.ts), and stops every child process the file started, pass or fail (test-support's spawn).
 */
import { afterAll, afterEach, beforeEach } from 'vitest';
import { stopAllChildren } from '@portico/test-support/spawn';
import { setRunningTest } from './helpers/specs.js';

beforeEach((ctx) => setRunningTest(ctx));
afterEach(() => setRunningTest(undefined));
afterAll(() => stopAllChildren());
