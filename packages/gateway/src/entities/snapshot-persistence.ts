import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes, webcrypto } from 'node:crypto';
import path from 'node:path';
import type { RedisConnection } from '../state/redis.js';

/**
 * Where the last good sync snapshot is kept, so a gateway restarted while the control plane is down
 * still serves: Redis when CACHE_STORE is redis (every replica shares it), else a file under DATA_DIR.
 *
 * The snapshot holds provider secrets, so it is encrypted at rest: AES-256-GCM under a key derived
 * with HKDF-SHA256 from PORTKEY_CLIENT_AUTH (salted per organisation). Only a gateway holding the
 * client auth key can read it. WebCrypto runs the cipher on libuv's thread pool, off the event loop.
 * Layout: "PSS1" | 12-byte IV | ciphertext+tag.
 */
const MAGIC = Buffer.from('PSS1');
const IV_BYTES = 12;

export interface SnapshotPersistence {
  readonly kind: string;
  /** The stored snapshot's JSON text, or undefined when none is stored or it cannot be decrypted. */
  load(organisation: string): Promise<string | undefined>;
  save(organisation: string, jsonText: string): Promise<void>;
}

export class SnapshotCipher {
  private readonly keys = new Map<string, Promise<webcrypto.CryptoKey>>();

  constructor(private readonly clientAuth: string) {}

  private key(organisation: string): Promise<webcrypto.CryptoKey> {
    let k = this.keys.get(organisation);
    if (!k) {
      k = (async () => {
        const base = await webcrypto.subtle.importKey('raw', Buffer.from(this.clientAuth, 'utf8'), 'HKDF', false, ['deriveKey']);
        return webcrypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: Buffer.from(`portico-snapshot:${organisation}`), info: Buffer.from('portico sync snapshot v1') },
          base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
        );
      })();
      this.keys.set(organisation, k);
    }
    return k;
  }

  async seal(organisation: string, plain: string): Promise<Buffer> {
    const iv = randomBytes(IV_BYTES);
    const sealed = await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: Buffer.from(organisation) }, await this.key(organisation), Buffer.from(plain, 'utf8'));
    return Buffer.concat([MAGIC, iv, Buffer.from(sealed)]);
  }

  /** Throws when the data was not sealed with this client auth key and organisation, or was altered. */
  async open(organisation: string, data: Buffer): Promise<string> {
    if (data.length < MAGIC.length + IV_BYTES + 16 || !data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a sealed snapshot');
    const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const plain = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: Buffer.from(organisation) }, await this.key(organisation), data.subarray(MAGIC.length + IV_BYTES));
    return Buffer.from(plain).toString('utf8');
  }
}

/** File names carry the organisation id, restricted to safe characters. */
function fileName(organisation: string): string {
  return `snapshot-${organisation.replace(/[^A-Za-z0-9._-]/g, '_')}.bin`;
}

export class FileSnapshotPersistence implements SnapshotPersistence {
  readonly kind = 'file';

  constructor(private readonly dir: string, private readonly cipher: SnapshotCipher) {}

  async load(organisation: string): Promise<string | undefined> {
    let data: Buffer;
    try {
      data = await readFile(path.join(this.dir, fileName(organisation)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return this.cipher.open(organisation, data);
  }

  /** Written to a temporary file (0600), fsynced and renamed: a crash leaves the old or the new one. */
  async save(organisation: string, jsonText: string): Promise<void> {
    const sealed = await this.cipher.seal(organisation, jsonText);
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

  constructor(private readonly redis: RedisConnection, private readonly cipher: SnapshotCipher, private readonly timeoutMs = 5000) {}

  async load(organisation: string): Promise<string | undefined> {
    // At start the connection may still be coming up: give it a moment before reading.
    for (const end = Date.now() + this.timeoutMs; !this.redis.ready && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
    const data = await this.redis.bounded('sync snapshot load', (c) => c.getBuffer(SNAPSHOT_REDIS_PREFIX + organisation), this.timeoutMs);
    return data ? this.cipher.open(organisation, data) : undefined;
  }

  async save(organisation: string, jsonText: string): Promise<void> {
    const sealed = await this.cipher.seal(organisation, jsonText);
    await this.redis.bounded('sync snapshot save', (c) => c.set(SNAPSHOT_REDIS_PREFIX + organisation, sealed), this.timeoutMs);
  }
}
