/**
 * The snapshot builder's worker thread: reads snapshots and changes as they stream in (bytes posted
 * by the event loop), keeps each organisation's entities as text (RawSnapshot), and answers with a
 * SnapshotImage to swap in. Parsing megabytes of JSON and the garbage it makes stay on this thread.
 * Messages: see snapshot-builder.ts.
 */
import { parentPort } from 'node:worker_threads';
import { ChangesReader, RawSnapshot, SnapshotReader } from './raw-snapshot.js';
import type { BuilderReply, BuilderRequest } from './snapshot-builder.js';
import { sealWithKey } from './snapshot-persistence.js';
import { lowerThisThreadPriority } from './thread-priority.js';

interface Job {
  organisation: string;
  mode: 'snapshot' | 'changes';
  decoder: TextDecoder;
  reader: SnapshotReader | ChangesReader;
  error?: string;
}

const states = new Map<string, RawSnapshot>();
const jobs = new Map<number, Job>();
const port = parentPort!;
// Requests come first: the event loop's thread keeps its priority, this one parses in the time left.
lowerThisThreadPriority();

function reply(r: BuilderReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(r, transfer);
}

function feed(job: Job, text: string): void {
  if (job.error || text === '') return;
  try {
    job.reader.feed(text);
  } catch (e) {
    job.error = (e as Error).message;
  }
}

function finish(id: number, job: Job): void {
  feed(job, job.error ? '' : job.decoder.decode());
  if (job.error) return reply({ job: id, ok: false, error: job.error });
  try {
    if (job.reader instanceof SnapshotReader) {
      const snap = job.reader.end();
      if (snap.organisation && snap.organisation !== job.organisation) throw new Error(`the control plane sent organisation ${snap.organisation} for ${job.organisation}`);
      snap.organisation = job.organisation;
      states.set(job.organisation, snap);
      const { image, transfer } = snap.image();
      return reply({ job: id, ok: true, image, applied: 0, skipped: snap.skipped, reset: false, version: snap.version }, transfer);
    }
    const changes = job.reader;
    changes.end();
    const state = states.get(job.organisation);
    // No base here to apply to (not expected): the event loop fetches a snapshot.
    if (changes.reset || !state) return reply({ job: id, ok: true, applied: 0, skipped: 0, reset: true, version: changes.version ?? 0 });
    const before = state.skipped;
    const applied = changes.applyTo(state);
    if (applied === 0) return reply({ job: id, ok: true, applied, skipped: 0, reset: false, version: state.version });
    const { image, transfer } = state.image();
    reply({ job: id, ok: true, image, applied, skipped: state.skipped - before, reset: false, version: state.version }, transfer);
  } catch (e) {
    reply({ job: id, ok: false, error: (e as Error).message });
  }
}

port.on('message', (m: BuilderRequest) => {
  switch (m.type) {
    case 'begin':
      jobs.set(m.job, { organisation: m.organisation, mode: m.mode, decoder: new TextDecoder('utf-8', { fatal: true }), reader: m.mode === 'snapshot' ? new SnapshotReader() : new ChangesReader() });
      return;
    case 'chunk': {
      const job = jobs.get(m.job);
      if (!job) return;
      if (typeof m.data === 'string') feed(job, m.data);
      else {
        let text = '';
        try {
          text = job.decoder.decode(m.data, { stream: true });
        } catch (e) {
          job.error ||= `not UTF-8: ${(e as Error).message}`;
        }
        feed(job, text);
      }
      return;
    }
    case 'end': {
      const job = jobs.get(m.job);
      jobs.delete(m.job);
      if (job) finish(m.job, job);
      else reply({ job: m.job, ok: false, error: 'unknown job' });
      return;
    }
    case 'abort':
      jobs.delete(m.job);
      return;
    case 'sealed': {
      const state = states.get(m.organisation);
      if (!state) return reply({ job: m.job, ok: false, error: `no snapshot of ${m.organisation} to persist` });
      try {
        const sealed = sealWithKey(m.key, m.organisation, Buffer.from(state.document()));
        // A fresh buffer of its own (not a view of the shared pool), so it can be moved, not copied.
        const out = new Uint8Array(sealed.length);
        out.set(sealed);
        return reply({ job: m.job, ok: true, sealed: out, version: state.version }, [out.buffer as ArrayBuffer]);
      } catch (e) {
        return reply({ job: m.job, ok: false, error: (e as Error).message });
      }
    }
  }
});
