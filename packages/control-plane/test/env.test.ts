import { describe, expect, it } from 'vitest';
import { readEnv } from '../src/env.js';

describe('readEnv', () => {
  it('has embedded defaults, and reads an empty value as unset (as deployments pass optional settings)', () => {
    const e = readEnv({ HOST: '', CONTROL_PLANE_PORT: '', DATA_DIR: '', DATABASE_URL: '', ADMIN_API_KEY: ' ', LOG_LEVEL: '' });
    expect(e).toMatchObject({ host: '127.0.0.1', port: 8788, dataDir: './data', databaseUrl: undefined, adminApiKey: undefined, logLevel: 'info' });
  });

  it('refuses a port that is not a number, saying which setting', () => {
    expect(() => readEnv({ CONTROL_PLANE_PORT: 'http' })).toThrow(/CONTROL_PLANE_PORT/);
    expect(() => readEnv({ CONTROL_PLANE_PORT: '70000' })).toThrow(/CONTROL_PLANE_PORT/);
    expect(readEnv({ CONTROL_PLANE_PORT: '0' }).port).toBe(0);
  });
});
