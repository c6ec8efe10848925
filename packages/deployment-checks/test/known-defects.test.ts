// The reference implementation's known defects, each checked so it cannot come back.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expressions, files, loadModule, type Obj, repoRoot, rootDir, unwrap } from './hcl.js';

const root = () => loadModule(rootDir);
const expr = (v: unknown) => unwrap(String(v ?? ''));

describe('known defects of the reference implementation do not occur', () => {
  it('every NLB resource honours create_nlb', async () => {
    const m = await root();
    const nlbTypes = ['aws_lb', 'aws_lb_listener', 'aws_lb_target_group'];
    const out: string[] = [];
    let seen = 0;
    for (const [type, byName] of Object.entries(m.resources)) {
      for (const [name, body] of Object.entries(byName)) {
        const isNlb = nlbTypes.includes(type) || name.includes('nlb') || JSON.stringify(body).includes('aws_security_group.nlb');
        if (!isNlb) continue;
        seen++;
        const gate = expr(body.count ?? body.for_each);
        if (!/^var\.create_nlb( &&|\s*\?)/.test(gate)) out.push(`${type}.${name}: count/for_each must start with var.create_nlb (got "${gate}")`);
      }
    }
    expect(out).toEqual([]);
    expect(seen).toBeGreaterThanOrEqual(8);
    expect(expr(m.modules.gateway.load_balancer)).toMatch(/^var\.create_nlb \?/);
    for (const [name, o] of Object.entries(m.outputs)) {
      const v = expr(o.value);
      if (v.includes('aws_lb')) expect(v, `output ${name} must use try() around NLB attributes`).toMatch(/^try\(|^var\.create_nlb \?/);
    }
  });

  it('a TLS listener always has its certificate, under the same condition as its protocol', async () => {
    const m = await root();
    const locals = m.locals as Record<string, string>;
    const protocol = expr(locals.nlb_listener_protocol);
    const [, cond] = /^(.+?) \? "TLS" : "TCP"$/.exec(protocol) ?? [];
    expect(cond, `nlb_listener_protocol should be <condition> ? "TLS" : "TCP", got ${protocol}`).toBeDefined();
    expect(expr(locals[cond.replace('local.', '')])).toBe('var.tls_certificate_arn != ""');
    for (const [name, l] of Object.entries(m.resources.aws_lb_listener)) {
      const p = expr(l.protocol);
      if (p === 'TCP') continue;
      expect(p, `${name}.protocol`).toBe('local.nlb_listener_protocol');
      expect(expr(l.certificate_arn), `${name}.certificate_arn`).toBe(`${cond} ? var.tls_certificate_arn : null`);
    }
    expect(expr(locals.nlb_listener_port)).toBe(`${cond} ? 443 : 80`);
  });

  it('num_az and single_nat_gateway only act when create_new_vpc = true', async () => {
    const m = await root();
    const uses = (x: unknown) => /var\.(num_az|single_nat_gateway)\b|local\.(azs|nat_count)\b/.test(JSON.stringify(x));
    const out: string[] = [];
    for (const [k, v] of Object.entries(m.locals)) {
      if (!/var\.(num_az|single_nat_gateway)\b/.test(JSON.stringify(v))) continue;
      if (!expr(v).startsWith('var.create_new_vpc ?')) out.push(`local.${k} = ${expr(v)}: must be gated by "var.create_new_vpc ?"`);
    }
    for (const [type, byName] of Object.entries(m.resources)) {
      for (const [name, body] of Object.entries(byName)) {
        if (!uses(body)) continue;
        const gate = expr(body.count ?? body.for_each);
        const gated = gate.startsWith('var.create_new_vpc ?') || (gate === 'local.nat_count' && expr(m.locals.nat_count).startsWith('var.create_new_vpc ?'));
        if (!gated) out.push(`${type}.${name}: uses num_az/single_nat_gateway but count is "${gate}"`);
      }
    }
    expect(out).toEqual([]);
    expect(JSON.stringify(m.resources)).not.toMatch(/!var\.create_new_vpc/);
    expect(expr(m.locals.nat_count)).toBe('var.create_new_vpc ? (var.single_nat_gateway ? 1 : var.num_az) : 0');
  });

  it('the AMI matches the architecture of instance_type (arm64 for Graviton, x86_64 otherwise)', async () => {
    const m = await root();
    const [, pattern] = /regex\("([^"]+)", local\.instance_family\)/.exec(expr(m.locals.instance_arch)) ?? [];
    expect(pattern).toBeDefined();
    const re = new RegExp(pattern.replace(/\\\\/g, '\\'));
    const arch = (t: string) => (re.test(t.split('.')[0]) ? 'arm64' : 'x86_64');
    for (const t of ['t4g.medium', 'm7g.large', 'c7g.xlarge', 'c7gn.large', 'r8g.large', 'm6gd.large', 'x2gd.large', 'im4gn.large', 'g5g.xlarge', 'a1.large'])
      expect(arch(t), t).toBe('arm64');
    for (const t of ['t3.medium', 'm7i.large', 'm7i-flex.large', 'c7a.large', 'g5.xlarge', 'g4dn.xlarge', 'm5.large', 'r7iz.large', 'inf2.xlarge'])
      expect(arch(t), t).toBe('x86_64');
    expect(expr(m.locals.ecs_ami_parameter)).toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id');
    expect(expr(m.locals.ecs_ami_parameter)).toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
  });

  it('IAM: secrets and Docker credentials for the execution role; buckets, KMS and (gateway only) Bedrock for the task roles', async () => {
    const m = await root();
    const exec = (m.data.aws_iam_policy_document.execution_secrets.statement as Obj[])[0];
    expect(exec.actions).toEqual(['secretsmanager:GetSecretValue']);
    expect(expr(exec.resources)).toBe('local.execution_secret_arns');
    expect(expr(m.locals.execution_secret_arns)).toBe('distinct(concat(compact([var.docker_cred_secret_arn]), local.secret_arns, local.control_plane_secret_arns))');
    const statements = (name: string) => expr(m.locals[name]);
    expect(statements('gateway_statements')).toBe('concat(local.bucket_statements, local.kms_statements, local.bedrock_statements)');
    expect(statements('dataservice_statements')).toBe('concat(local.bucket_statements, local.kms_statements)');
    expect(statements('bedrock_statements')).toMatch(/^var\.enable_bedrock_access \?/);
    expect(statements('kms_statements')).toMatch(/^var\.object_storage\.kms_key_arn == ""/);
    expect(statements('kms_statements')).toContain('"kms:Decrypt", "kms:GenerateDataKey"');
    expect(statements('bucket_statements')).not.toMatch(/arn:[^"]*:s3:::\*/);
    expect(expr(m.resources.aws_iam_role_policy.dataservice_task.policy)).toBe('data.aws_iam_policy_document.dataservice_access.json');
    expect(expr(m.resources.aws_iam_role_policy.gateway_task.policy)).toBe('data.aws_iam_policy_document.gateway_access.json');
  });

  it('registry credentials only when docker_cred_secret_arn is set, and never for an image in ECR', async () => {
    const m = await root();
    const repoCreds = expressions(m.modules as unknown as Obj).filter((e) => e.at.endsWith('repository_credentials_arn')).map((e) => expr(e.expr));
    expect(repoCreds.sort()).toEqual(['control_plane', 'data_service', 'gateway'].map((s) => `local.in_ecr.${s} ? null : local.repository_credentials_arn`));
    expect(expr(m.locals.repository_credentials_arn)).toBe('var.docker_cred_secret_arn != "" ? var.docker_cred_secret_arn : null');
  });

  it('tasks_security_group_id is an output, and the docs say how to open 6379 on an existing ElastiCache with it', async () => {
    const m = await root();
    expect(expr(m.outputs.tasks_security_group_id?.value)).toBe('aws_security_group.tasks.id');
    const docs = readFileSync(path.join(repoRoot, 'docs/deployment.md'), 'utf8');
    expect(docs).toMatch(/--port 6379 --source-group <tasks_security_group_id>/);
  });

  it('the instances join the cluster resource, not a name typed out again', async () => {
    const m = await root();
    const userData = expr(m.resources.aws_launch_template.ecs.user_data);
    expect(userData).toContain('ECS_CLUSTER=${aws_ecs_cluster.this[0].name}');
  });

  it('HTTP services turn off Service Connect\'s 15 s per-request timeout', async () => {
    const svc = (await loadModule(path.join(rootDir, 'modules/ecs-service'))).resources.aws_ecs_service.this;
    const service = ((svc.service_connect_configuration as Obj[])[0].service as Obj[])[0];
    const timeout = ((service.dynamic as Obj).timeout as Obj[])[0];
    expect(((timeout.content as Obj[])[0] as Obj).per_request_timeout_seconds).toBe(0);
    expect(expr(timeout.for_each)).toBe('var.app_protocol == null ? [] : [1]');
  });

  it('Terraform >= 1.10 is required wherever backend.config uses use_lockfile', async () => {
    const usesLockfile = files(path.join(rootDir, 'environments'), ['backend.config']).some((f) => /^\s*use_lockfile\s*=\s*true/m.test(readFileSync(f, 'utf8')));
    expect(usesLockfile).toBe(true);
    for (const dir of [rootDir, path.join(rootDir, 'modules/ecs-service')]) {
      const m = await loadModule(dir);
      const req = String(m.terraform.find((t) => t.required_version)?.required_version);
      const [major, minor] = (/>=\s*(\d+)\.(\d+)/.exec(req) ?? []).slice(1).map(Number);
      expect(major * 100 + minor, `${dir}: required_version ${req}`).toBeGreaterThanOrEqual(110);
    }
    const docs = readFileSync(path.join(repoRoot, 'docs/deployment.md'), 'utf8');
    expect(docs).not.toMatch(/Terraform (>= ?|v?)1\.9\b/);
  });

  it('.gitignore keeps terraform state, provider caches and saved plans out of git', () => {
    for (const f of ['terraform/.terraform/providers/x', 'terraform/terraform.tfstate', 'terraform/terraform.tfstate.backup', 'terraform/environments/dev/tfplan', 'terraform/prod.tfplan']) {
      const r = spawnSync('git', ['check-ignore', '-q', '--no-index', f], { cwd: repoRoot });
      expect(r.status, `${f} must be ignored`).toBe(0);
    }
    const r = spawnSync('git', ['check-ignore', '-q', '--no-index', 'terraform/main.tf'], { cwd: repoRoot });
    expect(r.status, 'terraform/main.tf must not be ignored').toBe(1);
  });

  it('Service Connect names are gateway:8787, data-service:8081 and redis:6379', async () => {
    const m = await root();
    const l = m.locals as Record<string, unknown>;
    expect([l.gateway_dns, l.gateway_port, l.dataservice_dns, l.dataservice_port, l.redis_dns, l.redis_port]).toEqual(['gateway', 8787, 'data-service', 8081, 'redis', 6379]);
    for (const [mod, dns, port] of [['gateway', 'gateway', 'gateway'], ['dataservice', 'dataservice', 'dataservice'], ['redis', 'redis', 'redis']]) {
      expect(expr(m.modules[mod].service_connect_dns_name)).toBe(`local.${dns}_dns`);
      expect(expr(m.modules[mod].container_port)).toBe(`local.${port}_port`);
    }
  });

  it('the NLB health check is HTTP on /v1/health; ingress is allowed_nlb_cidrs, else the VPC (internal) or anywhere (internet-facing)', async () => {
    const m = await root();
    const hc = (m.resources.aws_lb_target_group.gateway.health_check as Obj[])[0];
    expect([hc.protocol, hc.path]).toEqual(['HTTP', '/v1/health']);
    const ingress = Object.entries(m.resources.aws_vpc_security_group_ingress_rule).filter(([, r]) => expr(r.security_group_id).includes('aws_security_group.nlb'));
    expect(ingress.map(([n]) => n)).toEqual(['nlb']);
    expect(expr(ingress[0][1].for_each)).toContain('setproduct(local.nlb_ingress_cidrs, local.nlb_ports)');
    expect(expr(m.locals.nlb_ingress_cidrs).replace(/\s+/g, ' ')).toBe('(length(var.allowed_nlb_cidrs) > 0 ? var.allowed_nlb_cidrs : var.internal_nlb ? [local.vpc_cidr] : ["0.0.0.0/0"])');
    expect(String(m.variables.allowed_nlb_cidrs.description)).toContain('Empty: the VPC CIDR for an internal NLB, 0.0.0.0/0 for an internet-facing one');
  });
});
