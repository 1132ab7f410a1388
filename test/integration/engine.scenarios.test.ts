import { startAzuriteTable, type AzuriteTable } from '../support/azurite';
import { startStandIns, type StandIns } from '../support/stand-ins';
import { buildLandingZone, type LandingZone, type LandingZoneName } from '../fixtures/landing-zone';
import { defaultEnablePricing } from '../fixtures/pricing-bodies';
import { sweep } from '../../shared/engine/sweep';
import { governSubscription } from '../../shared/engine/govern';
import { engineFor, type EngineUnderTest } from './engine-harness';

/**
 * The whole engine against the ARM stand-in (real SDK clients, real tokens from the identity
 * stand-in) and Azurite: final ARM state, exact PUT bodies and every record.
 */
let standIns: StandIns;
let azurite: AzuriteTable;

beforeAll(async () => {
  // Small pages, so every list (subscriptions, resources, exemptions, assignments) is followed across pages.
  [standIns, azurite] = await Promise.all([startStandIns({ pageSize: 5 }), startAzuriteTable()]);
});
afterAll(async () => {
  await Promise.all([standIns?.close(), azurite?.close()]);
});

function setUp(env: Record<string, string> = {}): { zone: LandingZone; engine: EngineUnderTest } {
  standIns.arm.reset();
  const zone = buildLandingZone(standIns.arm.state);
  const engine = engineFor(standIns.arm.endpoint, azurite.connectionString, standIns.credential, { ...zone.env, ...env });
  return { zone, engine };
}

const extensionsOf = (zone: LandingZone, name: LandingZoneName): Record<string, string> => {
  const pricing = standIns.arm.state.getPricing(zone.ids[name], 'AI');
  return Object.fromEntries((pricing?.extensions ?? []).map((e) => [e.name, e.isEnabled]));
};

const putsTo = (subscriptionId: string) =>
  standIns.arm.requestsMatching('PUT', new RegExp(`/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings/AI$`, 'i'));

