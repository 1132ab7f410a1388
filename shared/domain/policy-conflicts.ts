import { AI_EXTENSIONS, type AiExtensionName } from './extensions';
import type { PolicyAssignmentInfo } from './model';

/**
 * Built-in and landing-zone policies that also deploy the Defender for AI plan, by their REAL
 * parameters and defaults (see docs/architecture.md and the public Azure/azure-policy and
 * Azure-Landing-Zones-Library definitions). When one applies to a subscription and its remediation
 * wants an extension in a different state than D4AI_COMPONENTS, the DINE and the governor keep
 * rewriting each other's choice; the record carries a warning so an operator can align them.
 *
 * A DeployIfNotExists policy only remediates what its existence condition checks, so only those
 * extensions can conflict:
 *  - 7e92882a "Enable threat protection for AI workloads" checks the tier only (no extensions):
 *    it never fights the governor's components.
 *  - 359a48a3 "Configure Microsoft Defender threat protection for AI Services" 1.0.0 checks
 *    AIPromptEvidence = `isAIPromptEvidenceEnabled` ("true"); 1.1.0 also checks
 *    AIPromptSharingWithPurview = `isAIPromptSharingWithPurviewEnabled` ("true"). It never names
 *    AIModelScanner.
 *  - f08c57cd "Configure Microsoft Defender for Cloud plans" includes 359a48a3 passing no
 *    parameters: both extensions at "true".
 *  - ALZ Deploy-MDFC-Config (-H224, _20240319 …) includes 359a48a3 1.*.* passing `effect` =
 *    `enableAscForAI` and `isAIPromptEvidenceEnabled`; Purview sharing is not exposed ("true").
 * Parameter values are strings "true"/"false"; an omitted parameter takes the definition's default.
 */
export interface ExtensionRule {
  /** The 359a48a3 parameter that sets it. */
  parameter: string;
  /** The definition's default (or the value an initiative that does not expose the parameter leaves it at). */
  default: boolean;
  /** True when the assignment cannot set it (an initiative that does not pass the parameter on). */
  fixed?: boolean;
}

export interface PolicyVersion {
  version: string;
  /** The extensions its existence condition checks (and its remediation sets). */
  extensions: Partial<Record<AiExtensionName, ExtensionRule>>;
}

export interface DefenderForAiPolicy {
  /** Lower-case suffix of the policy (set) definition id; the ALZ one is a custom definition. */
  idSuffix: string;
  title: string;
  /** Parameter whose value `Disabled` (or `AuditIfNotExists`) means the plan is not deployed by it. */
  effectParameter?: string;
  /** Newest first. */
  versions: readonly PolicyVersion[];
}

const PROMPT_EVIDENCE: ExtensionRule = { parameter: 'isAIPromptEvidenceEnabled', default: true };
const PURVIEW_SHARING: ExtensionRule = { parameter: 'isAIPromptSharingWithPurviewEnabled', default: true };

export const DEFENDER_FOR_AI_POLICIES: readonly DefenderForAiPolicy[] = [
  {
    idSuffix: '/policydefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb0',
    title: 'Enable threat protection for AI workloads',
    effectParameter: 'effect',
    versions: [{ version: '1.0.0', extensions: {} }],
  },
  {
    idSuffix: '/policydefinitions/359a48a3-351a-4618-bb32-f1628645694b',
    title: 'Configure Microsoft Defender threat protection for AI Services',
    effectParameter: 'effect',
    versions: [
      { version: '1.1.0', extensions: { AIPromptEvidence: PROMPT_EVIDENCE, AIPromptSharingWithPurview: PURVIEW_SHARING } },
      { version: '1.0.0', extensions: { AIPromptEvidence: PROMPT_EVIDENCE } },
    ],
  },
  {
    idSuffix: '/policysetdefinitions/f08c57cd-dbd6-49a4-a85e-9ae77ac959b0',
    title: 'Configure Microsoft Defender for Cloud plans',
    versions: [{ version: '1.1.0', extensions: { AIPromptEvidence: { ...PROMPT_EVIDENCE, fixed: true }, AIPromptSharingWithPurview: { ...PURVIEW_SHARING, fixed: true } } }],
  },
  {
    // Azure landing zones' Microsoft Defender for Cloud initiative (assigned as Deploy-MDFC-Config or
    // Deploy-MDFC-Config-H224 at the intermediate root); `enableAscForAI` is the effect of its AI part.
    idSuffix: '/policysetdefinitions/deploy-mdfc-config',
    title: 'Azure landing zone Deploy-MDFC-Config initiative',
    effectParameter: 'enableAscForAI',
    versions: [{ version: '1.1.0', extensions: { AIPromptEvidence: PROMPT_EVIDENCE, AIPromptSharingWithPurview: { ...PURVIEW_SHARING, fixed: true } } }],
  },
];

export function findDefenderForAiPolicy(policyDefinitionId: string): DefenderForAiPolicy | undefined {
  const id = policyDefinitionId.toLowerCase();
  // ALZ versions its set definitions with suffixes (Deploy-MDFC-Config-H224, _20240319); match the family.
  return DEFENDER_FOR_AI_POLICIES.find((p) => id.endsWith(p.idSuffix) || id.includes(`${p.idSuffix}-`) || id.includes(`${p.idSuffix}_`));
}

/**
 * The version an assignment runs: its `effectiveDefinitionVersion` when ARM expanded it, else the
 * newest version its `definitionVersion` pattern ("1.*.*", "1.0.*", "1.0.0") admits, else the newest.
 */
export function versionOf(policy: DefenderForAiPolicy, assignment: Pick<PolicyAssignmentInfo, 'definitionVersion' | 'effectiveDefinitionVersion'>): PolicyVersion {
  const newest = policy.versions[0] as PolicyVersion;
  const wanted = assignment.effectiveDefinitionVersion ?? assignment.definitionVersion;
  if (!wanted) return newest;
  const pattern = wanted.split('.');
  const match = policy.versions.find((v) => v.version.split('.').every((part, i) => pattern[i] === undefined || pattern[i] === '*' || pattern[i] === part));
  return match ?? newest;
}

export function policyConflictWarnings(assignments: readonly PolicyAssignmentInfo[], components: readonly AiExtensionName[]): string[] {
  const warnings: string[] = [];
  for (const assignment of assignments) {
    const policy = findDefenderForAiPolicy(assignment.policyDefinitionId);
    if (!policy || !deploysThePlan(policy, assignment)) continue;
    const version = versionOf(policy, assignment);
    for (const extension of AI_EXTENSIONS) {
      const rule = version.extensions[extension];
      if (!rule) continue;
      const assigned = !rule.fixed && rule.parameter in assignment.parameters;
      const enabledByPolicy = assigned ? asBoolean(assignment.parameters[rule.parameter], rule.default) : rule.default;
      const enabledByUs = components.includes(extension);
      if (enabledByPolicy === enabledByUs) continue;
      const how =
        rule.fixed
          ? `does not pass ${rule.parameter} on, so it stays "${String(rule.default)}"`
          : assigned
            ? `sets ${rule.parameter} = ${JSON.stringify(assignment.parameters[rule.parameter])}`
            : `leaves ${rule.parameter} at its default "${String(rule.default)}"`;
      warnings.push(
        `Policy assignment ${assignment.displayName ?? assignment.id} (${policy.title} ${version.version}) ${how}, which turns ${extension} ` +
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
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (['true', 'enabled', 'on'].includes(v)) return true;
    if (['false', 'disabled', 'off'].includes(v)) return false;
  }
  return fallback;
}
