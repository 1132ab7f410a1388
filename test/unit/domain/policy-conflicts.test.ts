import { AI_EXTENSIONS, type AiExtensionName } from '../../../shared/domain/extensions';
import { DEFENDER_FOR_AI_POLICIES, findDefenderForAiPolicy, policyConflictWarnings, versionOf } from '../../../shared/domain/policy-conflicts';
import type { PolicyAssignmentInfo } from '../../../shared/domain/model';
import { ROOT_MG_ID, SUB, alzMdfcAssignment } from '../../builders/context.builder';

/**
 * Built from the definitions' own parameter names and defaults
 * (contracts/policy/definitions/defender-for-ai-builtins.md): 359a48a3 takes `effect`,
 * `isAIPromptEvidenceEnabled` ("true") and, from 1.1.0, `isAIPromptSharingWithPurviewEnabled`
 * ("true"); 7e92882a takes `effect` only; f08c57cd passes nothing to 359a48a3; ALZ Deploy-MDFC-Config
 * passes `enableAscForAI` (as effect) and `isAIPromptEvidenceEnabled`.
 */
const DEFAULT_COMPONENTS: AiExtensionName[] = ['AIPromptEvidence', 'AIModelScanner'];
const ALL: AiExtensionName[] = [...AI_EXTENSIONS];
const WITH_PURVIEW: AiExtensionName[] = ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'];
const ALZ = 'Azure landing zone Deploy-MDFC-Config initiative 1.1.0';
const ALZ_NAME = 'Deploy Microsoft Defender for Cloud configuration';
const CONFIGURE = 'Configure Microsoft Defender threat protection for AI Services';

const CONFIGURE_DEFINITION = '/providers/Microsoft.Authorization/policyDefinitions/359a48a3-351a-4618-bb32-f1628645694b';
const THREAT_PROTECTION_DEFINITION = '/providers/Microsoft.Authorization/policyDefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb0';
const PLANS_INITIATIVE = '/providers/Microsoft.Authorization/policySetDefinitions/f08c57cd-dbd6-49a4-a85e-9ae77ac959b0';

