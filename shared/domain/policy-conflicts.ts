import { AI_EXTENSIONS, type AiExtensionName } from './extensions';
import type { PolicyAssignmentInfo } from './model';

/**
 * Built-in and landing-zone policies that also deploy the Defender for AI plan. When one applies to
 * a subscription and would leave components in a different state than D4AI_COMPONENTS, the two keep
 * rewriting each other's choice; the record carries a warning so an operator can align them.
 *
 * These policies PUT the AI plan without listing extensions (or list only some), so the service
 * applies its defaults to the rest: every AI extension on, including Purview sharing, which needs a
 * Purview licence and which our default configuration leaves off.
 */
export interface DefenderForAiPolicy {
  /** Lower-case suffix of the policy (set) definition id; the ALZ one is a custom definition. */
  idSuffix: string;
  title: string;
  /** Parameter whose value `Disabled` (or `AuditIfNotExists`) means the plan is not deployed by it. */
  effectParameter?: string;
  /** What the policy leaves each extension at; a parameter, when set on the assignment, overrides. */
  extensions: Record<AiExtensionName, { parameter?: string; enabled: boolean }>;
}

const SERVICE_DEFAULTS = { enabled: true } as const;

export const DEFENDER_FOR_AI_POLICIES: readonly DefenderForAiPolicy[] = [
  {
    idSuffix: '/policydefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb0',
    title: 'Enable threat protection for AI workloads',
    effectParameter: 'effect',
    extensions: { AIPromptEvidence: SERVICE_DEFAULTS, AIPromptSharingWithPurview: SERVICE_DEFAULTS, AIModelScanner: SERVICE_DEFAULTS },
  },
  {
    idSuffix: '/policydefinitions/359a48a3-351a-4618-bb32-f1628645694b',
    title: 'Configure Defender for AI user prompt evidence',
    effectParameter: 'effect',
    extensions: {
      AIPromptEvidence: { parameter: 'isPromptEvidenceEnabled', enabled: true },
      AIPromptSharingWithPurview: SERVICE_DEFAULTS,
      AIModelScanner: SERVICE_DEFAULTS,
    },
  },
  {
    idSuffix: '/policysetdefinitions/f08c57cd-dbd6-49a4-a85e-9ae77ac959b0',
    title: 'Defender for AI initiative',
    extensions: { AIPromptEvidence: SERVICE_DEFAULTS, AIPromptSharingWithPurview: SERVICE_DEFAULTS, AIModelScanner: SERVICE_DEFAULTS },
  },
  {
    // Azure landing zones' Microsoft Defender for Cloud initiative (assigned as Deploy-MDFC-Config or
    // Deploy-MDFC-Config-H224 at the intermediate root); `enableAscForAI` switches its AI part.
    idSuffix: '/policysetdefinitions/deploy-mdfc-config',
    title: 'Azure landing zone Deploy-MDFC-Config initiative',
    effectParameter: 'enableAscForAI',
    extensions: { AIPromptEvidence: SERVICE_DEFAULTS, AIPromptSharingWithPurview: SERVICE_DEFAULTS, AIModelScanner: SERVICE_DEFAULTS },
  },
];

export function findDefenderForAiPolicy(policyDefinitionId: string): DefenderForAiPolicy | undefined {
  const id = policyDefinitionId.toLowerCase();
  // ALZ versions its set definitions with suffixes (Deploy-MDFC-Config-H224); match the family.
  return DEFENDER_FOR_AI_POLICIES.find((p) => id.endsWith(p.idSuffix) || id.includes(`${p.idSuffix}-`));
}

export function policyConflictWarnings(assignments: readonly PolicyAssignmentInfo[], components: readonly AiExtensionName[]): string[] {
  const warnings: string[] = [];
  for (const assignment of assignments) {
    const policy = findDefenderForAiPolicy(assignment.policyDefinitionId);
    if (!policy || !deploysThePlan(policy, assignment)) continue;
    for (const extension of AI_EXTENSIONS) {
      const { parameter, enabled } = policy.extensions[extension];
      const assigned = parameter !== undefined && parameter in assignment.parameters;
      const enabledByPolicy = assigned ? asBoolean(assignment.parameters[parameter], enabled) : enabled;
      const enabledByUs = components.includes(extension);
      if (enabledByPolicy === enabledByUs) continue;
      const how = assigned ? `sets ${parameter}` : 'leaves it at the service default';
      warnings.push(
        `Policy assignment ${assignment.displayName ?? assignment.id} (${policy.title}) ${how}, which turns ${extension} ` +
          `${enabledByPolicy ? 'on' : 'off'}; D4AI_COMPONENTS ${enabledByUs ? 'includes' : 'excludes'} it.`,
      );
    }
  }
  return warnings;
}

function deploysThePlan(policy: DefenderForAiPolicy, assignment: PolicyAssignmentInfo): boolean {
  if (assignment.enforcementMode?.toLowerCase() === 'donotenforce') return false;
  if (!policy.effectParameter) return true;
  const effect = assignment.parameters[policy.effectParameter];
  return !(typeof effect === 'string' && ['disabled', 'auditifnotexists'].includes(effect.toLowerCase()));
}

function asBoolean(value: unknown, fallback: boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['true', 'enabled', 'on'].includes(value.toLowerCase());
  return fallback;
}
