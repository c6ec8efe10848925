/**
 * The test harness's own guarantees: a fake whose handler fails still answers (no hung test), a missing
 * spec skips or fails as REQUIRE_SPECS says, and no child process outlives its test file or its parent.
 */
import { request } from 'undici';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeServer } from './fake-server.js';
import { checkedIfPresent, requireSpec, setRunningTest, SpecMissingError } from './specs.js';
import { spawnNodeScript, stopAllChildren } from './spawn.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

describe('fake servers', () => {
  it('answer a 500 naming the failure when the handler throws or rejects, instead of never answering', async () => {
    let n = 0;
    const server = createFakeServer(async (_req, res) => {
      n++;
      if (n === 1) throw new Error('oracle exploded');
      if (n === 2) return Promise.reject(new Error('async oracle exploded'));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
      throw new Error('failed mid-stream');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    try {
      for (const words of ['oracle exploded', 'async oracle exploded']) {
        const res = await request(url, { method: 'POST', body: '{}', headersTimeout: 2000, bodyTimeout: 2000 });
        expect(res.statusCode).toBe(500);
        expect((await res.body.json()) as unknown).toMatchObject({ error: { type: 'fake_server_error', message: expect.stringContaining(words) } });
      }
      // After the head went out, the socket is destroyed: the client sees the cut at once.
      const res = await request(url, { method: 'POST', body: '{}', headersTimeout: 2000, bodyTimeout: 2000 });
      expect(res.statusCode).toBe(200);
      await expect(res.body.text()).rejects.toThrow();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('missing specs', () => {
  const saved = process.env.REQUIRE_SPECS;
  afterEach(() => {
    if (saved === undefined) delete process.env.REQUIRE_SPECS;
    else process.env.REQUIRE_SPECS = saved;
  });
  const ABSENT = 'no-such-provider/openapi.yaml';

  it('skip the running test, naming the spec, unless REQUIRE_SPECS=1 makes them fail', () => {
    delete process.env.REQUIRE_SPECS;
    const notes: Array<string | undefined> = [];
    const task = { result: {} as { note?: string } };
    setRunningTest({ skip: ((note?: string) => { notes.push(note); throw new Error('skipped'); }) as never, task: task as never });
    expect(() => requireSpec(ABSENT)).toThrow('skipped');
    expect(notes[0]).toContain(`../shared/specs/${ABSENT}`);
    expect(task.result.note).toContain(ABSENT);
    setRunningTest(undefined);

    process.env.REQUIRE_SPECS = '1';
    expect(() => requireSpec(ABSENT)).toThrow(SpecMissingError);
    expect(() => requireSpec(ABSENT)).toThrow(/REQUIRE_SPECS=1 but the spec \.\.\/shared\/specs\/no-such-provider\/openapi\.yaml is missing/);
  });

  it('leave a fake serving without its check, except under REQUIRE_SPECS=1', () => {
    delete process.env.REQUIRE_SPECS;
    const check = checkedIfPresent(ABSENT, (): string[] => ['checked'], []);
    expect(check()).toEqual([]);
    process.env.REQUIRE_SPECS = '1';
    expect(() => check()).toThrow(SpecMissingError);
  });
});

describe('child processes', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const gone = async (pid: number) => {
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    return !alive(pid);
  };

  it('are all stopped by stopAllChildren (what test/setup.ts runs after every file)', async () => {
    const child = spawnNodeScript(path.join(HERE, 'fixtures/linger.ts'));
    await child.waitForOutput(/^linger (\d+)$/m);
    await stopAllChildren();
    expect(child.proc.exitCode !== null || child.proc.signalCode !== null).toBe(true);
  });

  it('end with their parent even when it dies without cleaning up (SIGKILL)', async () => {
    // parent.ts starts linger.ts through the same helper, prints its pid, then waits.
    const parent = spawnNodeScript(path.join(HERE, 'fixtures/parent.ts'));
    const m = await parent.waitForOutput(/^grandchild (\d+)$/m);
    const grandchild = Number(m[1]);
    expect(alive(grandchild)).toBe(true);
    parent.proc.kill('SIGKILL');
    await parent.exited;
    expect(await gone(grandchild)).toBe(true);
  });
});
