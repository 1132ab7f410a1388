import { NOT_INDEXED_PLAN, contextFromArm, contextFromSnapshot, withTriggerEvidence } from '../../../shared/domain/context-sources';
import { decide } from '../../../shared/domain/decide';
import { SUB, aiResource, config, openAiAccount, standardPlan, subscription } from '../../builders/context.builder';

const ACCOUNT = `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-new`;

describe('withTriggerEvidence', () => {
  it('ignores a resource of another subscription (outside input cannot make this one qualify)', () => {
    const elsewhere = ACCOUNT.replace(SUB, '11111111-2222-4333-8444-555555555555');
    expect(withTriggerEvidence([], { resourceId: elsewhere }, SUB)).toEqual([]);
    expect(withTriggerEvidence([], { resourceId: '/subscriptionsX/' + ACCOUNT }, SUB)).toEqual([]);
  });

  const speech = { ...openAiAccount('speech'), kind: 'SpeechServices' };
  it('keeps the listed AI resources and drops the listed non-AI kinds', () => {
    expect(withTriggerEvidence([openAiAccount('a'), speech], undefined, SUB).map((r) => r.id)).toEqual([openAiAccount('a').id]);
  });
  it("adds the event's own resource when the list does not show it yet", () => {
    expect(withTriggerEvidence([], { resourceId: ACCOUNT }, SUB)).toEqual([{ id: ACCOUNT, type: 'Microsoft.CognitiveServices/accounts' }]);
  });
  it('lets the list win: a listed Speech account stays not AI even when an event named it', () => {
    expect(withTriggerEvidence([speech], { resourceId: speech.id.toUpperCase() }, SUB)).toEqual([]);
  });
  it('does not add an unlisted resource whose known kind is not AI, nor a resource of another type', () => {
    expect(withTriggerEvidence([], { resourceId: ACCOUNT, resourceKind: 'Face' }, SUB)).toEqual([]);
    expect(withTriggerEvidence([], { resourceId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv` }, SUB)).toEqual([]);
  });
  it('adds a project (a type that needs no kind) and keeps the kind the trigger knew', () => {
    const project = `${ACCOUNT}/projects/agents`;
    expect(withTriggerEvidence([], { resourceId: project }, SUB)).toEqual([{ id: project, type: 'Microsoft.CognitiveServices/accounts/projects' }]);
    expect(withTriggerEvidence([], { resourceId: ACCOUNT, resourceKind: 'AIServices' }, SUB)[0]).toMatchObject({ kind: 'AIServices' });
  });
});

describe('contextFromSnapshot', () => {
  it('assumes Free for a plan the index has no row for, so the subscription is nominated and the fresh read decides', () => {
    const context = contextFromSnapshot({ subscription: subscription(), aiResources: [openAiAccount()] }, { assignments: [], exemptions: [] }, config(), new Date());
    expect(context.pricing).toEqual(NOT_INDEXED_PLAN);
    expect(decide(context, config()).action).toBe('enable');
  });
  it('takes the indexed plan as it is', () => {
    const context = contextFromSnapshot({ subscription: subscription(), pricing: standardPlan(['AIPromptEvidence', 'AIModelScanner']), aiResources: [aiResource('Microsoft.MachineLearningServices/workspaces', 'mlw')] }, { assignments: [], exemptions: [] }, config(), new Date());
    expect(decide(context, config()).action).toBe('none');
  });
});

describe('contextFromArm', () => {
  it('has no pricing when the service offers no AI plan (decided plan-unavailable)', () => {
    const context = contextFromArm({ subscription: subscription(), typedResources: [openAiAccount()], policyAssignments: [], exemptions: [] }, config(), undefined, new Date());
    expect(context).not.toHaveProperty('pricing');
    expect(decide(context, config())).toMatchObject({ action: 'skip', skipReason: 'plan-unavailable' });
  });
});
