import { AI_EXTENSIONS, type AiExtensionName } from '../../../shared/domain/extensions';
import { DEFENDER_FOR_AI_POLICIES, findDefenderForAiPolicy, policyConflictWarnings } from '../../../shared/domain/policy-conflicts';
import type { PolicyAssignmentInfo } from '../../../shared/domain/model';
import { ROOT_MG_ID, SUB, alzMdfcAssignment } from '../../builders/context.builder';

const DEFAULT_COMPONENTS: AiExtensionName[] = ['AIPromptEvidence', 'AIModelScanner'];
const ALL: AiExtensionName[] = [...AI_EXTENSIONS];
const ALZ_TITLE = 'Azure landing zone Deploy-MDFC-Config initiative';
const ALZ_NAME = 'Deploy Microsoft Defender for Cloud configuration';
const PURVIEW_DEFAULT_WARNING =
  `Policy assignment ${ALZ_NAME} (${ALZ_TITLE}) leaves it at the service default, ` +
  'which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.';

const PROMPT_EVIDENCE_DEFINITION = '/providers/Microsoft.Authorization/policyDefinitions/359a48a3-351a-4618-bb32-f1628645694b';
const THREAT_PROTECTION_DEFINITION = '/providers/Microsoft.Authorization/policyDefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb0';
const D4AI_INITIATIVE = '/providers/Microsoft.Authorization/policySetDefinitions/f08c57cd-dbd6-49a4-a85e-9ae77ac959b0';

