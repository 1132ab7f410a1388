import type { Config } from '../config';
import { isAiExtensionName } from './extensions';
import { nameOf, optedOutAccounts } from './accounts';
import type { AiResource, GovernContext } from './model';
import { ExtensionSet } from './extension-set';
import { missingFrom } from './components';
import { policyConflictWarnings } from './policy-conflicts';

/**
 * What stands between "the plan is Standard" and "the AI workloads are protected", as findings a
 * report and a record can list. Pure: derived from the context a pass read and the configuration,
 * so the CLI report, the sweep's records and the Functions sweep say the same.
 */
export type FindingType =
  | 'ai-without-plan'
  | 'components-differ'
  | 'managed-elsewhere'
  | 'accounts-opted-out'
  | 'prompt-shields-off'
  | 'exemption-expiring'
  | 'exemption-without-expiry'
  | 'dine-conflict'
  /** D4AI_COMPONENTS wants AIModelScanner, the subscription has ML resources, and Defender CSPM (CloudPosture) is Free. */
  | 'model-scan-needs-cspm'
  /** A private-link Machine Learning workspace: AI model security cannot reach it. */
  | 'model-scan-private-link';

export const FINDING_TYPES: readonly FindingType[] = [
  'ai-without-plan',
  'components-differ',
  'managed-elsewhere',
  'accounts-opted-out',
  'prompt-shields-off',
  'exemption-expiring',
  'exemption-without-expiry',
  'dine-conflict',
  'model-scan-needs-cspm',
  'model-scan-private-link',
];

const MODEL_SCAN_TYPES = ['microsoft.machinelearningservices/workspaces', 'microsoft.machinelearningservices/registries'];

/** What AI model security (AIModelScanner) scans: Machine Learning workspaces and registries (weekly). */
export function isModelScanTarget(resource: Pick<AiResource, 'type'>): boolean {
  return MODEL_SCAN_TYPES.includes(resource.type.toLowerCase());
}

/**
 * The ML resources AI model security actually covers: the plan Standard with AIModelScanner on,
 * Defender CSPM Standard (or not known to be off), and the resource reachable (not private link).
 */
export function modelScanCovered(context: Pick<GovernContext, 'pricing' | 'cloudPosture' | 'aiResources'>): AiResource[] {
  if (context.pricing?.tier !== 'Standard' || !ExtensionSet.ofPlan(context.pricing).isOn('AIModelScanner')) return [];
  if (context.cloudPosture === 'Free') return [];
  return context.aiResources.filter((r) => isModelScanTarget(r) && !r.privateLink);
}

export interface Finding {
  type: FindingType;
  message: string;
  /** The resource it is about, when it is about one (an account, an exemption). */
  resourceId?: string;
}

/** An exemption that ends within this many days is flagged, so its owner renews it or plans for the plan. */
export const EXEMPTION_NOTICE_DAYS = 30;

/** The kinds of finding present, each once, in order of first appearance. */
export function findingTypes(findings: readonly Pick<Finding, 'type'>[]): FindingType[] {
  return [...new Set(findings.map((f) => f.type))];
}

export function findingsOf(context: GovernContext, config: Pick<Config, 'components'>): Finding[] {
  const findings: Finding[] = [];
  const { pricing } = context;
  const aiCount = context.aiResourceTotal ?? context.aiResources.length;
  // A plan another system manages is reported as managed-elsewhere (with its tier), not as a gap the governor would close.
  if (aiCount > 0 && pricing?.tier === 'Free' && !pricing.notIndexed && !pricing.managedBy) {
    findings.push({ type: 'ai-without-plan', message: `${aiCount} AI resource(s) and the AI plan is Free.` });
  }
  if (pricing?.tier === 'Standard') {
    const missing = missingFrom(pricing, config.components);
    const unwanted = pricing.extensions.filter((e) => e.enabled && isAiExtensionName(e.name) && !(config.components as readonly string[]).includes(e.name)).map((e) => e.name);
    if (missing.length || unwanted.length) {
      const parts = [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...(unwanted.length ? [`on but not in D4AI_COMPONENTS: ${unwanted.join(', ')}`] : [])];
      findings.push({ type: 'components-differ', message: `Components differ from D4AI_COMPONENTS (${config.components.join(', ') || 'none'}): ${parts.join('; ')}.` });
    }
  }
  if (pricing?.managedBy) {
    findings.push({ type: 'managed-elsewhere', message: `Managed by ${pricing.managedBy}${pricing.originatedFrom ? ` (originated from ${pricing.originatedFrom})` : ''}.` });
  }
  for (const account of optedOutAccounts(context.accounts)) {
    findings.push({ type: 'accounts-opted-out', resourceId: account, message: `${nameOf(account)} opted out of Defender for AI (defenderForAISettings state Disabled).` });
  }
  for (const account of context.accounts ?? []) {
    for (const off of account.promptShieldsOff) {
      findings.push({ type: 'prompt-shields-off', resourceId: account.accountId, message: `Deployment ${off.deployment} of ${nameOf(account.accountId)}: content filter ${off.policy} has ${off.filter} (Prompt) off.` });
    }
  }
  const exemption = context.exemption;
  if (exemption?.expiresOn) {
    const days = exemption.daysLeft;
    if (days !== undefined && days <= EXEMPTION_NOTICE_DAYS) {
      findings.push({ type: 'exemption-expiring', resourceId: exemption.id, message: `Exemption ${exemption.displayName ?? nameOf(exemption.id)} (${exemption.category}) expires ${exemption.expiresOn}, in ${days} day(s); the plan is enabled after that.` });
    }
  } else if (exemption) {
    findings.push({ type: 'exemption-without-expiry', resourceId: exemption.id, message: `Exemption ${exemption.displayName ?? nameOf(exemption.id)} (${exemption.category}) has no expiry.` });
  }
  for (const warning of policyConflictWarnings(context.policyAssignments, config.components)) findings.push({ type: 'dine-conflict', message: warning });
  if ((config.components as readonly string[]).includes('AIModelScanner')) {
    const targets = context.aiResources.filter(isModelScanTarget);
    if (targets.length && context.cloudPosture === 'Free') {
      findings.push({
        type: 'model-scan-needs-cspm',
        message:
          `D4AI_COMPONENTS includes AIModelScanner, but Defender CSPM (the CloudPosture plan) is Free: AI model security needs it, so the ${targets.length} ` +
          'Machine Learning workspace(s)/registry(ies) here are not scanned. The governor does not enable CSPM (a separately priced plan); enable it, or drop AIModelScanner.',
      });
    }
    for (const workspace of targets.filter((r) => r.privateLink)) {
      findings.push({ type: 'model-scan-private-link', resourceId: workspace.id, message: `${nameOf(workspace.id)} is reachable only through private link: AI model security cannot scan it.` });
    }
  }
  return findings;
}
