import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The service's secret: signs local download links and seals what batches must keep to call the
 * gateway on their owner's behalf (API key, provider headers). DATA_SERVICE_SECRET, else
 * PORTKEY_CLIENT_AUTH, else a random key kept under DATA_DIR (embedded default).
 */
export async function loadSecret(explicit: string, clientAuth: string, dataDir: string): Promise<Buffer> {
  const source = explicit || clientAuth;
  if (source) return createHash('sha256').update(`portico-data-service:${source}`).digest();
  const file = join(dataDir, '.data-service-secret');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  } catch {
    const key = randomBytes(32);
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, key.toString('hex'), { mode: 0o600, flag: 'wx' }).catch(async () => undefined);
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  }
}

export class Sealer {
  constructor(private readonly key: Buffer) {}

  /** AES-256-GCM, base64 of iv | tag | ciphertext. */
  seal(value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  open<T>(sealed: string): T {
    const raw = Buffer.from(sealed, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as T;
  }

  sign(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }

  verify(text: string, signature: string): boolean {
    const want = Buffer.from(this.sign(text));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
