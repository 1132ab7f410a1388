import {
  AUDIT_POLICY_DEFINITION_ID,
  activeExemption,
  coversSubscription,
  exemptingAssignmentIds,
  isDefenderForAiDefinition,
  narrowPolicyView,
  policyContextFor,
  policyResourceScope,
} from '../../../shared/domain/policy-scope';
import type { ExemptionView, PolicyAssignmentView } from '../../../shared/domain/model';

const SUB = '00000000-0000-4000-8000-0000000000a1';
const MG = (id: string): string => `/providers/Microsoft.Management/managementGroups/${id}`;
const subscription = { subscriptionId: SUB, managementGroupAncestors: ['corp', 'landing-zones', 'contoso', 'tenant-root'] };
const NOW = new Date('2026-06-01T00:00:00Z');
const AUDIT = `${MG('contoso')}/providers/Microsoft.Authorization/policyAssignments/d4ai-audit`;
const DINE = '/providers/Microsoft.Authorization/policyDefinitions/7e92882a-2f8a-4991-9bc4-d3147d40abb0';

function assignment(overrides: Partial<PolicyAssignmentView> = {}): PolicyAssignmentView {
  return { id: AUDIT, policyDefinitionId: AUDIT_POLICY_DEFINITION_ID, parameters: {}, scope: MG('contoso'), notScopes: [], ...overrides };
}

function exemption(overrides: Partial<ExemptionView> = {}): ExemptionView {
  return { id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/policyExemptions/waiver`, policyAssignmentId: AUDIT, category: 'Waiver', ...overrides };
}

describe('coversSubscription', () => {
  it.each([
    [`/subscriptions/${SUB}`, true],
    [`/SUBSCRIPTIONS/${SUB.toUpperCase()}/`, true],
    [MG('contoso'), true],
    [MG('CORP'), true],
    [MG('tenant-root'), true],
    [MG('sandbox'), false],
    [`/subscriptions/${SUB}/resourceGroups/rg-ai`, false],
    ['/subscriptions/00000000-0000-4000-8000-0000000000b2', false],
  ])('%s -> %p', (scope, expected) => {
    expect(coversSubscription(scope, subscription)).toBe(expected);
  });

  it('knows no management group above a subscription read directly from ARM', () => {
    expect(coversSubscription(MG('contoso'), { subscriptionId: SUB })).toBe(false);
  });
});

describe('activeExemption', () => {
  const relevant = new Set([AUDIT.toLowerCase()]);
  it('takes an unexpired exemption on a relevant assignment, or one without expiry', () => {
    expect(activeExemption([exemption({ expiresOn: '2026-06-02T00:00:00Z' })], relevant, NOW)).toMatchObject({ expiresOn: '2026-06-02T00:00:00Z' });
    expect(activeExemption([exemption()], relevant, NOW)).toMatchObject({ category: 'Waiver' });
  });
  it('never counts an expired one (expiry at this very moment included) or one on another assignment', () => {
    expect(activeExemption([exemption({ expiresOn: '2026-06-01T00:00:00Z' })], relevant, NOW)).toBeUndefined();
    expect(activeExemption([exemption({ policyAssignmentId: '/x/policyAssignments/other' })], relevant, NOW)).toBeUndefined();
  });
});

describe('isDefenderForAiDefinition and exemptingAssignmentIds', () => {
  it('knows the audit policy and the DeployIfNotExists ones, nothing else', () => {
    expect(isDefenderForAiDefinition(AUDIT_POLICY_DEFINITION_ID.toUpperCase())).toBe(true);
    expect(isDefenderForAiDefinition(DINE)).toBe(true);
    expect(isDefenderForAiDefinition('/providers/Microsoft.Authorization/policyDefinitions/0000')).toBe(false);
  });
  it('adds the configured assignment to the Defender-for-AI ones that apply', () => {
    const ids = exemptingAssignmentIds([assignment(), assignment({ id: '/x/other', policyDefinitionId: '/y/unrelated' })], '/Configured/Id');
    expect([...ids].sort()).toEqual(['/configured/id', AUDIT.toLowerCase()].sort());
  });
});

describe('policyContextFor (a tenant snapshot)', () => {
  it('takes assignments at the subscription or above it, minus notScopes, and exemptions at or above it', () => {
    const view = {
      assignments: [
        assignment(),
        assignment({ id: '/dine-elsewhere', policyDefinitionId: DINE, scope: MG('sandbox') }),
        assignment({ id: '/dine-excluded', policyDefinitionId: DINE, scope: MG('contoso'), notScopes: [MG('corp')] }),
      ],
      exemptions: [exemption({ id: `${MG('landing-zones')}/providers/Microsoft.Authorization/policyExemptions/lz-waiver` })],
    };
    const result = policyContextFor(view, subscription, undefined, NOW);
    expect(result.policyAssignments.map((a) => a.id)).toEqual([AUDIT]);
    expect(result.policyAssignments[0]).not.toHaveProperty('scope');
    expect(result.exemption?.id).toContain('lz-waiver');
  });
  it('ignores an exemption on a resource group below the subscription', () => {
    const view = { assignments: [assignment()], exemptions: [exemption({ id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Authorization/policyExemptions/rg-waiver` })] };
    expect(policyContextFor(view, subscription, undefined, NOW).exemption).toBeUndefined();
  });
});

describe('narrowPolicyView and policyResourceScope', () => {
  it('keeps the Defender-for-AI assignments (and the configured one) and only the exemptions on them', () => {
    const view = narrowPolicyView(
      [assignment(), assignment({ id: '/x/unrelated', policyDefinitionId: '/y/other' }), assignment({ id: '/configured', policyDefinitionId: '/y/custom' })],
      [exemption(), exemption({ policyAssignmentId: '/x/unrelated' }), exemption({ policyAssignmentId: '/CONFIGURED' })],
      '/configured',
    );
    expect(view.assignments.map((a) => a.id)).toEqual([AUDIT, '/configured']);
    expect(view.exemptions.map((e) => e.policyAssignmentId)).toEqual([AUDIT, '/CONFIGURED']);
  });
  it('reads the scope off a policy resource id', () => {
    expect(policyResourceScope(`${MG('contoso')}/providers/Microsoft.Authorization/policyExemptions/x`)).toBe(MG('contoso'));
  });
});
