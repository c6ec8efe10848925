import { open, mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * A bounded directory of files that wait for the log store. Each file appears whole or not at all:
 * it is written to a temporary name, fsynced, renamed, and the directory is fsynced. Temporary files
 * left by a crash mid-write are removed at start (their batch was still in memory, so it is not on
 * disk anywhere else either; see README).
 */
const TMP_SUFFIX = '.tmp';

export class SpillDir {
  private sizes = new Map<string, number>();
  private reserved = 0;
  private ready: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Bytes of spilled files (and of writes under way). */
  get bytes(): number {
    let n = this.reserved;
    for (const v of this.sizes.values()) n += v;
    return n;
  }

  get fileCount(): number {
    return this.sizes.size;
  }

  init(): Promise<void> {
    this.ready ??= this.scan();
    return this.ready;
  }

  private async scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.dir)) {
      const full = path.join(this.dir, name);
      if (name.endsWith(TMP_SUFFIX)) {
        await unlink(full);
        continue;
      }
      const st = await stat(full);
      if (st.isFile()) this.sizes.set(name, st.size);
    }
  }

  /** Names of complete files, oldest name first (names start with the batch time). */
  names(): string[] {
    return [...this.sizes.keys()].sort();
  }

  /** Writes a file atomically. False, writing nothing, when it would exceed the bound. */
  async write(name: string, body: Buffer): Promise<boolean> {
    await this.init();
    if (this.sizes.has(name)) return true; // same batch, same bytes: already durable
    if (this.bytes + body.length > this.maxBytes) return false;
    this.reserved += body.length;
    const tmp = path.join(this.dir, `.${name}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`);
    try {
      const fh = await open(tmp, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        // The directory was removed under us (a tmp cleaner): make it again, once.
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        return open(tmp, 'wx', 0o600);
      });
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path.join(this.dir, name));
      await this.syncDir();
      this.sizes.set(name, body.length);
      return true;
    } catch (err) {
      await unlink(tmp).catch(() => undefined); // the tmp file may never have been created
      throw err;
    } finally {
      this.reserved -= body.length;
    }
  }

  /** A spilled file, or undefined when it is gone (another process sharing the directory replayed it). */
  async read(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path.join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.sizes.delete(name);
      return undefined;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await unlink(path.join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.sizes.delete(name);
  }

  private async syncDir(): Promise<void> {
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
