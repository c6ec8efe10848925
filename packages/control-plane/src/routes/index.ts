import type { Route } from '../http/router.js';
import { adminRoutes } from './admin.js';
import { analyticsRoutes } from './analytics.js';
import { auditRoutes } from './audit.js';
import { apiKeyRoutes } from './api-keys.js';
import { catalogRoutes } from './catalog.js';
import { configRoutes } from './configs.js';
import { credentialRoutes } from './credentials.js';
import { healthRoutes } from './health.js';
import { policyRoutes } from './policies.js';
import { promptRoutes } from './prompts.js';
import { secretReferenceRoutes } from './secret-references.js';
import { mcpIntegrationRoutes } from './mcp-integrations.js';
import { mcpServerRoutes } from './mcp-servers.js';
// from './health.js';
import { syncRoutes } from './sync.js';
import { scimRoutes } from './scim.js';
import { scimAdminRoutes } from './scim-admin.js';

/** Every route the control plane serves; docs/control-plane.md's API table is generated from this list. */
export function allRoutes(isDraining: () => boolean = () => false): Route[] {
  return [...healthRoutes(isDraining), ...syncRoutes, ...adminRoutes, ...apiKeyRoutes, ...credentialRoutes, ...configRoutes, ...promptRoutes, ...catalogRoutes, ...analyticsRoutes, ...auditRoutes, ...secretReferenceRoutes, ...mcpIntegrationRoutes, ...mcpServerRoutes, ...policyRoutes, ...scimAdminRoutes, ...scimRoutes];
}
