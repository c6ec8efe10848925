import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { assertSafeKey, type BlobStore } from './blob-store.js';

const MAX_OPEN_APPENDS = 64;

/** A local folder standing in for a bucket. Objects are written to a temporary name, then renamed. */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  constructor(readonly where: string) {}

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.where, key);
  }

  private tmpFor(path: string): string {
    return `${path}.tmp-${randomBytes(6).toString('hex')}`;
  }

  async putBytes(key: string, body: Buffer | string): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = this.tmpFor(path);
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async putStream(key: string, body: Readable): Promise<number> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = this.tmpFor(path);
    let bytes = 0;
    body.on('data', (c: Buffer) => (bytes += c.length));
    try {
      await pipeline(body, createWriteStream(tmp));
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return bytes;
  }

  /** Journals being appended to stay open (at most MAX_OPEN_APPENDS; the oldest is closed first). */
  private readonly appends = new Map<string, Promise<FileHandle>>();

  async append(key: string, body: string): Promise<void> {
    const path = this.path(key);
    let handle = this.appends.get(path);
    if (!handle) {
      handle = (async () => {
        await mkdir(dirname(path), { recursive: true });
        return open(path, 'a');
      })();
      this.appends.set(path, handle);
      handle.catch(() => this.appends.delete(path));
      while (this.appends.size > MAX_OPEN_APPENDS) {
        const [oldest, h] = this.appends.entries().next().value as [string, Promise<FileHandle>];
        this.appends.delete(oldest);
        void h.then((fh) => fh.close()).catch(() => undefined);
      }
    }
    await (await handle).write(body);
  }

  private async closeAppend(path: string): Promise<void> {
    const h = this.appends.get(path);
    if (!h) return;
    this.appends.delete(path);
    await h.then((fh) => fh.close()).catch(() => undefined);
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return createReadStream(path);
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await this.closeAppend(path);
    await rm(path, { force: true });
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    const dir = prefix.endsWith('/') ? join(this.where, prefix) : dirname(join(this.where, prefix));
    const out: Array<{ key: string; size: number }> = [];
    const walk = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const ent of entries) {
        const full = join(d, ent.name);
        if (ent.isDirectory()) await walk(full);
        else if (!ent.name.includes('.tmp-')) {
          const key = relative(this.where, full).split(sep).join('/');
          if (key.startsWith(prefix)) out.push({ key, size: (await stat(full)).size });
        }
      }
    };
    await walk(dir);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* out;
  }
}
