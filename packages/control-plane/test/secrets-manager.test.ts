import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFromSecretsManager, loadEnvelope } from '../src/crypto/master-keys.js';

/**
 * ENCRYPTION_KEY as a Secrets Manager ARN: the AWS SDK fetches the secret from a local endpoint that
 * answers GetSecretValue in the service's published JSON 1.1 protocol.
 */
describe('master key from AWS Secrets Manager', () => {
  let server: Server;
  const key = randomBytes(32).toString('base64');
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:portico/encryption-key-AbCdEf';
  const seen: Array<{ target: string; body: any }> = [];
  const saved = { ...process.env };
  let dataDir: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body);
        seen.push({ target: String(req.headers['x-amz-target']), body: parsed });
        if (parsed.SecretId !== arn) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'Secrets Manager can\'t find the specified secret.' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ ARN: arn, Name: 'portico/encryption-key', SecretString: key, VersionId: 'v1', CreatedDate: 1.7e9 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_EC2_METADATA_DISABLED: 'true',
    });
    dataDir = mkdtempSync(join(tmpdir(), 'portico-sm-'));
  });
  afterAll(() => {
    process.env = saved;
    server.closeAllConnections();
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fetches the key by ARN, in the ARN\'s region, and seals with it', async () => {
    const { envelope, source } = await loadEnvelope({ encryptionKey: arn, dataDir, fetchSecret: fetchFromSecretsManager });
    expect(source).toBe('secrets-manager');
    expect(seen).toEqual([{ target: 'secretsmanager.GetSecretValue', body: { SecretId: arn } }]);
    const direct = await loadEnvelope({ encryptionKey: key, dataDir, fetchSecret: () => Promise.reject(new Error('unused')) });
    expect(direct.envelope.decrypt(envelope.encrypt('sk-x'))).toBe('sk-x');
  });

  it('fails to start, saying why, when the secret is missing', async () => {
    await expect(loadEnvelope({ encryptionKey: arn.replace('AbCdEf', 'Nope00'), dataDir, fetchSecret: fetchFromSecretsManager })).rejects.toThrow(/can't find/);
  });
});
