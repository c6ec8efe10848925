import { gzipSync, gunzipSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { fileLogRelativePath, S3_LOG_PREFIX, s3LogBatchKey, type LogDocument } from '@portico/contract';
import { startS3, type S3Harness } from '@portico/test-support/s3';
import { s3Env } from './helpers/s3.js';
import { eventually } from '@portico/test-support/wait';
import { startTestService, type TestService } from './helpers/service.js';
import { makeLogDoc } from './helpers/log-docs.js';

let s3: S3Harness;
const HOUR = 3_600_000;
const base = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
const docs: LogDocument[] = [];

async function call(ds: TestService, method: string, path: string, body?: unknown) {
  const res = await fetch(`${ds.url}${path}`, { method, headers: { 'content-type': 'application/json', 'x-portkey-api-key': 'any' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Writes documents into the S3 log store's layout (contract's log-store-layout), 500 per batch object. */
async function fillS3Logs(list: LogDocument[]) {
  for (let i = 0; i < list.length; i += 500) {
    const batch = list.slice(i, i + 500);
    const times = batch.map((d) => Date.parse(d.created_at));
    const key = s3LogBatchKey(S3_LOG_PREFIX, { minMs: Math.min(...times), maxMs: Math.max(...times), count: batch.length, batchId: `b${i.toString(16)}` });
    await s3.client.send(new PutObjectCommand({ Bucket: 'logs', Key: key, Body: gzipSync(batch.map((d) => JSON.stringify(d)).join('\n') + '\n') }));
  }
}

beforeAll(async () => {
  s3 = await startS3(['logs', 'exports']);
  // Three hours of documents, two workspaces, two providers; every batch within one hour.
  for (let h = 0; h < 3; h++) for (let i = 0; i < 1000; i++) {
    docs.push(makeLogDoc(base + h * HOUR + i * 1000, i, { workspace: i % 4 === 0 ? 'ws-2' : 'ws-1', provider: i % 2 ? 'anthropic' : 'openai', model: i % 2 ? 'claude' : 'gpt-4o-mini', status: i % 10 === 0 ? 429 : 200 }));
  }
  await fillS3Logs(docs);
});

afterAll(async () => {
  await s3?.close();
});

const range = { time_of_generation_min: new Date(base).toISOString(), time_of_generation_max: new Date(base + 3 * HOUR).toISOString() };

describe('exports from the S3 log store', () => {
  it('writes gzip JSONL to the exports bucket and downloads through a presigned URL', async () => {
    const ds = await startTestService(s3Env(s3, { logs: 'logs', exports: 'exports' }));
    try {
      const created = await call(ds, 'POST', '/v1/logs/exports', { filters: { ...range, ai_org: 'anthropic', status_code: '200,201' }, requested_data: ['id', 'ai_org', 'response_status_code'] });
      expect(created.status).toBe(200);
      expect(created.body.total).toBe(3000);
      const id = created.body.id as string;
      expect((await call(ds, 'POST', `/v1/logs/exports/${id}/start`)).status).toBe(200);
      const done = await eventually(async () => {
        const r = await call(ds, 'GET', `/v1/logs/exports/${id}`);
        expect(r.body.status).toBe('success');
        return r.body;
      });
      const want = docs.filter((d) => d.provider === 'anthropic' && d.response.status === 200);
      expect(done.progress).toEqual({ done: 3000, total: 3000, written: want.length });
      const dl = await call(ds, 'GET', `/v1/logs/exports/${id}/download`);
      const url = dl.body.signed_url as string;
      expect(url).toContain('X-Amz-Signature');
      const got = gunzipSync(Buffer.from(await (await fetch(url)).arrayBuffer())).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(got.map((g) => g.id).sort()).toEqual(want.map((d) => d.id).sort());
      expect(got.every((g) => g.ai_org === 'anthropic' && g.response_status_code === 200)).toBe(true);
    } finally {
      await ds.close();
    }
  });

  it('an S3 outage pauses the export, visibly, and it finishes once S3 is back', async () => {
    const ds = await startTestService({ ...s3Env(s3, { logs: 'logs' }) }, {});
    (ds.svc.deps.exports as unknown as { d: { pauseBackoffMs: number[] } }).d.pauseBackoffMs = [100];
    try {
      const created = await call(ds, 'POST', '/v1/logs/exports', { filters: range, requested_data: ['id'] });
      const id = created.body.id as string;
      await s3.stop();
      await call(ds, 'POST', `/v1/logs/exports/${id}/start`);
      const paused = await eventually(async () => {
        const r = await call(ds, 'GET', `/v1/logs/exports/${id}`);
        expect(r.body.paused_reason).toMatch(/object store unavailable/);
        return r.body;
      });
      expect(paused.status).toBe('in_progress');
      await s3.start();
      const done = await eventually(async () => {
        const r = await call(ds, 'GET', `/v1/logs/exports/${id}`);
        expect(r.body.status).toBe('success');
        return r.body;
      }, 20_000);
      expect(done.paused_reason).toBeNull();
      expect((done.progress as { written: number }).written).toBe(3000);
    } finally {
      await s3.start();
      await ds.close();
    }
  });
});

describe('cancel', () => {
  it('an export cancelled mid-way stops, reports stopped and how far it got', async () => {
    const ds = await startTestService({ LOG_STORE: 'file' });
    try {
      const dir = join(ds.dataDir, 'logs');
      const at = base;
      const path = join(dir, fileLogRelativePath(at));
      mkdirSync(join(path, '..'), { recursive: true });
      const lines: string[] = [];
      for (let i = 0; i < 60_000; i++) lines.push(JSON.stringify(makeLogDoc(at + (i % 3_600_000), i)));
      writeFileSync(path, lines.join('\n') + '\n');
      const created = await call(ds, 'POST', '/v1/logs/exports', { filters: range, requested_data: ['id', 'request', 'response'] });
      expect(created.body.total).toBe(60_000);
      const id = created.body.id as string;
      await call(ds, 'POST', `/v1/logs/exports/${id}/start`);
      await eventually(async () => {
        const r = await call(ds, 'GET', `/v1/logs/exports/${id}`);
        expect((r.body.progress as { done: number }).done).toBeGreaterThan(0);
      }, 10_000, 5);
      const cancelled = await call(ds, 'POST', `/v1/logs/exports/${id}/cancel`);
      expect(cancelled.status).toBe(200);
      const r = await call(ds, 'GET', `/v1/logs/exports/${id}`);
      expect(r.body.status).toBe('stopped');
      expect((r.body.progress as { done: number }).done).toBeLessThan(60_000);
      const dl = await call(ds, 'GET', `/v1/logs/exports/${id}/download`);
      expect(dl.status).toBe(409);
      // Started again, it runs to the end.
      await call(ds, 'POST', `/v1/logs/exports/${id}/start`);
      await eventually(async () => expect((await call(ds, 'GET', `/v1/logs/exports/${id}`)).body.status).toBe('success'), 20_000);
    } finally {
      await ds.close();
    }
  });
});
