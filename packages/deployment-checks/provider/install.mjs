// Installs the stand-in AWS provider for terraform runs, all under one temp directory (never $HOME):
// a `terraform-provider-aws` launcher, and a CLI config (TF_CLI_CONFIG_FILE) whose dev_overrides point
// hashicorp/aws at it. `terraform init` does not honour dev_overrides and would ask the registry, so the
// same launcher also sits in a filesystem mirror at the provider version the schema was generated from.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_FILE } from './schema.mjs';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.mjs');

/** Terraform's platform name for this machine, e.g. linux_amd64. */
export function terraformPlatform() {
  const arch = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' }[process.arch] ?? process.arch;
  return `${process.platform === 'win32' ? 'windows' : process.platform}_${arch}`;
}

function writeLauncher(file) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\nexec '${process.execPath}' '${MAIN}' "$@"\n`);
  chmodSync(file, 0o755);
}

/** Writes the launcher, mirror and CLI config under dir; returns the environment terraform needs. */
export function installStandIn(dir) {
  const version = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))._meta.provider_version;
  const overrideDir = path.join(dir, 'provider-bin');
  writeLauncher(path.join(overrideDir, 'terraform-provider-aws'));
  const mirror = path.join(dir, 'mirror');
  writeLauncher(path.join(mirror, 'registry.terraform.io/hashicorp/aws', version, terraformPlatform(), `terraform-provider-aws_v${version}`));
  const config = path.join(dir, 'terraform.rc');
  writeFileSync(
    config,
    [
      'provider_installation {',
      '  dev_overrides {',
      `    "hashicorp/aws" = ${JSON.stringify(overrideDir)}`,
      '  }',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirror)}`,
      '    include = ["registry.terraform.io/hashicorp/aws"]',
      '  }',
      '  direct {',
      '    exclude = ["registry.terraform.io/hashicorp/aws"]',
      '  }',
      '}',
      'disable_checkpoint = true',
      '',
    ].join('\n'),
  );
  return {
    TF_CLI_CONFIG_FILE: config,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
  };
}

/**
 * Starts one shared stand-in server (main.mjs --serve) and returns the TF_REATTACH_PROVIDERS value that makes
 * terraform use it instead of starting a provider process per run, the calls it has logged, and stop().
 */
export async function startSharedStandIn() {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [MAIN, '--serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const calls = [];
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const m of String(d).matchAll(/call (\w+)/g)) calls.push(m[1]);
  });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stand-in did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout.once('data', (d) => {
      clearTimeout(timer);
      resolve(String(d).trim());
    });
    child.once('exit', (code) => reject(new Error(`the stand-in exited with ${code}: ${stderr}`)));
  });
  const [, protocol, network, address] = line.split('|');
  const reattach = JSON.stringify({
    'registry.terraform.io/hashicorp/aws': { Protocol: 'grpc', ProtocolVersion: Number(protocol), Pid: child.pid, Test: true, Addr: { Network: network, String: address } },
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { reattach, calls, stop };
}
