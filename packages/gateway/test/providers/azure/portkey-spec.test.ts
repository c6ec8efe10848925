import { describe, expect, it } from 'vitest';
import { entraIdentity } from '../../../src/providers/azure-openai/identity.js';
import { toAzureAIHeaders } from '../../../src/providers/azure-openai/foundry-headers.js';
import { loadOpenApiDefs } from '../mistral-ai/spec.js';
import { requireSpec } from '../../helpers/specs.js';

type Schema = { properties?: Record<string, { enum?: string[] }>; required?: string[] };

/**
 * Spec oracle: Portkey's OpenAPI document describes the Azure integrations' fields
 * (AzureOpenAIConfiguration, AzureAIConfiguration). Every auth mode it lists is one the gateway
 * serves, and its identity fields reach the identity they name.
 */
describe("Azure settings against Portkey's AzureOpenAIConfiguration and AzureAIConfiguration", () => {
  const defs = () => loadOpenApiDefs(requireSpec('portkey/openapi.yaml'), 'portkey') as Record<string, Schema>;
  const ids = { azure_entra_tenant_id: '72f988bf-86f1-41af-91ab-2d7cd011db47', azure_entra_client_id: 'c0ffee00-1111-2222-3333-444455556666', azure_entra_client_secret: 's' };

  it('every azure_auth_mode Portkey lists is served, with the identity it names', () => {
    for (const name of ['AzureOpenAIConfiguration', 'AzureAIConfiguration']) {
      const schema = defs()[name]!;
      const modes = schema.properties!.azure_auth_mode!.enum!;
      expect(modes).toEqual(expect.arrayContaining(['default', 'entra', 'managed']));
      for (const mode of modes) {
        const id = entraIdentity('azure-openai', { provider: 'azure-openai', settings: { azure_auth_mode: mode, ...ids, azure_managed_client_id: '5a5a5a5a-2222-4222-8222-000000000001' } });
        expect(id?.kind ?? 'default').toBe({ default: 'default', entra: 'client-secret', managed: 'managed' }[mode]);
      }
      for (const field of ['azure_entra_tenant_id', 'azure_entra_client_id', 'azure_entra_client_secret', 'azure_managed_client_id']) expect(schema.properties).toHaveProperty(field);
    }
    const managed = entraIdentity('azure-ai', { provider: 'azure-ai', settings: { azure_auth_mode: 'managed', azure_managed_client_id: '5a5a5a5a-2222-4222-8222-000000000001' } });
    expect(managed).toMatchObject({ kind: 'managed', clientId: '5a5a5a5a-2222-4222-8222-000000000001' });
  });

  it("azure-ai's foundry URL is required by Portkey, and its deployment name becomes azureml-model-deployment", () => {
    const schema = defs().AzureAIConfiguration!;
    expect(schema.required).toEqual(expect.arrayContaining(['azure_foundry_url']));
    expect(schema.properties).toHaveProperty('azure_deployment_name');
    expect(toAzureAIHeaders({ provider: 'azure-ai', settings: { azure_deployment_name: 'dep-1' } })).toEqual({ 'extra-parameters': 'drop', 'azureml-model-deployment': 'dep-1' });
  });
});
