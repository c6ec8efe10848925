// The stand-in AWS provider on its own, as a gRPC client sees it (no terraform needed): go-plugin's handshake,
// AutoMTLS with the client certificate Terraform would pass, and the schema it serves.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { pkgRoot } from './hcl.js';

const MAIN = path.join(pkgRoot, 'provider/main.mjs');
const COOKIE = { TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2', PLUGIN_PROTOCOL_VERSIONS: '5,6' };

function selfSigned(): { key: string; cert: string } {
  const pem = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', '-', '-out', '-', '-addext', 'subjectAltName=DNS:localhost'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return { key: /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(pem)![0], cert: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(pem)![0] };
}

describe('the stand-in AWS provider', () => {
  it('refuses to run outside Terraform (no magic cookie)', () => {
    const r = spawnSyncNode([], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Terraform starts it');
  });

  it('prints the go-plugin handshake with its certificate, accepts only the client certificate it was given, and serves the schema', async () => {
    const client = selfSigned();
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...COOKIE, PLUGIN_CLIENT_CERT: client.cert }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d) => resolve(String(d).trim()));
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const [core, proto, network, address, kind, der] = line.split('|');
      expect([core, proto, network, kind]).toEqual(['1', '6', 'tcp', 'grpc']);
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      const serverCert = new X509Certificate(Buffer.from(der, 'base64'));
      expect(serverCert.subjectAltName).toContain('DNS:localhost');
      const serverPem = serverCert.toString();

      const def = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(pkgRoot, 'provider/tfplugin6.proto'), { keepCase: true, longs: Number, enums: String, defaults: true }));
      const Provider = (def.tfplugin6 as grpc.GrpcObject).Provider as grpc.ServiceClientConstructor;
      const call = (creds: grpc.ChannelCredentials) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const c = new Provider(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
          c.GetProviderSchema({}, { deadline: Date.now() + 20_000 }, (err: Error | null, res: Record<string, unknown>) => {
            c.close();
            if (err) reject(err);
            else resolve(res);
          });
        });

      const res = await call(grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(client.key), Buffer.from(client.cert)));
      const resources = res.resource_schemas as Record<string, { block: { attributes: { name: string; type: Buffer }[] } }>;
      expect(Object.keys(resources)).toContain('aws_ecs_service');
      expect(Object.keys(res.data_source_schemas as object)).toContain('aws_iam_policy_document');
      const name = resources.aws_ecs_service.block.attributes.find((a) => a.name === 'name')!;
      expect(JSON.parse(name.type.toString())).toBe('string');

      // Another client certificate is not the one Terraform passed: the TLS handshake fails.
      const stranger = selfSigned();
      await expect(call(grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(stranger.key), Buffer.from(stranger.cert)))).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('exits once the terraform that started it is gone (no Shutdown call)', async () => {
    // The shell plays a terraform that is killed: it starts the provider, lives 2 s, and exits without Shutdown.
    const r = spawnSync('sh', ['-c', `'${process.execPath}' '${MAIN}' >/dev/null 2>&1 & echo $!; sleep 2`], { env: { ...process.env, ...COOKIE }, encoding: 'utf8' });
    const pid = Number(r.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 20_000;
    while (alive() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    const stillAlive = alive();
    if (stillAlive) process.kill(pid, 'SIGKILL');
    expect(stillAlive, 'the orphaned provider must exit').toBe(false);
  }, 30_000);
});

function spawnSyncNode(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
}
