/**
 * A fake AWS STS (Query protocol: form-encoded POST, XML answers) that serves AssumeRole, checks the
 * caller's SigV4 signature with `aws4`, enforces external ids, and issues session credentials. Issued
 * credentials are appended to `issued`, which can be the credential list of a fake Bedrock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type FakeAwsCredential } from './sigv4-verify.js';

export interface FakeSts {
  url: string;
  calls: Array<{ roleArn: string; externalId?: string; sessionName: string; callerKeyId?: string; status: number }>;
  /** Milliseconds from now that issued credentials expire (default one hour). */
  setLifetime(ms: number): void;
  close(): Promise<void>;
}

export interface FakeStsOptions {
  region: string;
  /** Callers allowed to assume roles. */
  callers: FakeAwsCredential[];
  /** Role ARN → the external id its trust policy demands (undefined: none; '*': any). */
  roles: Record<string, string | undefined>;
  /** Where issued credentials are recorded (share it with a fake Bedrock to accept them). */
  issued: FakeAwsCredential[];
}

const xmlError = (code: string, message: string) =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`;

export async function startFakeSts(opts: FakeStsOptions): Promise<FakeSts> {
  const calls: FakeSts['calls'] = [];
  let lifetime = 60 * 60 * 1000;
  let n = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts);
      const form = new URLSearchParams(raw.toString('utf8'));
      const call: FakeSts['calls'][number] = { roleArn: form.get('RoleArn') ?? '', externalId: form.get('ExternalId') ?? undefined, sessionName: form.get('RoleSessionName') ?? '', status: 0 };
      calls.push(call);
      const send = (status: number, body: string) => {
        call.status = status;
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(body);
      };
      const sig = verifySigV4({ method: req.method ?? 'POST', rawPath: req.url ?? '/', headers: req.headers, body: raw }, { service: 'sts', region: opts.region, credentials: opts.callers });
      if (!sig.ok) return send(sig.status, xmlError(sig.type === 'UnrecognizedClientException' ? 'InvalidClientTokenId' : 'SignatureDoesNotMatch', sig.message));
      call.callerKeyId = sig.accessKeyId;
      if (form.get('Action') !== 'AssumeRole' || form.get('Version') !== '2011-06-15') return send(400, xmlError('InvalidAction', 'Could not find operation'));
      if (!call.sessionName) return send(400, xmlError('ValidationError', 'RoleSessionName is required'));
      const wanted = opts.roles[call.roleArn];
      if (!(call.roleArn in opts.roles) || (wanted !== '*' && wanted !== call.externalId)) {
        return send(403, xmlError('AccessDenied', `User: arn:aws:iam::111122223333:user/caller is not authorized to perform: sts:AssumeRole on resource: ${call.roleArn}`));
      }
      n++;
      const cred = { accessKeyId: `ASIAFAKESTS${String(n).padStart(9, '0')}`, secretAccessKey: `stsSecret${n}/fake`, sessionToken: `FwoGZXIvYXdzEFAKE${n}` };
      opts.issued.push(cred);
      const expiration = new Date(Date.now() + lifetime).toISOString().replace(/\.\d{3}Z$/, 'Z');
      send(
        200,
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${cred.accessKeyId}</AccessKeyId><SecretAccessKey>${cred.secretAccessKey}</SecretAccessKey><SessionToken>${cred.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:${call.sessionName}</AssumedRoleId><Arn>${call.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${call.sessionName}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake-${n}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setLifetime: (ms) => {
      lifetime = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
