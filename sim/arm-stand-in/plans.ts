/**
 * The Defender plans the stand-in knows, their extension names (from the 2024-01-01
 * `Extension.name` description; the AI plan's three names are the ones the service accepts,
 * see contracts/README.md) and the pricing a brand-new subscription reports for each.
 */
import type { PricingProperties } from './types';

export interface PlanInfo {
  name: string;
  /** Extensions the service knows for this plan; a PUT naming any other is rejected. */
  extensions: readonly string[];
  /** When set, a PUT's subPlan must be one of these. Plans without a list accept any string. */
  subPlans?: readonly string[];
  deprecated?: { replacedBy: string[] };
}

export const AI_PLAN = 'AI';
export const AI_PLAN_EXTENSIONS = ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'] as const;

export const PLAN_CATALOGUE: readonly PlanInfo[] = [
  { name: 'VirtualMachines', extensions: ['MdeDesignatedSubscription', 'AgentlessVmScanning', 'FileIntegrityMonitoring'], subPlans: ['P1', 'P2'] },
  { name: 'SqlServers', extensions: [] },
  { name: 'AppServices', extensions: [] },
  {
    name: 'StorageAccounts',
    extensions: ['OnUploadMalwareScanning', 'SensitiveDataDiscovery'],
    subPlans: ['DefenderForStorageV2', 'PerTransaction', 'PerStorageAccount'],
  },
  { name: 'KeyVaults', extensions: [], subPlans: ['PerKeyVault', 'PerTransaction'] },
  { name: 'Arm', extensions: [], subPlans: ['PerSubscription', 'PerApiCall'] },
  {
    name: 'Containers',
    extensions: ['ContainerRegistriesVulnerabilityAssessments', 'AgentlessDiscoveryForKubernetes', 'AgentlessVmScanning', 'ContainerSensor'],
  },
  {
    name: 'CloudPosture',
    extensions: [
      'AgentlessVmScanning',
      'AgentlessDiscoveryForKubernetes',
      'SensitiveDataDiscovery',
      'ContainerRegistriesVulnerabilityAssessments',
      'EntraPermissionsManagement',
    ],
  },
  { name: AI_PLAN, extensions: AI_PLAN_EXTENSIONS },
  { name: 'Dns', extensions: [], deprecated: { replacedBy: ['VirtualMachines'] } },
];

/** Case-insensitive lookup: ARM resource names are case-insensitive. */
export function findPlan(name: string): PlanInfo | undefined {
  const wanted = name.toLowerCase();
  return PLAN_CATALOGUE.find((p) => p.name.toLowerCase() === wanted);
}

/** What a subscription that never touched the plan reports: Free, a full 30-day trial, no extensions. */
export function defaultPricing(plan: PlanInfo): PricingProperties {
  const props: PricingProperties = {
    pricingTier: 'Free',
    freeTrialRemainingTime: 'P30D',
    enforce: 'False',
    resourcesCoverageStatus: 'NotCovered',
  };
  if (plan.deprecated) {
    props.deprecated = true;
    props.replacedBy = [...plan.deprecated.replacedBy];
  }
  return props;
}

/**
 * The 2022-03-01 Pricing model (what @azure/arm-security 5.0.0 reads) has no extensions,
 * enforce, inheritance or coverage fields; older clients get only these.
 */
export function project2022(props: PricingProperties): PricingProperties {
  const out: PricingProperties = { pricingTier: props.pricingTier };
  if (props.subPlan !== undefined) out.subPlan = props.subPlan;
  if (props.freeTrialRemainingTime !== undefined) out.freeTrialRemainingTime = props.freeTrialRemainingTime;
  if (props.deprecated !== undefined) out.deprecated = props.deprecated;
  if (props.replacedBy !== undefined) out.replacedBy = [...props.replacedBy];
  return out;
}
