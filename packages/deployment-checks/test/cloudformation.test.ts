import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type Tags } from 'yaml';
import { repoRoot } from './hcl.js';

interface LintResult {
  templateValid: boolean;
  errors: { crit: { message: string; resource: string }[]; warn: unknown[]; info: unknown[] };
}
const cfnLint = createRequire(import.meta.url)('cfn-lint') as { validateFile(file: string): LintResult };

const file = path.join(repoRoot, 'cloudformation/secrets.yaml');
// CloudFormation short-form tags become { Ref: x } / { 'Fn::GetAtt': x } / { 'Fn::Sub': x }.
const tags: Tags = ['Ref', 'Sub', 'GetAtt'].map((t) => ({
  tag: `!${t}`,
  resolve: (v: string) => ({ [t === 'Ref' ? 'Ref' : `Fn::${t}`]: v }),
}));
type Template = {
  Parameters: Record<string, { Type: string; NoEcho?: boolean; AllowedPattern?: string }>;
  Metadata: { 'AWS::CloudFormation::Interface': { ParameterLabels: Record<string, { default: string }> } };
  Resources: Record<string, { Type: string }>;
  Outputs: Record<string, { Value: Record<string, string> }>;
};
const template = () => parse(readFileSync(file, 'utf8'), { customTags: tags }) as Template;

describe('cloudformation/secrets.yaml', () => {
  it('passes cfn-lint with no findings', () => {
    const r = cfnLint.validateFile(file);
    expect(r.errors).toEqual({ crit: [], warn: [], info: [] });
    expect(r.templateValid).toBe(true);
  });

  it('cfn-lint rejects an output attribute the resource lacks (the check can fail)', () => {
    const bad = path.join(mkdtempSync(path.join(tmpdir(), 'cfn-')), 'bad.yaml');
    writeFileSync(bad, readFileSync(file, 'utf8').replace('Value: !Ref ClientOrgSecret', 'Value: !GetAtt ClientOrgSecret.Arn'));
    const r = cfnLint.validateFile(bad);
    expect(r.templateValid).toBe(false);
    expect(r.errors.crit.map((e) => e.message)).toContain('No such attribute Arn on AWS::SecretsManager::Secret');
  });

  it('has the parameters of the guide, with the passwords and the client auth key NoEcho', () => {
    const t = template();
    expect(Object.keys(t.Parameters).sort()).toEqual(['ClientAuth', 'DockerPassword', 'DockerUsername', 'Environment', 'Organisations', 'ProjectName']);
    for (const p of ['DockerPassword', 'ClientAuth']) expect(t.Parameters[p].NoEcho, p).toBe(true);
    for (const p of ['ProjectName', 'Environment', 'DockerUsername', 'Organisations']) expect(t.Parameters[p].NoEcho, p).toBeUndefined();
  });

  it('creates two secrets and outputs their ARNs by Ref', () => {
    const t = template();
    expect(Object.values(t.Resources).map((r) => r.Type)).toEqual(['AWS::SecretsManager::Secret', 'AWS::SecretsManager::Secret']);
    expect(Object.keys(t.Outputs).sort()).toEqual(['ClientOrgSecretNameArn', 'DockerCredentialsSecretArn']);
    for (const o of Object.values(t.Outputs)) {
      expect(Object.keys(o.Value)).toEqual(['Ref']);
      expect(t.Resources[o.Value.Ref].Type).toBe('AWS::SecretsManager::Secret');
    }
  });

  it('stores the JSON keys secrets.json points at', () => {
    const src = readFileSync(file, 'utf8');
    for (const key of ['PORTKEY_CLIENT_AUTH', 'ORGANISATIONS_TO_SYNC', 'username', 'password']) expect(src).toContain(`"${key}":"\${`);
    const secrets = readFileSync(path.join(repoRoot, 'terraform/environments/dev/secrets.json'), 'utf8');
    expect(secrets).toMatch(/:PORTKEY_CLIENT_AUTH::"/);
    expect(secrets).toMatch(/:ORGANISATIONS_TO_SYNC::"/);
  });

  it('refuses a double quote or a backslash in the values that !Sub puts inside the JSON secrets', () => {
    const t = template();
    const subbed = ['DockerUsername', 'DockerPassword', 'ClientAuth', 'Organisations'];
    for (const p of subbed) {
      const pattern = t.Parameters[p].AllowedPattern;
      expect(pattern, `${p} needs an AllowedPattern`).toBeDefined();
      const re = new RegExp(pattern!);
      for (const bad of ['pa"ss', 'back\\slash', '"', '\\']) expect(re.test(bad), `${p} must refuse ${bad}`).toBe(false);
      for (const good of ['portkey-user', 'p@ss w0rd!{}$:/', 'org-1,org-2']) {
        expect(re.test(good), `${p} must accept ${good}`).toBe(true);
        // What !Sub builds from an accepted value is valid JSON that holds the value as typed.
        expect(JSON.parse(`{"k":"${good}"}`).k).toBe(good);
      }
    }
  });

  it('labels the parameters with the guide\'s wording', () => {
    const labels = template().Metadata['AWS::CloudFormation::Interface'].ParameterLabels;
    expect(Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v.default]))).toEqual({
      ProjectName: 'Project Name',
      Environment: 'Environment',
      DockerUsername: 'Docker Username',
      DockerPassword: 'Docker Password',
      ClientAuth: 'Portkey Client Auth',
      Organisations: 'Organizations',
    });
  });
});
