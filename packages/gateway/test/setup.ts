/**
 * Runs in every test file: records the running test so a missing spec can skip it from anywhere
 * (helpers/specs.ts), and stops every child process the file started, pass or fail (helpers/spawn.ts).
 */
import { afterAll, afterEach, beforeEach } from 'vitest';
import { setRunningTest } from './helpers/specs.js';
import { stopAllChildren } from './helpers/spawn.js';

beforeEach((ctx) => setRunningTest(ctx));
afterEach(() => setRunningTest(undefined));
afterAll(() => stopAllChildren());
