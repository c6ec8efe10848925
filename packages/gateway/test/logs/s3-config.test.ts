import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSettings } from '../../src/config/settings.js';
import { createLogS3Client, s3LogStoreConfig } from '../../src/logs/s3/config.js';

/**
 * Which credentials the log store's S3 client uses, resolved for real against fake credential
 * endpoints in AWS's published formats: the ECS container credentials endpoint (the task role) and
 * STS AssumeRole (Query protocol, XML answer).
 */
const base = { LOG_STORE_GENERATIONS_BUCKET: 'logs-bucket', LOG_STORE_REGION: 'eu-west-1', LOG_LEVEL: 'silent' };
const ENV_KEYS = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let server: Server;
let url = '';
const seen: Array<{ path: string; headers: Record<string, unknown>; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/ecs-creds') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ AccessKeyId: 'ASIATASKROLE00000001', SecretAccessKey: 'task-secret', Token: 'task-token', Expiration: '2099-01-01T00:00:00Z', RoleArn: 'arn:aws:iam::123456789012:role/task' }));
        return;
      }
      const form = new URLSearchParams(body);
      if (form.get('Action') !== 'AssumeRole' || !form.get('RoleArn') || !form.get('RoleSessionName') || !String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>bad AssumeRole request</Message></Error><RequestId>r</RequestId></ErrorResponse>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAASSUMED000000001</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:${form.get('RoleSessionName')}</AssumedRoleId><Arn>${form.get('RoleArn')}/x</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  seen.length = 0;
});

function clearAwsEnv(): void {
  for (const k of ENV_KEYS) delete process.env[k];
}

describe('log store S3 client', () => {
  it('uses static keys when both are set', async () => {
    clearAwsEnv();
    const c = createLogS3Client(loadSettings({ ...base, LOG_STORE: 's3', LOG_STORE_ACCESS_KEY: 'AKIASTATIC0000000001', LOG_STORE_SECRET_KEY: 'static-secret' }));
    expect(await c.config.credentials()).toMatchObject({ accessKeyId: 'AKIASTATIC0000000001', secretAccessKey: 'static-secret' });
    expect(await c.config.region()).toBe('eu-west-1');
    expect(seen).toEqual([]);
  });

  it('with no keys, takes the ECS task role from the default chain', async () => {
    clearAwsEnv();
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${url}/ecs-creds`;
    const c = createLogS3Client(loadSettings({ ...base, LOG_STORE: 's3' }));
    expect(await c.config.credentials()).toMatchObject({ accessKeyId: 'ASIATASKROLE00000001', sessionToken: 'task-token' });
    expect(seen.map((s) => s.path)).toEqual(['/ecs-creds']);
  });

  it('s3_assume assumes LOG_STORE_AWS_ROLE_ARN with the external id, from the default chain', async () => {
    clearAwsEnv();
    process.env.AWS_ACCESS_KEY_ID = 'AKIASOURCE0000000001';
    process.env.AWS_SECRET_ACCESS_KEY = 'source-secret';
    process.env.AWS_ENDPOINT_URL_STS = url;
    const c = createLogS3Client(loadSettings({ ...base, LOG_STORE: 's3_assume', LOG_STORE_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/portico-logs', LOG_STORE_AWS_EXTERNAL_ID: 'ext-42' }));
    expect(await c.config.credentials()).toMatchObject({ accessKeyId: 'ASIAASSUMED000000001', sessionToken: 'assumed-token' });
    const form = new URLSearchParams(seen[0].body);
    expect({ action: form.get('Action'), role: form.get('RoleArn'), ext: form.get('ExternalId'), session: form.get('RoleSessionName') }).toEqual({
      action: 'AssumeRole', role: 'arn:aws:iam::123456789012:role/portico-logs', ext: 'ext-42', session: 'portico-log-store',
    });
    expect(String(seen[0].headers.authorization)).toContain('Credential=AKIASOURCE0000000001/');
  });

  it('s3_assume without a role ARN is the task role itself', async () => {
    clearAwsEnv();
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${url}/ecs-creds`;
    const c = createLogS3Client(loadSettings({ ...base, LOG_STORE: 's3_assume' }));
    expect(await c.config.credentials()).toMatchObject({ accessKeyId: 'ASIATASKROLE00000001' });
  });

  it('s3_custom uses the endpoint with path-style addressing', async () => {
    const settings = loadSettings({ LOG_STORE: 's3_custom', LOG_STORE_BASEPATH: 'http://minio.local:9000', LOG_STORE_GENERATIONS_BUCKET: 'b', LOG_STORE_ACCESS_KEY: 'k', LOG_STORE_SECRET_KEY: 's' });
    const c = createLogS3Client(settings);
    expect(c.config.forcePathStyle).toBe(true);
    const ep = await c.config.endpoint!();
    expect(`${ep.protocol}//${ep.hostname}:${ep.port}`).toBe('http://minio.local:9000');
    expect(await c.config.region()).toBe('us-east-1');
    const cfg = s3LogStoreConfig(settings);
    expect({ mode: cfg.mode, queue: cfg.queueMaxDocs, batch: cfg.batchMaxDocs, age: cfg.batchMaxAgeMs }).toEqual({ mode: 's3_custom', queue: 20000, batch: 500, age: 5000 });
    expect(() => s3LogStoreConfig(loadSettings({ LOG_STORE: 'file' }))).toThrow(/LOG_STORE=s3, s3_assume or s3_custom/);
  });
});
