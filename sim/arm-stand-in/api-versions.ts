/**
 * The api-versions each surface accepts: exactly what the project's clients send, so a client
 * that drifts to another version fails loudly (400 InvalidApiVersionParameter) in tests.
 */
export const API_VERSIONS = {
  /** @azure/arm-resources-subscriptions 3.0.0 */
  subscriptions: ['2022-12-01'],
  /** @azure/arm-managementgroups 2.0.2 (ManagementGroups_GetDescendants) */
  managementGroups: ['2021-04-01'],
  /** @azure/arm-resources 8.0.0 (Resources_ListBySubscription) */
  resources: ['2025-04-01'],
  /** Resources_GetById of an AI resource: the providers' own api-versions (shared/azure/inventory.adapter.ts). */
  aiResourceById: ['2025-09-01', '2024-10-01'],
  /**
   * Pricings 2026-07-01 (adds managedBy, originatedFrom, securityOperatorResourceId) and 2024-01-01
   * (has extensions, not those); GET also tolerates @azure/arm-security 5.0.0's 2022-03-01.
   */
  pricingsRead: ['2026-07-01', '2024-01-01', '2022-03-01'],
  pricingsWrite: ['2026-07-01', '2024-01-01'],
  policyExemptions: ['2022-07-01-preview'],
  /** @azure/arm-policy 7.0.1 */
  policyAssignments: ['2025-03-01'],
  /** @azure/arm-resourcegraph 5.0.0 */
  resourceGraph: ['2024-04-01'],
  /** @azure/arm-cognitiveservices 8.1.0 (defenderForAISettings, deployments, raiPolicies) */
  cognitiveServices: ['2025-09-01'],
  /** @azure/arm-monitor 8.0.0 (metricDefinitions, metrics) */
  monitor: ['2024-02-01'],
} as const;
