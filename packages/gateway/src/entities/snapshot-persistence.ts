import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { RedisConnection } from '../state/redis.js';
import { Yielder } from './yielding.js';

/**
 * Where the last good sync snapshot is kept, so a gateway restarted while the control plane is down
 * still serves: Redis when CACHE_STORE is redis (every replica shares it), else a file under DATA_DIR.
 *
 * The snapshot holds provider secrets, so it is encrypted at rest: AES-256-GCM under a key derived
 * with HKDF-SHA256 from PORTKEY_CLIENT_AUTH (salted per organisation, the organisation id as associated
 * data). Only a gateway holding the client auth key can read it. Sealing and opening run in slices
 * with turns for the event loop between them (a snapshot is megabytes).
 * Layout: "PSS1" | 12-byte IV | ciphertext | 16-byte tag.
 */
const MAGIC = Buffer.from('PSS1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const OPEN_SLICE_BYTES = 64 * 1024;

export interface SnapshotPersistence {
  readonly kind: string;
  /** The stored snapshot, sealed, or undefined when none is stored. */
  load(organisation: string): Promise<Buffer | undefined>;
  save(organisation: string, sealed: Buffer): Promise<void>;
}

export class SnapshotCipher {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly clientAuth: string) {}

  /** The organisation's sealing key (handed to the snapshot worker, which seals on its own thread). */
  key(organisation: string): Buffer {
    let k = this.keys.get(organisation);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', Buffer.from(this.clientAuth, 'utf8'), Buffer.from(`portico-snapshot:${organisation}`), Buffer.from('portico sync snapshot v1'), 32));
      this.keys.set(organisation, k);
    }
    return k;
  }

  /** Seals text given in pieces (strings or UTF-8 bytes), yielding between them. */
  async seal(organisation: string, pieces: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): Promise<Buffer> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(organisation), iv);
    cipher.setAAD(Buffer.from(organisation));
    const out: Buffer[] = [MAGIC, iv];
    const yielder = new Yielder();
    for await (const piece of pieces) {
      out.push(typeof piece === 'string' ? cipher.update(piece, 'utf8') : cipher.update(piece));
      await yielder.maybeYield();
    }
    out.push(cipher.final(), cipher.getAuthTag());
    return Buffer.concat(out);
  }

  /**
   * Opens sealed data, handing the text to onText in pieces as it is decrypted. Throws (after the
   * last piece) when the data was not sealed with this key and organisation or was altered: the
   * caller must discard what it built from the pieces until this resolves.
   */
  async open(organisation: string, data: Buffer, onText: (text: string) => void): Promise<void> {
    if (data.length < MAGIC.length + IV_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a sealed snapshot');
    const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key(organisation), iv);
    decipher.setAAD(Buffer.from(organisation));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const body = data.subarray(MAGIC.length + IV_BYTES, data.length - TAG_BYTES);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const yielder = new Yielder();
    for (let i = 0; i < body.length; i += OPEN_SLICE_BYTES) {
      onText(decoder.decode(decipher.update(body.subarray(i, i + OPEN_SLICE_BYTES)), { stream: true }));
      await yielder.maybeYield();
    }
    decipher.final();
    onText(decoder.decode());
  }
}

/** Seals a whole document at once with a key from SnapshotCipher.key (the snapshot worker's way: no turns to give). */
export function sealWithKey(key: Uint8Array, organisation: string, document: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(organisation));
  return Buffer.concat([MAGIC, iv, cipher.update(document), cipher.final(), cipher.getAuthTag()]);
}

/** File names carry the organisation id, restricted to safe characters. */
function fileName(organisation: string): string {
  return `snapshot-${organisation.replace(/[^A-Za-z0-9._-]/g, '_')}.bin`;
}

export class FileSnapshotPersistence implements SnapshotPersistence {
  readonly kind = 'file';

  constructor(private readonly dir: string) {}

  async load(organisation: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path.join(this.dir, fileName(organisation)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Written to a temporary file (0600), fsynced and renamed: a crash leaves the old or the new one. */
  async save(organisation: string, sealed: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const final = path.join(this.dir, fileName(organisation));
    const tmp = `${final}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(sealed);
      await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, final);
  }
}

export const SNAPSHOT_REDIS_PREFIX = 'portico:sync-snapshot:';

export class RedisSnapshotPersistence implements SnapshotPersistence {
  readonly kind = 'redis';

  constructor(private readonly redis: RedisConnection, private readonly timeoutMs = 5000) {}

  async load(organisation: string): Promise<Buffer | undefined> {
    // At start the connection may still be coming up: give it a moment before reading.
    for (const end = Date.now() + this.timeoutMs; !this.redis.ready && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
    const data = await this.redis.bounded('sync snapshot load', (c) => c.getBuffer(SNAPSHOT_REDIS_PREFIX + organisation), this.timeoutMs);
    return data ?? undefined;
  }

  async save(organisation: string, sealed: Buffer): Promise<void> {
    await this.redis.bounded('sync snapshot save', (c) => c.set(SNAPSHOT_REDIS_PREFIX + organisation, sealed), this.timeoutMs);
  }
}
