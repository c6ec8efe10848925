#!/usr/bin/env node
// A schema-only stand-in for the hashicorp/aws provider: it speaks Terraform's plugin protocol 6 over gRPC
// and serves the AWS provider's schema, so that `terraform validate` and `terraform test` with
// mock_provider "aws" run with no download and no AWS account. Every Validate* call is answered OK (the
// types and required arguments are checked by Terraform itself from the schema); calls that would reach
// AWS (plan, apply, read) return an error saying so. Installed through a dev_overrides CLI config.
import { execFileSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { providerSchemaResponse } from './schema.mjs';

// go-plugin's handshake: Terraform sets this cookie; anything else started us by mistake.
const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const CORE_PROTOCOL_VERSION = 1;
const APP_PROTOCOL_VERSION = 6;

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (msg) => process.stderr.write(`[aws-stand-in] ${msg}\n`);

// --serve: one long-lived server that many terraform runs attach to through TF_REATTACH_PROVIDERS (as
// provider debug mode does), instead of one process per run: plaintext on 127.0.0.1, Shutdown ignored, every
// call logged to stderr so a caller can see it was used. Stopped with SIGTERM.
const serveMode = process.argv.includes('--serve');

if (!serveMode && process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
  process.stderr.write('This is a Terraform provider plugin (a schema-only stand-in for hashicorp/aws); Terraform starts it.\n');
  process.exit(1);
}
const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION)).split(',');
if (!serveMode && !offered.includes(String(APP_PROTOCOL_VERSION))) {
  process.stderr.write(`Terraform offered plugin protocols ${offered.join(',')}; this provider speaks only ${APP_PROTOCOL_VERSION}.\n`);
  process.exit(1);
}

const load = (file) =>
  grpc.loadPackageDefinition(protoLoader.loadSync(path.join(here, file), { keepCase: true, longs: Number, enums: String, defaults: true }));
const tfplugin6 = load('tfplugin6.proto').tfplugin6;
const goPlugin = load('go-plugin.proto').plugin;
const health = load('health.proto').grpc.health.v1;

const schema = providerSchemaResponse();
const ok = (_call, cb) => cb(null, { diagnostics: [] });
const noAws = (what) => (call, cb) =>
  cb(null, {
    diagnostics: [
      {
        severity: 'ERROR',
        summary: `The schema-only AWS stand-in cannot ${what} ${call.request.type_name ?? ''}`.trim(),
        detail: 'This provider serves only the AWS provider schema (for validate and terraform test with mock_provider "aws"). Use the real hashicorp/aws provider to plan or apply against AWS.',
      },
    ],
  });

/** In serve mode each call is logged (name only, never the config it carries). */
const logged = (name, handler) => (call, cb) => {
  if (serveMode) log(`call ${name}`);
  handler(call, cb);
};
const withLogging = (handlers) => Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, logged(name, h)]));

const server = new grpc.Server();
server.addService(tfplugin6.Provider.service, withLogging({
  GetMetadata: (_call, cb) =>
    cb(null, {
      server_capabilities: schema.server_capabilities,
      diagnostics: [],
      resources: Object.keys(schema.resource_schemas).map((type_name) => ({ type_name })),
      data_sources: Object.keys(schema.data_source_schemas).map((type_name) => ({ type_name })),
    }),
  GetProviderSchema: (_call, cb) => cb(null, schema),
  ValidateProviderConfig: ok,
  ValidateResourceConfig: ok,
  ValidateDataResourceConfig: ok,
  ConfigureProvider: ok,
  UpgradeResourceState: noAws('upgrade the state of'),
  ReadResource: noAws('read'),
  PlanResourceChange: noAws('plan'),
  ApplyResourceChange: noAws('apply'),
  ImportResourceState: noAws('import'),
  ReadDataSource: noAws('read the data source'),
  StopProvider: (_call, cb) => cb(null, { Error: '' }),
}));
server.addService(goPlugin.GRPCController.service, {
  Shutdown: (_call, cb) => {
    cb(null, {});
    // A shared server outlives each terraform run that attached to it.
    if (!serveMode) setImmediate(() => process.exit(0));
  },
});
server.addService(health.Health.service, { Check: (_call, cb) => cb(null, { status: 'SERVING' }) });

/**
 * go-plugin's AutoMTLS: Terraform passes its client certificate in PLUGIN_CLIENT_CERT and trusts the server
 * certificate we print (base64 DER, unpadded) in the handshake line. The pair is made by openssl, which
 * CI installs; it lives only in memory.
 */
function tlsCredentials() {
  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  if (!clientCert || serveMode) return { creds: grpc.ServerCredentials.createInsecure(), der: '' };
  const pem = execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/O=Portico/CN=localhost', '-keyout', '-', '-out', '-',
      '-addext', 'subjectAltName=DNS:localhost',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
      '-addext', 'extendedKeyUsage=serverAuth,clientAuth',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(pem)?.[0];
  if (!key || !cert) throw new Error('openssl did not print a key and a certificate');
  createPublicKey(key); // fails early on a malformed key
  const der = new X509Certificate(cert).raw.toString('base64').replace(/=+$/, '');
  const creds = grpc.ServerCredentials.createSsl(Buffer.from(clientCert), [{ private_key: Buffer.from(key), cert_chain: Buffer.from(cert) }], true);
  return { creds, der };
}

// Terraform forwards Ctrl-C to its plugins and then shuts them down itself.
if (!serveMode) process.on('SIGINT', () => {});
// A terraform (or, in serve mode, a test run) that was killed never calls Shutdown: once it is gone (we are
// re-parented), so are we.
{
  const parent = process.ppid;
  setInterval(() => (process.ppid !== parent || parent === 1) && process.exit(0), 1000).unref();
}

const { creds, der } = tlsCredentials();
server.bindAsync('127.0.0.1:0', creds, (err, port) => {
  if (err) {
    log(`cannot listen: ${err.message}`);
    process.exit(1);
  }
  const line = [CORE_PROTOCOL_VERSION, APP_PROTOCOL_VERSION, 'tcp', `127.0.0.1:${port}`, 'grpc'];
  if (der) line.push(der);
  process.stdout.write(`${line.join('|')}\n`);
});
