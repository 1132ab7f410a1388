import { loadConfig, type Config } from '../../shared/config';
import type { AiExtensionName } from '../../shared/domain/extensions';
import type {
  ActiveExemption,
  AiResource,
  ExtensionState,
  GovernContext,
  PolicyAssignmentInfo,
  PricingSnapshot,
  SubscriptionInfo,
} from '../../shared/domain/model';

/** Object mothers for the pure tests: a sensible default, overridden per case. */

export const SUB = '00000000-0000-0000-0000-0000000000a1';

export function config(env: Record<string, string> = {}): Config {
  return loadConfig({ D4AI_RECORDS_CONNECTION: 'UseDevelopmentStorage=true', ...env });
}

export function subscription(overrides: Partial<SubscriptionInfo> = {}): SubscriptionInfo {
  return { subscriptionId: SUB, displayName: 'landing-zone-ai', state: 'Enabled', tags: {}, ...overrides };
}

export function openAiAccount(name = 'oai-1', subscriptionId = SUB): AiResource {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/${name}`,
    type: 'Microsoft.CognitiveServices/accounts',
    kind: 'OpenAI',
    location: 'swedencentral',
  };
}

export function freePlan(overrides: Partial<PricingSnapshot> = {}): PricingSnapshot {
  return { tier: 'Free', extensions: [], inherited: false, enforce: false, freeTrialRemainingTime: 'P30D', ...overrides };
}

export function standardPlan(enabled: AiExtensionName[] | string[], overrides: Partial<PricingSnapshot> = {}): PricingSnapshot {
  const names = ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'];
  return {
    tier: 'Standard',
    extensions: names.map((name) => ({ name, enabled: (enabled as string[]).includes(name) })),
    inherited: false,
    enforce: false,
    ...overrides,
  };
}

export function context(overrides: Partial<GovernContext> = {}): GovernContext {
  return { subscription: subscription(), aiResources: [openAiAccount()], pricing: freePlan(), policyAssignments: [], ...overrides };
}

export function extension(name: string, enabled: boolean, overrides: Partial<ExtensionState> = {}): ExtensionState {
  return { name, enabled, ...overrides };
}

/** A top-level AI resource of any type, e.g. a Machine Learning workspace (nested types: pass `id`). */
export function aiResource(type: string, name: string, overrides: Partial<AiResource> = {}): AiResource {
  return { id: `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/${type}/${name}`, type, ...overrides };
}

export function exemption(overrides: Partial<ActiveExemption> = {}): ActiveExemption {
  return {
    id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/policyExemptions/d4ai-waiver`,
    category: 'Waiver',
    ...overrides,
  };
}

export const ROOT_MG_ID = '/providers/Microsoft.Management/managementGroups/contoso';

/** The Azure landing zone Defender for Cloud initiative, assigned at the intermediate root. */
export function alzMdfcAssignment(overrides: Partial<PolicyAssignmentInfo> = {}): PolicyAssignmentInfo {
  return {
    id: `${ROOT_MG_ID}/providers/Microsoft.Authorization/policyAssignments/Deploy-MDFC-Config-H224`,
    displayName: 'Deploy Microsoft Defender for Cloud configuration',
    policyDefinitionId: `${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/Deploy-MDFC-Config-H224`,
    parameters: {},
    ...overrides,
  };
}
