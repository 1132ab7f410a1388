import { governSubscription } from '../../../shared/engine/govern';
import { PRICING_WRITE_ROLE_GUIDANCE } from '../../../shared/engine/apply';
import { findingsOf, modelScanCovered } from '../../../shared/domain/findings';
import { toAiResource, isPrivateLink, SNAPSHOT_QUERIES } from '../../../shared/azure/tenant-snapshot.adapter';
import { config, context, standardPlan } from '../../builders/context.builder';
import { fakePorts } from '../../support/fake-ports';
import { FakeWorld, restError } from '../../support/fake-world';

/**
 * The prerequisites of the plan's components: AI model security needs Defender CSPM and cannot
 * reach private-link workspaces; a refused pricing write names the role the guidance requires.
 */
const SUB = '00000000-0000-4000-8000-0000000000d1';
const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ml-private`;
const ml = { id: WORKSPACE, type: 'Microsoft.MachineLearningServices/workspaces' };

describe('findings: model scanning prerequisites', () => {
  it('wants AIModelScanner with Defender CSPM Free: model-scan-needs-cspm, and the ML resources are not counted as scanned', () => {
    const ctx = context({ aiResources: [ml], pricing: standardPlan(['AIPromptEvidence', 'AIModelScanner']), cloudPosture: 'Free' });
    expect(findingsOf(ctx, config()).map((f) => f.type)).toContain('model-scan-needs-cspm');
    expect(modelScanCovered(ctx)).toEqual([]);
    expect(modelScanCovered({ ...ctx, cloudPosture: 'Standard' })).toHaveLength(1);
  });

  it('says nothing about CSPM when AIModelScanner is not wanted, CSPM is Standard or unknown, or there is no ML resource', () => {
    const base = { aiResources: [ml], pricing: standardPlan(['AIPromptEvidence', 'AIModelScanner']) };
    expect(findingsOf(context({ ...base, cloudPosture: 'Free' }), config({ D4AI_COMPONENTS: 'AIPromptEvidence' })).map((f) => f.type)).not.toContain('model-scan-needs-cspm');
    expect(findingsOf(context({ ...base, cloudPosture: 'Standard' }), config()).map((f) => f.type)).not.toContain('model-scan-needs-cspm');
    expect(findingsOf(context(base), config()).map((f) => f.type)).not.toContain('model-scan-needs-cspm');
    expect(findingsOf(context({ cloudPosture: 'Free' }), config()).map((f) => f.type)).not.toContain('model-scan-needs-cspm');
  });

  it('a private-link workspace gets model-scan-private-link naming it, and is not counted as scanned', () => {
    const ctx = context({ aiResources: [{ ...ml, privateLink: true }], pricing: standardPlan(['AIPromptEvidence', 'AIModelScanner']), cloudPosture: 'Standard' });
    expect(findingsOf(ctx, config()).find((f) => f.type === 'model-scan-private-link')).toMatchObject({ resourceId: WORKSPACE, message: expect.stringContaining('ml-private') });
    expect(modelScanCovered(ctx)).toEqual([]);
  });

  it('the snapshot reads private link from the resource properties and CSPM in the AI plan query', () => {
    expect(isPrivateLink({ publicNetworkAccess: 'Disabled' })).toBe(true);
    expect(isPrivateLink({ publicNetworkAccess: 'Enabled', privateEndpointConnections: [{ id: 'pe' }] })).toBe(true);
    expect(isPrivateLink({ publicNetworkAccess: 'Enabled', privateEndpointConnections: [] })).toBe(false);
    expect(toAiResource({ id: WORKSPACE, type: 'microsoft.machinelearningservices/workspaces', properties: { publicNetworkAccess: 'Disabled' } })).toMatchObject({ privateLink: true });
    expect(SNAPSHOT_QUERIES.aiPlans).toContain("name =~ 'CloudPosture' | project subscriptionId, cloudPostureTier = tostring(properties.pricingTier)");
    expect(SNAPSHOT_QUERIES.aiResources).toContain('properties');
  });
});

describe('single-subscription path: CSPM read only where it matters', () => {
  function world(): FakeWorld {
    const w = new FakeWorld();
    w.addSubscription(SUB, { displayName: 'ml' });
    w.addResource(SUB, { ...ml });
    return w;
  }

  it('reads CloudPosture (one GET) for a subscription with an ML resource and records the finding', async () => {
    const w = world();
    w.cloudPosture.set(SUB, 'Free');
    const result = await governSubscription(fakePorts(w), config({ D4AI_MODE: 'report' }), { subscriptionId: SUB, trigger: 'manual', runId: 'r1' });
    expect(w.calls.pricing).toMatchObject({ cloudPosture: 1 });
    expect(result.record.findings?.map((f) => f.type) ?? []).toContain('model-scan-needs-cspm');
  });

  it('does not read it without an ML resource', async () => {
    const w = new FakeWorld();
    w.addSubscription(SUB);
    w.addAccount(SUB, 'oai');
    await governSubscription(fakePorts(w), config({ D4AI_MODE: 'report' }), { subscriptionId: SUB, trigger: 'manual', runId: 'r2' });
    expect((w.calls.pricing as Record<string, number>).cloudPosture ?? 0).toBe(0);
  });

  it('a pricing write refused with 403 AuthorizationFailed names the role the guidance requires', async () => {
    const w = world();
    w.failNext('pricing', 'put', { error: () => restError(403, 'AuthorizationFailed', 'The client does not have authorization to perform action Microsoft.Security/pricings/write (injected).') });
    const result = await governSubscription(fakePorts(w), config(), { subscriptionId: SUB, trigger: 'manual', runId: 'r3' });
    expect(result.record).toMatchObject({ outcome: 'failed', error: { code: 'AuthorizationFailed' } });
    expect(result.record.error?.message).toContain(PRICING_WRITE_ROLE_GUIDANCE);
    expect(result.record.error?.message).toMatch(/Owner or Contributor.*Security Admin/);
  });
});
