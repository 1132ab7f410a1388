/** What tests pass to the ArmState helpers; anything omitted gets a realistic default. */
import type { SubscriptionStateName } from './types';

export interface NewSubscription {
  subscriptionId?: string;
  displayName?: string;
  state?: SubscriptionStateName;
  tenantId?: string;
  tags?: Record<string, string>;
  /** The management group the subscription sits in (addManagementGroup first); default: the tenant root group. */
  managementGroupId?: string;
}

export interface NewResource {
  /** For nested types give every level, e.g. type 'Microsoft.CognitiveServices/accounts/projects', name 'acct/proj'. */
  name: string;
  type: string;
  kind?: string;
  location?: string;
  resourceGroup?: string;
  tags?: Record<string, string>;
  sku?: { name: string; tier?: string };
  /** false: exists (a GET by id finds it) but the list API does not show it yet, as right after its creation. */
  listed?: boolean;
  /** The resource's own properties (e.g. an ML workspace's publicNetworkAccess, privateEndpointConnections). */
  properties?: Record<string, unknown>;
}

export interface NewExemption {
  name?: string;
  policyAssignmentId: string;
  exemptionCategory?: 'Waiver' | 'Mitigated';
  expiresOn?: string;
  displayName?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  policyDefinitionReferenceIds?: string[];
  /** Defaults to the subscription; a management group id puts it above, a resource group below. */
  scope?: string;
}

export interface NewPolicyAssignment {
  name?: string;
  displayName?: string;
  description?: string;
  policyDefinitionId: string;
  /** Defaults to the subscription; a management group id makes it inherited. */
  scope?: string;
  notScopes?: string[];
  parameters?: Record<string, { value: unknown }>;
  enforcementMode?: 'Default' | 'DoNotEnforce';
  /** The definition version the assignment pins (e.g. "1.*.*", "1.0.*"). */
  definitionVersion?: string;
  /** DeployIfNotExists assignments carry a system-assigned identity and a location. */
  withIdentity?: boolean;
}
