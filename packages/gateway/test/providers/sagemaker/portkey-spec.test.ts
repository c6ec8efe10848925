import { describe, expect, it } from 'vitest';
import { SAGEMAKER_HEADERS, SAGEMAKER_MODEL_NAME_SETTING, toSageMakerHeaders } from '../../../src/providers/sagemaker/endpoint.js';
import { loadOpenApiDefs } from '../mistral-ai/spec.js';
import { requireSpec } from '../../helpers/specs.js';

type Schema = { properties?: Record<string, unknown>; allOf?: Schema[] };
const propertiesOf = (s: Schema): string[] => [...Object.keys(s.properties ?? {}), ...(s.allOf ?? []).flatMap(propertiesOf)];

/**
 * Spec oracle: Portkey's OpenAPI document (SageMakerConfiguration) lists the SageMaker settings a
 * Portkey integration carries. Every amzn_sagemaker_* one must be served (sent as SageMaker's header,
 * or the model name), and nothing is served that Portkey does not define.
 */
describe("sagemaker settings against Portkey's SageMakerConfiguration", () => {
  it('serves exactly the amzn_sagemaker_* settings Portkey defines, each as its X-Amzn-SageMaker-* header', () => {
    const defs = loadOpenApiDefs(requireSpec('portkey/openapi.yaml'), 'portkey') as Record<string, Schema>;
    const portkey = propertiesOf(defs.SageMakerConfiguration!).filter((p) => p.startsWith('amzn_sagemaker_')).sort();
    expect(portkey).toHaveLength(9);
    expect([...Object.keys(SAGEMAKER_HEADERS), SAGEMAKER_MODEL_NAME_SETTING].sort()).toEqual(portkey);
    for (const setting of Object.keys(SAGEMAKER_HEADERS)) {
      const headers = toSageMakerHeaders({ provider: 'sagemaker', settings: { [setting]: 'v1' } }, SAGEMAKER_HEADERS[setting]!.ops[0]!);
      // amzn_sagemaker_target_model → x-amzn-sagemaker-target-model: AWS's name is Portkey's, kebab-cased.
      expect(headers).toEqual({ [`x-${setting.replace(/_/g, '-')}`]: 'v1' });
    }
  });
});
