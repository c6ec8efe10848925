import { beforeAll, describe, expect, it } from 'vitest';
import type { Portkey } from 'portkey-ai';
import { backends, call, skipReason, type TestControlPlane } from './helpers/control-plane.js';
import { specMissing } from './helpers/portkey-spec.js';
import { useSdkHarness } from './helpers/sdk-harness.js';
import { acceptInvite } from '../src/store/users.js';

/**
 * The official portkey-ai SDK's admin clients against a running control plane, through a recorder:
 * every body the SDK sent and every answer Portico gave is checked against Portkey's OpenAPI document.
 */
for (const backend of backends) {
  const skip = skipReason(backend) ?? specMissing;
  describe.skipIf(Boolean(skip))(`portkey-ai SDK admin clients on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const h = useSdkHarness(backend);
    let t: TestControlPlane;
    let portkey: Portkey;
    beforeAll(() => {
      t = h.t;
      portkey = h.portkey;
    });

    it('workspaces: create, list, retrieve, update, delete', async () => {
      const ws: any = await portkey.admin.workspaces.create({ name: 'Team A', description: 'first team' });
      expect(ws.id).toBeTruthy();
      expect(ws.name).toBe('Team A');
      const list: any = await portkey.admin.workspaces.list({});
      expect(list.data.map((w: any) => w.id)).toContain(ws.id);
      const got: any = await portkey.admin.workspaces.retrieve({ workspaceId: ws.id });
      expect(got.slug).toBe(ws.slug);
      await portkey.admin.workspaces.update({ workspaceId: ws.id, name: 'Team A2' });
      expect(((await portkey.admin.workspaces.retrieve({ workspaceId: ws.id })) as any).name).toBe('Team A2');
      await portkey.admin.workspaces.delete({ workspaceId: ws.id });
      await expect(portkey.admin.workspaces.retrieve({ workspaceId: ws.id })).rejects.toMatchObject({ status: 404 });
    });

    it('api keys: create shows the secret once, list/retrieve mask it, update and delete', async () => {
      const created: any = await portkey.apiKeys.create({
        type: 'workspace', 'sub-type': 'service', name: 'svc', scopes: ['completions.write', 'logs.view'],
        rate_limits: [{ type: 'requests', unit: 'rpm', value: 100 }], usage_limits: { credit_limit: 10, type: 'cost', periodic_reset: 'monthly' },
      } as any);
      expect(created.key).toMatch(/^pt-/);
      const got: any = await portkey.apiKeys.retrieve({ id: created.id });
      expect(got.key).not.toBe(created.key);
      expect(got.key).toContain('****');
      expect(got.type).toBe('workspace-service');
      const list: any = await portkey.apiKeys.list({});
      expect(list.data.some((k: any) => k.id === created.id)).toBe(true);
      expect(JSON.stringify(list)).not.toContain(created.key);
      await portkey.apiKeys.update({ id: created.id, name: 'svc2', scopes: ['completions.write'] } as any);
      expect(((await portkey.apiKeys.retrieve({ id: created.id })) as any).name).toBe('svc2');
      await portkey.apiKeys.delete({ id: created.id });
      await expect(portkey.apiKeys.retrieve({ id: created.id })).rejects.toMatchObject({ status: 404 });
    });

    it('integrations and providers: the key is stored, never returned', async () => {
      const integ: any = await portkey.integrations.create({ name: 'OpenAI prod', ai_provider_id: 'openai', key: 'sk-live-secret-123456', slug: 'openai-prod' } as any);
      expect(integ.slug).toBe('openai-prod');
      const got: any = await portkey.integrations.retrieve({ slug: 'openai-prod' });
      expect(JSON.stringify(got)).not.toContain('sk-live-secret-123456');
      expect(got.masked_key).toContain('*');
      const prov: any = await portkey.providers.create({ name: 'OpenAI team', integration_id: 'openai-prod', slug: 'openai-team' } as any);
      expect(prov.slug).toBe('openai-team');
      const provs: any = await portkey.providers.list();
      expect(provs.data.map((p: any) => p.slug)).toEqual(expect.arrayContaining(['openai-prod', 'openai-team']));
      await portkey.providers.update({ slug: 'openai-team', note: 'for the team' } as any);
      expect(((await portkey.providers.retrieve({ slug: 'openai-team' })) as any).note).toBe('for the team');
      await portkey.integrations.update({ slug: 'openai-prod', description: 'rotated', key: 'sk-live-other-987654' } as any);
      const list: any = await portkey.integrations.list({});
      expect(JSON.stringify(list)).not.toContain('sk-live');
      await portkey.providers.delete({ slug: 'openai-team' });
      await portkey.integrations.delete({ slug: 'openai-prod' });
      await expect(portkey.providers.retrieve({ slug: 'openai-prod' })).rejects.toMatchObject({ status: 404 });
    });

    it('virtual keys: create, list, retrieve, update, delete, never returning the key', async () => {
      const vk: any = await portkey.virtualKeys.create({ name: 'anthropic main', provider: 'anthropic', key: 'sk-ant-secret-abcdef' });
      expect(vk.success).toBe(true);
      const slug = vk.data.slug;
      const got: any = await portkey.virtualKeys.retrieve({ slug });
      expect(got.slug).toBe(slug);
      expect(JSON.stringify(got)).not.toContain('sk-ant-secret');
      await portkey.virtualKeys.update({ slug, name: 'anthropic renamed', key: 'sk-ant-secret-new' });
      const list: any = await portkey.virtualKeys.list({});
      expect(list.data.find((v: any) => v.slug === slug).name).toBe('anthropic renamed');
      expect(JSON.stringify(list)).not.toContain('sk-ant-secret');
      await portkey.virtualKeys.delete({ slug });
      await expect(portkey.virtualKeys.retrieve({ slug })).rejects.toMatchObject({ status: 404 });
    });

    it('configs: create, retrieve by slug and id, update makes a version, list, delete', async () => {
      const vk: any = await portkey.virtualKeys.create({ name: 'oai', provider: 'openai', key: 'sk-x' });
      const c: any = await portkey.configs.create({ name: 'retry', config: { retry: { attempts: 3 }, virtual_key: vk.data.slug } });
      expect(c.success).toBe(true);
      const bySlug: any = await portkey.configs.retrieve({ slug: c.data.slug });
      expect(bySlug.data.config.retry.attempts).toBe(3);
      const byId: any = await portkey.configs.retrieve({ slug: c.data.id });
      expect(byId.data.slug).toBe(c.data.slug);
      const up: any = await portkey.configs.update({ slug: c.data.slug, config: { retry: { attempts: 5 }, virtual_key: vk.data.slug } });
      expect(up.data.version_id).toBeTruthy();
      expect(((await portkey.configs.retrieve({ slug: c.data.slug })) as any).data.config.retry.attempts).toBe(5);
      const versions = await call(h.url, 'GET', `/v1/configs/${c.data.slug}/versions`, t.adminKey);
      expect(versions.body.total).toBe(2);
      const list: any = await portkey.configs.list({});
      expect(list.data.map((x: any) => x.slug)).toContain(c.data.slug);
      await portkey.configs.delete({ slug: c.data.slug });
      await expect(portkey.configs.retrieve({ slug: c.data.slug })).rejects.toMatchObject({ status: 404 });
    });

    it('users, invites and workspace members', async () => {
      const ws: any = await portkey.admin.workspaces.create({ name: 'Members' });
      const invite: any = await portkey.admin.users.invites.create({ email: 'grace@example.com', role: 'member', workspaces: [{ id: ws.id, role: 'admin' }] } as any);
      expect(invite.invite_link).toContain(invite.id);
      const invites: any = await portkey.admin.users.invites.list({});
      expect(invites.data.map((i: any) => i.email)).toContain('grace@example.com');
      expect(((await portkey.admin.users.invites.retrieve({ inviteId: invite.id })) as any).status).toBe('pending');
      await portkey.admin.users.invites.resend({ inviteId: invite.id });
      const userId = (await t.cp.services.db.transaction((tx) => acceptInvite(tx, t.organisationId, 'grace@example.com')))!;
      const users: any = await portkey.admin.users.list({});
      expect(users.data.map((u: any) => u.id)).toContain(userId);
      expect(((await portkey.admin.users.retrieve({ userId })) as any).workspace_ids).toEqual([ws.id]);
      const members: any = await portkey.admin.workspaces.users.list({ workspaceId: ws.id });
      expect(members.data.map((m: any) => [m.id, m.role])).toEqual([[userId, 'admin']]);
      await portkey.admin.workspaces.users.update({ workspaceId: ws.id, userId, role: 'member' } as any);
      expect(((await portkey.admin.workspaces.users.retrieve({ workspaceId: ws.id, userId })) as any).role).toBe('member');
      await portkey.admin.workspaces.users.delete({ workspaceId: ws.id, userId });
      await portkey.admin.users.update({ userId, role: 'admin' } as any);
      await portkey.admin.users.delete({ userId });
      const other: any = await portkey.admin.users.invites.create({ email: 'x@example.com', role: 'member', workspaces: [] } as any);
      await portkey.admin.users.invites.delete({ inviteId: other.id });
    });

    it('checked the exchanges against the document', () => {
      expect(h.checked()).toBeGreaterThan(30);
    });
  });
}
