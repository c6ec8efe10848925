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
