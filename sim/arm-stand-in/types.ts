/**
 * Wire shapes the ARM stand-in stores and serves. Property names and casing follow the public
 * REST contracts in /work/shared/contracts (pricings 2024-01-01, subscriptions 2022-12-01,
 * policyExemptions 2022-07-01-preview, policyAssignments 2024-05-01), so what a test puts in is
 * exactly what the SDK clients read back.
 */

export type TrueFalse = 'True' | 'False';
export type SubscriptionStateName = 'Enabled' | 'Disabled' | 'Deleted' | 'Warned' | 'PastDue';

export interface SubscriptionRecord {
  id: string;
  subscriptionId: string;
  displayName: string;
  state: SubscriptionStateName;
  tenantId: string;
  tags: Record<string, string>;
  authorizationSource: string;
  managedByTenants: Array<{ tenantId: string }>;
  subscriptionPolicies: { locationPlacementId: string; quotaId: string; spendingLimit: 'On' | 'Off' | 'CurrentPeriodOff' };
}

/** Resources_ListBySubscription item (GenericResourceExpanded, the fields we model). */
export interface ResourceRecord {
  id: string;
  name: string;
  type: string;
  kind?: string;
  location: string;
  tags?: Record<string, string>;
  sku?: { name: string; tier?: string };
  /** false: not in Resources_ListBySubscription yet (list lag); a GET by id still finds it. */
  listed?: boolean;
  properties?: Record<string, unknown>;
}

/** What the stand-in keeps per Cognitive Services account beyond the resource itself. */
export interface AccountDetails {
  /** defenderForAISettings/Default state; absent means the setting was never written (the service default: Enabled). */
  defenderForAI?: 'Enabled' | 'Disabled';
  deployments: Array<{ name: string; raiPolicyName?: string; model?: { format: string; name: string; version: string } }>;
  raiPolicies: Array<{ name: string; basePolicyName?: string; contentFilters: Array<{ name: string; enabled: boolean; blocking?: boolean; source: 'Prompt' | 'Completion'; severityThreshold?: string }> }>;
  /** Metric name -> its total over any timespan asked for (enough for a 30-day token count). */
  metrics: Record<string, number>;
}

export interface OperationStatus {
  code: 'Succeeded' | 'Failed';
  message?: string;
}

export interface PricingExtension {
  name: string;
  isEnabled: TrueFalse;
  additionalExtensionProperties?: Record<string, unknown>;
  /** Only on PUT responses; never stored. */
  operationStatus?: OperationStatus;
}

export interface PricingProperties {
  pricingTier: 'Free' | 'Standard';
  subPlan?: string;
  freeTrialRemainingTime?: string;
  enablementTime?: string;
  enforce?: TrueFalse;
  inherited?: TrueFalse;
  inheritedFrom?: string;
  resourcesCoverageStatus?: 'FullyCovered' | 'PartiallyCovered' | 'NotCovered';
  extensions?: PricingExtension[];
  deprecated?: boolean;
  replacedBy?: string[];
  /** 2026-07-01 only (read-only but for securityOperatorResourceId). */
  securityOperatorResourceId?: string;
  originatedFrom?: string;
  managedBy?: string;
}

export interface PricingResource {
  id: string;
  name: string;
  type: 'Microsoft.Security/pricings';
  properties: PricingProperties;
}

export interface SystemData {
  createdBy: string;
  createdByType: 'User' | 'Application' | 'ManagedIdentity' | 'Key';
  createdAt: string;
  lastModifiedBy: string;
  lastModifiedByType: 'User' | 'Application' | 'ManagedIdentity' | 'Key';
  lastModifiedAt: string;
}

export interface PolicyExemptionRecord {
  id: string;
  name: string;
  type: 'Microsoft.Authorization/policyExemptions';
  properties: {
    policyAssignmentId: string;
    policyDefinitionReferenceIds?: string[];
    exemptionCategory: 'Waiver' | 'Mitigated';
    expiresOn?: string;
    displayName?: string;
    description?: string;
    metadata?: Record<string, unknown>;
  };
  systemData: SystemData;
}

export interface PolicyAssignmentRecord {
  id: string;
  name: string;
  type: 'Microsoft.Authorization/policyAssignments';
  location?: string;
  identity?: { type: 'SystemAssigned'; principalId: string; tenantId: string };
  properties: {
    displayName?: string;
    description?: string;
    policyDefinitionId: string;
    scope: string;
    notScopes: string[];
    parameters: Record<string, { value: unknown }>;
    metadata?: Record<string, unknown>;
    enforcementMode: 'Default' | 'DoNotEnforce';
    definitionVersion?: string;
  };
  systemData: SystemData;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query string, as received. */
  path: string;
  query: Record<string, string>;
  body?: unknown;
  status: number;
  /** Arrival time (ms since epoch). */
  at: number;
  /** Whether the bearer token was accepted. */
  authorized: boolean;
}
