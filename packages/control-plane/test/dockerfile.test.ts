import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions } from '@portico/test-support/dockerfile';

/** docker/control-plane.Dockerfile follows the image rules the gateway's image follows. */
const root = join(import.meta.dirname, '../../..');
const src = readFileSync(join(root, 'docker/control-plane.Dockerfile'), 'utf8');
const ins = dockerfileInstructions(src);
const froms = ins.filter((i) => i.op === 'FROM');
const final = ins.slice(ins.lastIndexOf(froms[froms.length - 1]));

describe('docker/control-plane.Dockerfile', () => {
  it('is multi-stage, builds on the build platform, and installs production dependencies only', () => {
    expect(froms.length).toBeGreaterThanOrEqual(3);
    expect(froms[0].args).toContain('--platform=$BUILDPLATFORM');
    expect(ins.some((i) => i.op === 'RUN' && i.args.includes('npm ci') && i.args.includes('--omit=dev'))).toBe(true);
    expect(ins.some((i) => i.op === 'RUN' && i.args.includes('npm run build -w @portico/contract -w @portico/control-plane'))).toBe(true);
    expect(final.some((i) => i.op === 'COPY' && /^\S*\s*\.\s+\./.test(i.args))).toBe(false);
  });

  it('runs as a non-root user, listens on 8788 on every interface, and checks its health with node', () => {
    const users = final.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    expect(final.some((i) => i.op === 'EXPOSE' && i.args === '8788')).toBe(true);
    expect(final.some((i) => i.op === 'ENV' && i.args.includes('HOST=0.0.0.0'))).toBe(true);
    const hc = final.find((i) => i.op === 'HEALTHCHECK')!;
    expect(hc.args).toContain('/v1/health');
    expect(hc.args).toMatch(/CMD \["node"/);
    expect(hc.args).not.toMatch(/curl|wget/);
  });

  it('starts the package\'s entry point', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8')) as { main: string };
    expect(src).toContain(`CMD ["node", "packages/control-plane/${pkg.main}"]`);
    expect(final.find((i) => i.op === 'STOPSIGNAL')?.args).toBe('SIGTERM');
  });
});