function builtIn(policyDefinitionId: string, overrides: Partial<PolicyAssignmentInfo> = {}): PolicyAssignmentInfo {
  return {
    id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/policyAssignments/d4ai-builtin`,
    displayName: 'AI builtin',
    policyDefinitionId,
    parameters: {},
    ...overrides,
  };
}

describe('policyConflictWarnings: 359a48a3 Configure Microsoft Defender threat protection for AI Services', () => {
  it('1.1.0 with its defaults ("true", "true") disagrees only about Purview sharing with the default components', () => {
    expect(policyConflictWarnings([builtIn(CONFIGURE_DEFINITION)], DEFAULT_COMPONENTS)).toEqual([
      `Policy assignment AI builtin (${CONFIGURE} 1.1.0) leaves isAIPromptSharingWithPurviewEnabled at its default "true", ` +
        'which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.',
    ]);
  });

  it('raises nothing when the assignment agrees with the configuration (no false alarm)', () => {
    const agrees = builtIn(CONFIGURE_DEFINITION, { parameters: { effect: 'DeployIfNotExists', isAIPromptEvidenceEnabled: 'true', isAIPromptSharingWithPurviewEnabled: 'false' } });
    expect(policyConflictWarnings([agrees], DEFAULT_COMPONENTS)).toEqual([]);
    expect(policyConflictWarnings([builtIn(CONFIGURE_DEFINITION)], WITH_PURVIEW)).toEqual([]);
  });

  it('names the extension, the assignment, the parameter and its value when prompt evidence is switched off', () => {
    const off = builtIn(CONFIGURE_DEFINITION, { displayName: 'Prompt evidence off', parameters: { isAIPromptEvidenceEnabled: 'false', isAIPromptSharingWithPurviewEnabled: 'false' } });
    expect(policyConflictWarnings([off], DEFAULT_COMPONENTS)).toEqual([
      `Policy assignment Prompt evidence off (${CONFIGURE} 1.1.0) sets isAIPromptEvidenceEnabled = "false", which turns AIPromptEvidence off; D4AI_COMPONENTS includes it.`,
    ]);
  });

  it('never names AIModelScanner (the definition does not set it)', () => {
    const agrees = builtIn(CONFIGURE_DEFINITION, { parameters: { isAIPromptSharingWithPurviewEnabled: 'false' } });
    expect(policyConflictWarnings([agrees], ['AIPromptEvidence'])).toEqual([]);
  });

  it('the old guessed parameter isPromptEvidenceEnabled is not a parameter: the default "true" applies', () => {
    const guessed = builtIn(CONFIGURE_DEFINITION, { parameters: { isPromptEvidenceEnabled: 'false', isAIPromptSharingWithPurviewEnabled: 'false' } });
    expect(policyConflictWarnings([guessed], DEFAULT_COMPONENTS)).toEqual([]);
  });

  it.each<[unknown, boolean]>([
    ['false', true],
    ['False', true],
    [false, true],
    ['true', false],
    [true, false],
    [null, false],
  ])('reads isAIPromptEvidenceEnabled=%p (conflict: %p)', (value, conflict) => {
    const assignment = builtIn(CONFIGURE_DEFINITION, { parameters: { isAIPromptEvidenceEnabled: value, isAIPromptSharingWithPurviewEnabled: 'false' } });
    expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)).toHaveLength(conflict ? 1 : 0);
  });

  it('1.0.0 (pinned by definitionVersion) has no Purview parameter, so it never disagrees about Purview sharing', () => {
    const v1 = builtIn(CONFIGURE_DEFINITION, { definitionVersion: '1.0.*' });
    expect(policyConflictWarnings([v1], DEFAULT_COMPONENTS)).toEqual([]);
    expect(policyConflictWarnings([builtIn(CONFIGURE_DEFINITION, { effectiveDefinitionVersion: '1.0.0', parameters: { isAIPromptEvidenceEnabled: 'false' } })], DEFAULT_COMPONENTS)).toEqual([
      `Policy assignment AI builtin (${CONFIGURE} 1.0.0) sets isAIPromptEvidenceEnabled = "false", which turns AIPromptEvidence off; D4AI_COMPONENTS includes it.`,
    ]);
  });

  it('picks the version from definitionVersion patterns', () => {
    const policy = findDefenderForAiPolicy(CONFIGURE_DEFINITION)!;
    expect(versionOf(policy, {}).version).toBe('1.1.0');
    expect(versionOf(policy, { definitionVersion: '1.*.*' }).version).toBe('1.1.0');
    expect(versionOf(policy, { definitionVersion: '1.0.*' }).version).toBe('1.0.0');
    expect(versionOf(policy, { definitionVersion: '1.*.*', effectiveDefinitionVersion: '1.0.0' }).version).toBe('1.0.0');
  });

  it.each(['Disabled', 'AuditIfNotExists'])('is silent when effect is %s', (effect) => {
    expect(policyConflictWarnings([builtIn(CONFIGURE_DEFINITION, { parameters: { effect, isAIPromptEvidenceEnabled: 'false' } })], DEFAULT_COMPONENTS)).toEqual([]);
  });

  it.each(['DoNotEnforce', 'donotenforce'])('is silent when enforcementMode is %s', (enforcementMode) => {
    expect(policyConflictWarnings([builtIn(CONFIGURE_DEFINITION, { enforcementMode })], DEFAULT_COMPONENTS)).toEqual([]);
  });
});

describe('policyConflictWarnings: 7e92882a Enable threat protection for AI workloads', () => {
  it('checks the tier only, so it never fights the components', () => {
    expect(policyConflictWarnings([builtIn(THREAT_PROTECTION_DEFINITION, { parameters: { effect: 'DeployIfNotExists' } })], DEFAULT_COMPONENTS)).toEqual([]);
    expect(policyConflictWarnings([builtIn(THREAT_PROTECTION_DEFINITION)], ['AIModelScanner'])).toEqual([]);
  });
});

describe('policyConflictWarnings: f08c57cd Configure Microsoft Defender for Cloud plans', () => {
  it('passes no parameters to 359a48a3: both extensions stay "true"; a set-level value cannot change that', () => {
    const initiative = builtIn(PLANS_INITIATIVE, { displayName: 'MDC plans', parameters: { isAIPromptSharingWithPurviewEnabled: 'false' } });
    expect(policyConflictWarnings([initiative], DEFAULT_COMPONENTS)).toEqual([
      'Policy assignment MDC plans (Configure Microsoft Defender for Cloud plans 1.1.0) does not pass isAIPromptSharingWithPurviewEnabled on, so it stays "true", ' +
        'which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.',
    ]);
    expect(policyConflictWarnings([initiative], WITH_PURVIEW)).toEqual([]);
  });
});

describe('policyConflictWarnings: Azure landing zone Deploy-MDFC-Config', () => {
  const purview = `Policy assignment ${ALZ_NAME} (${ALZ}) does not pass isAIPromptSharingWithPurviewEnabled on, so it stays "true", which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.`;

  it.each(['Deploy-MDFC-Config-H224', 'Deploy-MDFC-Config', 'Deploy-MDFC-Config_20240319'])('%s always wants Purview sharing on', (setName) => {
    const assignment = alzMdfcAssignment({ policyDefinitionId: `${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/${setName}` });
    expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)).toEqual([purview]);
  });

  it('agrees with a configuration that includes Purview sharing and prompt evidence', () => {
    expect(policyConflictWarnings([alzMdfcAssignment()], WITH_PURVIEW)).toEqual([]);
    expect(policyConflictWarnings([alzMdfcAssignment()], ALL)).toEqual([]);
  });

  it('reads isAIPromptEvidenceEnabled passed through the set', () => {
    expect(policyConflictWarnings([alzMdfcAssignment({ parameters: { isAIPromptEvidenceEnabled: 'false' } })], WITH_PURVIEW)).toEqual([
      `Policy assignment ${ALZ_NAME} (${ALZ}) sets isAIPromptEvidenceEnabled = "false", which turns AIPromptEvidence off; D4AI_COMPONENTS includes it.`,
    ]);
  });

  it.each(['Disabled', 'disabled', 'AuditIfNotExists'])('is silent when enableAscForAI is %s', (value) => {
    expect(policyConflictWarnings([alzMdfcAssignment({ parameters: { enableAscForAI: value } })], DEFAULT_COMPONENTS)).toEqual([]);
  });

  it('names the assignment by its id when it has no display name', () => {
    const assignment = alzMdfcAssignment();
    delete assignment.displayName;
    expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)[0]).toContain(`Policy assignment ${assignment.id} (${ALZ})`);
  });
});

describe('policyConflictWarnings: unrelated policies', () => {
  it.each([
    '/providers/Microsoft.Authorization/policyDefinitions/0a914e76-4921-4c19-b460-a2d36003525a',
    `${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/Deploy-ASC-SecurityContacts`,
    `${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/Deploy-MDFC-Configuration`,
    `${ROOT_MG_ID}/providers/Microsoft.Authorization/policyDefinitions/Deploy-MDFC-Config`,
    '/providers/Microsoft.Authorization/policyDefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb1',
  ])('ignores %s', (policyDefinitionId) => {
    expect(findDefenderForAiPolicy(policyDefinitionId)).toBeUndefined();
    expect(policyConflictWarnings([alzMdfcAssignment({ policyDefinitionId })], DEFAULT_COMPONENTS)).toEqual([]);
  });

  it('lists only lower-case id suffixes', () => {
    for (const policy of DEFENDER_FOR_AI_POLICIES) expect(policy.idSuffix).toBe(policy.idSuffix.toLowerCase());
  });
});
