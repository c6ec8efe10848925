import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelope encryption for provider secrets. Each record gets its own random data key;
 * the secret is sealed with the data key and the data key is wrapped with the master key. Rotating
 * the master key rewraps the data keys only: the secrets themselves are never re-encrypted.
 *
 * A record is one text value: v1.<master key id>.<wrapped data key>.<sealed secret>, where each sealed
 * part is base64url(iv | tag | ciphertext). The master key id is derived from the key itself, so a
 * record names the key it needs without storing anything secret.
 */
export interface MasterKey {
  id: string;
  key: Buffer;
}

export function masterKey(key: Buffer): MasterKey {
  if (key.length !== 32) throw new Error(`an encryption key must be 32 bytes (base64 of 32 random bytes); this one is ${key.length}`);
  return { id: createHash('sha256').update('portico-master-key').update(key).digest('hex').slice(0, 16), key };
}

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
}

function unseal(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}

export class Envelope {
  private readonly byId: Map<string, MasterKey>;

  /** current seals new records; previous keys only open (and rewrap) old ones. */
  constructor(readonly current: MasterKey, previous: MasterKey[] = []) {
    this.byId = new Map([current, ...previous].map((k) => [k.id, k]));
  }

  encrypt(plaintext: string): string {
    const dataKey = randomBytes(32);
    const wrapped = seal(this.current.key, dataKey, `dk:${this.current.id}`);
    const body = seal(dataKey, Buffer.from(plaintext, 'utf8'), 'secret');
    return `v1.${this.current.id}.${wrapped}.${body}`;
  }

  decrypt(record: string): string {
    const { master, wrapped, body } = this.parse(record);
    const dataKey = unseal(master.key, wrapped, `dk:${master.id}`);
    return unseal(dataKey, body, 'secret').toString('utf8');
  }

  /** Whether the record's data key is wrapped with a key other than the current one. */
  isStale(record: string): boolean {
    return record.split('.')[1] !== this.current.id;
  }

  /** Unwraps the data key with the old master key and wraps it with the current one. */
  rewrap(record: string): string {
    const { master, wrapped, body } = this.parse(record);
    const dataKey = unseal(master.key, wrapped, `dk:${master.id}`);
    return `v1.${this.current.id}.${seal(this.current.key, dataKey, `dk:${this.current.id}`)}.${body}`;
  }

  private parse(record: string) {
    const [v, id, wrapped, body] = record.split('.');
    if (v !== 'v1' || !wrapped || !body) throw new Error('not an encrypted secret record');
    const master = this.byId.get(id);
    if (!master) throw new Error(`secret sealed with master key ${id}, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEY_PREVIOUS`);
    return { master, wrapped, body };
  }
}