describe('enforcing sweep over the simulated landing zone', () => {
  let zone: LandingZone;
  let engine: EngineUnderTest;
  let summary: Awaited<ReturnType<typeof sweep>>;

  beforeAll(async () => {
    ({ zone, engine } = setUp());
    summary = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
  });

  it('decides every subscription as expected and records each decision exactly once', async () => {
    expect(summary.subscriptions).toBe(Object.keys(zone.ids).length);
    for (const [name, expected] of Object.entries(zone.expected) as Array<[LandingZoneName, (typeof zone.expected)[LandingZoneName]]>) {
      const stored = await engine.ports.records.list(zone.ids[name], 10);
      expect({ name, count: stored.length }).toEqual({ name, count: 1 });
      const record = stored[0];
      expect({ name, action: record?.action, skipReason: record?.skipReason, outcome: record?.outcome }).toEqual({
        name,
        action: expected.action,
        skipReason: expected.skipReason,
        outcome: expected.outcome,
      });
      expect(record?.trigger).toBe('sweep');
      expect(record?.mode).toBe('enforce');
      expect(record?.reasons.length).toBeGreaterThan(0);
    }
  });

  it('leaves the plans in the right final state', () => {
    expect(standIns.arm.state.getPricing(zone.ids['corp-ai-prod'], 'AI')?.pricingTier).toBe('Standard');
    expect(extensionsOf(zone, 'corp-ai-prod')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'True' });
    expect(extensionsOf(zone, 'corp-ai-dev')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'True' });
    expect(extensionsOf(zone, 'ml-platform')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'True' });
    // Purview sharing was on before: it stays on, nothing is switched off.
    expect(extensionsOf(zone, 'purview-already-on')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'True' });
    for (const name of ['identity', 'connectivity', 'sandbox-excluded', 'research-opt-out', 'legacy-exempt', 'decommissioned'] as const) {
      expect({ name, tier: standIns.arm.state.getPricing(zone.ids[name], 'AI')?.pricingTier }).toEqual({ name, tier: 'Free' });
    }
  });

  it('PUTs the exact body: Standard and every AI extension listed explicitly', () => {
    const [put] = putsTo(zone.ids['corp-ai-prod']);
    expect(put?.body).toEqual({ properties: defaultEnablePricing() });
    const [purviewPut] = putsTo(zone.ids['purview-already-on']);
    expect(purviewPut?.body).toEqual({
      properties: {
        pricingTier: 'Standard',
        extensions: [
          { name: 'AIPromptEvidence', isEnabled: 'True' },
          { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
          { name: 'AIModelScanner', isEnabled: 'True' },
        ],
      },
    });
  });

  it('writes only where the decision says so, one write per subscription, and never deletes', () => {
    const written = ['corp-ai-prod', 'corp-ai-dev', 'ml-platform', 'purview-already-on', 'flaky-scanner'] as const;
    for (const name of Object.keys(zone.ids) as LandingZoneName[]) {
      expect({ name, puts: putsTo(zone.ids[name]).length }).toEqual({ name, puts: (written as readonly string[]).includes(name) ? 1 : 0 });
      expect(standIns.arm.maxConcurrentPricingWrites(zone.ids[name])).toBeLessThanOrEqual(1);
    }
    expect(standIns.arm.requestsMatching('DELETE')).toHaveLength(0);
  });

  it('reads each subscription once, from the list, not again one by one', () => {
    expect(standIns.arm.requestsMatching('GET', /^\/subscriptions$/).length).toBeGreaterThan(0);
    expect(standIns.arm.requestsMatching('GET', /^\/subscriptions\/[^/]+$/)).toHaveLength(0);
  });

  it('records a partial failure (extension operationStatus Failed) as failed, with the service message', async () => {
    const [record] = await engine.ports.records.list(zone.ids['flaky-scanner'], 1);
    expect(record?.error).toEqual({ code: 'ExtensionFailed', message: 'AIModelScanner: Model scanning is not available in this region yet.' });
    expect(record?.pricingAfter?.tier).toBe('Standard');
    expect(record?.pricingAfter?.extensions.AIModelScanner).toBe(false);
  });

  it('warns when the landing-zone policy fights the configured components', async () => {
    const [record] = await engine.ports.records.list(zone.ids['purview-already-on'], 1);
    expect(record?.warnings).toHaveLength(1);
    expect(record?.warnings[0]).toMatch(/Deploy Microsoft Defender for Cloud configuration.*AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it/);
  });

  it('stores before/after pricing, resource ids and no personal data', async () => {
    const [record] = await engine.ports.records.list(zone.ids['corp-ai-dev'], 1);
    expect(record?.pricingBefore).toEqual({
      tier: 'Standard',
      extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: false },
    });
    expect(record?.pricingAfter?.extensions).toEqual({ AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: true });
    expect(record?.aiResourceCount).toBe(2);
    expect(record?.aiResourceIds).toEqual([
      `/subscriptions/${zone.ids['corp-ai-dev']}/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/ais-dev`,
      `/subscriptions/${zone.ids['corp-ai-dev']}/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/ais-dev/projects/agents`,
    ]);
  });

  it('logs one decision line per subscription and a sweep summary', () => {
    const decisions = engine.logs.filter((l) => l.message === 'D4AI decision');
    expect(decisions).toHaveLength(Object.keys(zone.ids).length);
    expect(decisions.filter((l) => l.level === 'error').map((l) => l.fields.subscriptionId)).toEqual([zone.ids['flaky-scanner']]);
    const summaryLine = engine.logs.find((l) => l.message === 'D4AI sweep summary');
    expect(summaryLine?.fields).toMatchObject({ governed: 13, applied: 4, failed: 1, skipped: 7 });
  });

  it('is idempotent: a second sweep finds the applied subscriptions compliant and writes nothing new', async () => {
    const putsBefore = standIns.arm.requestsMatching('PUT').length;
    const second = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    const again = standIns.arm.requestsMatching('PUT').length - putsBefore;
    // Only the flaky subscription is still missing a component and is tried again.
    expect(again).toBe(1);
    // The four just applied plus the one that was compliant from the start.
    expect(second.byAction.none).toBe(5);
  });
});

describe('reads', () => {
  it('follows nextLink pages and reuses one managed identity token for the whole sweep', async () => {
    const { engine } = setUp();
    const tokensBefore = standIns.identity.requests;
    const summary = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    expect(summary.subscriptions).toBe(13);
    expect(standIns.arm.requestsMatching('GET', /^\/subscriptions$/).length).toBe(3);
    expect(standIns.identity.requests - tokensBefore).toBeLessThanOrEqual(1);
  });

  it('a subscription where the AI plan is not offered is skipped as plan-unavailable, without a write', async () => {
    const { zone, engine } = setUp();
    standIns.arm.state.removePricing(zone.ids['corp-ai-prod'], 'AI');
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['corp-ai-prod'], trigger: 'cli' });
    expect(record).toMatchObject({ action: 'skip', skipReason: 'plan-unavailable', outcome: 'no-op' });
    expect(standIns.arm.requestsMatching('PUT')).toHaveLength(0);
  });

  it('an exemption on another assignment, or an expired one, does not exempt', async () => {
    const { zone, engine } = setUp();
    standIns.arm.state.addExemption(zone.ids['ml-platform'], {
      name: 'other',
      policyAssignmentId: '/subscriptions/x/providers/Microsoft.Authorization/policyAssignments/other',
    });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['ml-platform'], trigger: 'cli' });
    expect(record.action).toBe('enable');
    // corp-ai-prod carries an expired exemption on our assignment (see the landing zone).
    const prod = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['corp-ai-prod'], trigger: 'cli' });
    expect(prod.record.action).toBe('enable');
  });
});