function builtIn(policyDefinitionId: string, overrides: Partial<PolicyAssignmentInfo> = {}): PolicyAssignmentInfo {
  return {
    id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/policyAssignments/d4ai-builtin`,
    policyDefinitionId,
    parameters: {},
    ...overrides,
  };
}

describe('policyConflictWarnings: Azure landing zone Deploy-MDFC-Config', () => {
  it.each(['Deploy-MDFC-Config-H224', 'Deploy-MDFC-Config'])(
    'warns that %s leaves Purview sharing at its default (on) while the default components exclude it',
    (setName) => {
      const assignment = alzMdfcAssignment({
        policyDefinitionId: `${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/${setName}`,
      });

      expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)).toEqual([PURVIEW_DEFAULT_WARNING]);
    },
  );

  it('warns when enableAscForAI asks for deployment explicitly', () => {
    const assignment = alzMdfcAssignment({ parameters: { enableAscForAI: 'DeployIfNotExists', enableAscForSql: 'Disabled' } });

    expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)).toEqual([PURVIEW_DEFAULT_WARNING]);
  });

  it('names the assignment by its id when it has no display name', () => {
    const assignment = alzMdfcAssignment();
    delete assignment.displayName;

    expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)).toEqual([
      `Policy assignment ${assignment.id} (${ALZ_TITLE}) leaves it at the service default, ` +
        'which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.',
    ]);
  });

  it.each(['Disabled', 'disabled', 'DISABLED', 'AuditIfNotExists'])('is silent when enableAscForAI is %s', (value) => {
    expect(policyConflictWarnings([alzMdfcAssignment({ parameters: { enableAscForAI: value } })], DEFAULT_COMPONENTS)).toEqual([]);
  });

  it.each(['DoNotEnforce', 'donotenforce'])('is silent when the assignment enforcementMode is %s', (enforcementMode) => {
    expect(policyConflictWarnings([alzMdfcAssignment({ enforcementMode })], DEFAULT_COMPONENTS)).toEqual([]);
  });

  it('warns when enforcementMode is Default', () => {
    expect(policyConflictWarnings([alzMdfcAssignment({ enforcementMode: 'Default' })], DEFAULT_COMPONENTS)).toEqual([
      PURVIEW_DEFAULT_WARNING,
    ]);
  });

  it('is silent when D4AI_COMPONENTS also switches every extension on', () => {
    expect(policyConflictWarnings([alzMdfcAssignment()], ALL)).toEqual([]);
  });

  it('warns once per extension the two disagree on, in extension order', () => {
    expect(policyConflictWarnings([alzMdfcAssignment()], ['AIPromptEvidence'])).toEqual([
      `Policy assignment ${ALZ_NAME} (${ALZ_TITLE}) leaves it at the service default, which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.`,
      `Policy assignment ${ALZ_NAME} (${ALZ_TITLE}) leaves it at the service default, which turns AIModelScanner on; D4AI_COMPONENTS excludes it.`,
    ]);
  });

  it('matches the definition id case-insensitively', () => {
    const assignment = alzMdfcAssignment({
      policyDefinitionId: '/PROVIDERS/Microsoft.Management/managementGroups/CONTOSO/providers/microsoft.authorization/POLICYSETDEFINITIONS/DEPLOY-MDFC-CONFIG-H224',
    });

    expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)).toEqual([PURVIEW_DEFAULT_WARNING]);
  });
});

describe('policyConflictWarnings: built-in Defender for AI policies', () => {
  it('reports the prompt evidence policy turning prompt evidence off with isPromptEvidenceEnabled: false', () => {
    const assignment = builtIn(PROMPT_EVIDENCE_DEFINITION, {
      displayName: 'Configure prompt evidence',
      parameters: { effect: 'DeployIfNotExists', isPromptEvidenceEnabled: false },
    });

    expect(policyConflictWarnings([assignment], DEFAULT_COMPONENTS)).toEqual([
      'Policy assignment Configure prompt evidence (Configure Defender for AI user prompt evidence) sets isPromptEvidenceEnabled, ' +
        'which turns AIPromptEvidence off; D4AI_COMPONENTS includes it.',
      'Policy assignment Configure prompt evidence (Configure Defender for AI user prompt evidence) leaves it at the service default, ' +
        'which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.',
    ]);
  });

  it.each<[unknown, number]>([
    ['false', 2],
    ['False', 2],
    ['Disabled', 2],
    [true, 1],
    ['true', 1],
    ['Enabled', 1],
    [null, 1],
  ])('reads isPromptEvidenceEnabled=%p (warnings: %i)', (value, count) => {
    const assignment = builtIn(PROMPT_EVIDENCE_DEFINITION, { parameters: { isPromptEvidenceEnabled: value } });
    const warnings = policyConflictWarnings([assignment], DEFAULT_COMPONENTS);

    expect(warnings).toHaveLength(count);
    expect(warnings.some((w) => w.includes('AIPromptEvidence off'))).toBe(count === 2);
  });

  it('reports isPromptEvidenceEnabled: true as a conflict when D4AI_COMPONENTS excludes prompt evidence', () => {
    const assignment = builtIn(PROMPT_EVIDENCE_DEFINITION, { parameters: { isPromptEvidenceEnabled: true } });

    expect(policyConflictWarnings([assignment], ['AIModelScanner'])).toEqual([
      expect.stringContaining('sets isPromptEvidenceEnabled, which turns AIPromptEvidence on; D4AI_COMPONENTS excludes it.'),
      expect.stringContaining('leaves it at the service default, which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.'),
    ]);
  });

  it.each(['Disabled', 'AuditIfNotExists'])('is silent when the built-in effect is %s', (effect) => {
    expect(policyConflictWarnings([builtIn(THREAT_PROTECTION_DEFINITION, { parameters: { effect } })], DEFAULT_COMPONENTS)).toEqual([]);
  });

  it('warns for the Defender for AI initiative, which has no effect parameter', () => {
    const warnings = policyConflictWarnings([builtIn(D4AI_INITIATIVE, { parameters: { effect: 'Disabled' } })], DEFAULT_COMPONENTS);

    expect(warnings).toEqual([expect.stringContaining('(Defender for AI initiative) leaves it at the service default')]);
  });

  it('collects the warnings of several assignments in order', () => {
    const assignments = [alzMdfcAssignment(), builtIn(THREAT_PROTECTION_DEFINITION, { displayName: 'Threat protection for AI' })];

    expect(policyConflictWarnings(assignments, DEFAULT_COMPONENTS)).toEqual([
      PURVIEW_DEFAULT_WARNING,
      'Policy assignment Threat protection for AI (Enable threat protection for AI workloads) leaves it at the service default, ' +
        'which turns AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it.',
    ]);
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

  it('has nothing to say without assignments', () => {
    expect(policyConflictWarnings([], DEFAULT_COMPONENTS)).toEqual([]);
  });
});

describe('findDefenderForAiPolicy', () => {
  it.each([
    [THREAT_PROTECTION_DEFINITION, 'Enable threat protection for AI workloads'],
    [PROMPT_EVIDENCE_DEFINITION.toUpperCase(), 'Configure Defender for AI user prompt evidence'],
    [D4AI_INITIATIVE, 'Defender for AI initiative'],
    [`${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/Deploy-MDFC-Config`, ALZ_TITLE],
    [`${ROOT_MG_ID}/providers/Microsoft.Authorization/policySetDefinitions/deploy-mdfc-config-h224`, ALZ_TITLE],
  ])('finds %s', (id, title) => {
    expect(findDefenderForAiPolicy(id)?.title).toBe(title);
  });

  it('lists only lower-case id suffixes (matching lower-cases the id)', () => {
    for (const policy of DEFENDER_FOR_AI_POLICIES) expect(policy.idSuffix).toBe(policy.idSuffix.toLowerCase());
  });
});
