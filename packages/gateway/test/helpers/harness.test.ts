/**
 * The gateway test harness's own guarantees: a fake whose handler fails still answers (no hung test), and
 * a missing spec skips or fails as REQUIRE_SPECS says. (Child processes: test-support's own tests.)
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeServer } from './fake-server.js';
import { checkedIfPresent, requireSpec, setRunningTest, SpecMissingError } from './specs.js';

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