describe('report mode (dry run)', () => {
  it('decides and records but never writes to ARM', async () => {
    const { zone, engine } = setUp({ D4AI_MODE: 'report' });
    const summary = await sweep(engine.ports, engine.config, { trigger: 'cli' });
    expect(standIns.arm.requestsMatching('PUT')).toHaveLength(0);
    expect(standIns.arm.requestsMatching('DELETE')).toHaveLength(0);
    expect(summary.byOutcome['dry-run']).toBe(5);
    const [record] = await engine.ports.records.list(zone.ids['corp-ai-prod'], 1);
    expect(record).toMatchObject({ action: 'enable', outcome: 'dry-run', mode: 'report' });
    expect(record?.reasons).toContain('Report mode (dry run): nothing was written.');
  });
});

describe('settings change the decisions', () => {
  it('D4AI_ENABLE_WHEN=always enables subscriptions without AI resources', async () => {
    const { zone, engine } = setUp({ D4AI_ENABLE_WHEN: 'always' });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids.identity, trigger: 'manual' });
    expect(record).toMatchObject({ action: 'enable', outcome: 'applied', aiResourceCount: 0 });
    expect(standIns.arm.state.getPricing(zone.ids.identity, 'AI')?.pricingTier).toBe('Standard');
  });

  it('the enablement cap stops writes after N and records cap-reached for the rest', async () => {
    const { engine } = setUp({ D4AI_MAX_ENABLEMENTS_PER_RUN: '2', D4AI_SWEEP_CONCURRENCY: '4' });
    const summary = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    expect(standIns.arm.requestsMatching('PUT')).toHaveLength(2);
    expect(summary.capReached).toBe(3);
    expect(summary.records.filter((r) => r.skipReason === 'cap-reached').every((r) => r.outcome === 'no-op')).toBe(true);
  });

  it('all three components, Purview included, when configured', async () => {
    const { zone, engine } = setUp({ D4AI_COMPONENTS: 'AIPromptEvidence,AIPromptSharingWithPurview,AIModelScanner' });
    await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['corp-ai-prod'], trigger: 'cli' });
    expect(extensionsOf(zone, 'corp-ai-prod')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'True' });
  });
});

describe('ARM faults', () => {
  it('429 with Retry-After is retried by the SDK pipeline and the run succeeds', async () => {
    const { zone, engine } = setUp();
    standIns.arm.faults.throttle(1, 1, { method: 'PUT' });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['corp-ai-prod'], trigger: 'cli' });
    expect(record.outcome).toBe('applied');
    expect(putsTo(zone.ids['corp-ai-prod']).map((r) => r.status)).toEqual([429, 200]);
  });

  it('409 "another update in progress" is retried after a back-off, not surfaced', async () => {
    const { zone, engine } = setUp();
    standIns.arm.faults.conflict(2, { method: 'PUT' });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['ml-platform'], trigger: 'cli' });
    expect(record.outcome).toBe('applied');
    expect(engine.sleeps).toEqual([2000, 5000]);
    expect(putsTo(zone.ids['ml-platform']).map((r) => r.status)).toEqual([409, 409, 200]);
    expect(record.reasons.filter((r) => r.includes('conflicted'))).toHaveLength(2);
  });

  it('a persistent 5xx becomes a failed record with the ARM error code, and the sweep goes on', async () => {
    const { zone, engine } = setUp();
    standIns.arm.faults.serverError(Infinity, 500, { method: 'GET', path: new RegExp(`${zone.ids['corp-ai-prod']}/providers/Microsoft.Security`, 'i') });
    const summary = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    const failed = summary.records.find((r) => r.subscriptionId === zone.ids['corp-ai-prod']);
    expect(failed).toMatchObject({ action: 'undecided', outcome: 'failed', error: { code: 'InternalServerError' } });
    // Everything else still got its decision.
    expect(summary.records).toHaveLength(13);
    expect(summary.byOutcome.applied).toBe(3);
  });

  it('an unknown subscription is a failed record, not a crash', async () => {
    const { engine } = setUp();
    const { record } = await governSubscription(engine.ports, engine.config, {
      subscriptionId: '99999999-9999-4999-8999-999999999999',
      trigger: 'cli',
    });
    expect(record).toMatchObject({ action: 'undecided', outcome: 'failed', error: { code: 'SubscriptionNotFound' } });
  });
});
