/** A vitest setup file: whatever a test file started through spawn.ts is stopped when that file ends, pass or fail. */
import { afterAll } from 'vitest';
import { stopAllChildren } from './spawn.js';

afterAll(() => stopAllChildren());
