import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncSnapshot } from '@portico/contract';
import { Envelope, masterKey } from '../src/crypto/envelope.js';
import { backends, call, retainPostgres, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';

const key64 = () => randomBytes(32).toString('base64');

describe('envelope encryption', () => {
  it('seals each record with its own data key and opens it only with the right master key', () => {
    const a = new Envelope(masterKey(randomBytes(32)));
    const r1 = a.encrypt('sk-secret');
    const r2 = a.encrypt('sk-secret');
    expect(r1).not.toBe(r2);
    expect(r1).not.toContain('sk-secret');
    expect(a.decrypt(r1)).toBe('sk-secret');
    const b = new Envelope(masterKey(randomBytes(32)));
    expect(() => b.decrypt(r1)).toThrow(/neither ENCRYPTION_KEY/);
    const tampered = r1.slice(0, -3) + (r1.endsWith('A') ? 'B' : 'A') + r1.slice(-2);
    expect(() => a.decrypt(tampered)).toThrow();
  });

  it('rotates by rewrapping the data key only', () => {
    const oldKey = masterKey(randomBytes(32));
    const newKey = masterKey(randomBytes(32));
    const record = new Envelope(oldKey).encrypt('sk-rotate');
    const both = new Envelope(newKey, [oldKey]);
    expect(both.isStale(record)).toBe(true);
    const rewrapped = both.rewrap(record);
    expect(both.isStale(rewrapped)).toBe(false);
    expect(rewrapped.split('.')[3]).toBe(record.split('.')[3]);
    expect(new Envelope(newKey).decrypt(rewrapped)).toBe('sk-rotate');
  });
});

for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`bootstrap and key rotation on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane | undefined;
    let release: (() => void) | undefined;
    beforeAll(async () => {
      if (backend === 'postgres') release = await retainPostgres();
    });
    afterAll(() => release?.());
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('generates the first admin key into DATA_DIR/admin-api-key (0600) once, and the encryption key likewise', async () => {
      t = await startTestControlPlane(backend, { ADMIN_API_KEY: '' });
      const file = join(t.dataDir, 'admin-api-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(t.dataDir, 'encryption-key')).mode & 0o777).toBe(0o600);
      const generated = readFileSync(file, 'utf8').trim();
      expect(t.cp.bootstrap.generatedAdminKeyFile).toBe(file);
      expect((await call(t.url, 'GET', '/v1/configs', generated)).status).toBe(200);
      expect((await call(t.url, 'GET', '/v1/configs', t.adminKey)).status).toBe(401);
      await t.restart({ ADMIN_API_KEY: '' });
      expect(t.cp.bootstrap.created).toBe(false);
      expect(t.cp.bootstrap.generatedAdminKeyFile).toBeUndefined();
      expect(readFileSync(file, 'utf8').trim()).toBe(generated);
      expect((await call(t.url, 'GET', '/v1/configs', generated)).status).toBe(200);
    });

    it('uses ORGANISATION_ID and refuses a different one later', async () => {
      const org = randomUUID();
      t = await startTestControlPlane(backend, { ORGANISATION_ID: org });
      expect(t.cp.bootstrap.organisationId).toBe(org);
      await expect(t.restart({ ORGANISATION_ID: randomUUID() })).rejects.toThrow(/was set up for organisation/);
      await t.restart({ ORGANISATION_ID: org });
      expect(t.cp.bootstrap.organisationId).toBe(org);
    });

    it('stores secrets encrypted, and rotates the master key at start with ENCRYPTION_KEY_PREVIOUS', async () => {
      const oldKey = key64();
      const newKey = key64();
      t = await startTestControlPlane(backend, { ENCRYPTION_KEY: oldKey });
      const vk = await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'rot', provider: 'openai', key: 'sk-rotation-secret' });
      const stored = await t.cp.services.db.get<{ secret: string; data: string }>(`SELECT secret, data FROM resources WHERE slug = ?`, [vk.body.data.slug]);
      expect(stored!.secret).not.toContain('sk-rotation-secret');
      expect(stored!.data).not.toContain('sk-rotation-secret');
      if (backend === 'sqlite') expect(readFileSync(join(t.dataDir, 'control-plane.sqlite')).includes('sk-rotation-secret')).toBe(false);
      // A start with only an unrelated key fails, saying which key is missing, rather than serving broken secrets.
      await expect(t.restart({ ENCRYPTION_KEY: newKey })).rejects.toThrow(/neither ENCRYPTION_KEY nor in ENCRYPTION_KEY_PREVIOUS/);
      await t.restart({ ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey });
      const after = await t.cp.services.db.get<{ secret: string }>(`SELECT secret FROM resources WHERE slug = ?`, [vk.body.data.slug]);
      expect(after!.secret).not.toBe(stored!.secret);
      await t.restart({ ENCRYPTION_KEY: newKey });
      const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` })).body as SyncSnapshot;
      expect(snap.virtualKeys.find((v) => v.slug === vk.body.data.slug)?.apiKey).toBe('sk-rotation-secret');
    });

    it('refuses an encryption key that is not 32 bytes', async () => {
      await expect(startTestControlPlane(backend, { ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') })).rejects.toThrow(/32 bytes/);
    });
  });
}
