import type { LandingZone, LandingZoneName } from '../../sim/landing-zone';
import { defaultEnablePricing } from '../fixtures/pricing-bodies';
import { sweep, watchPass } from '../../shared/engine/snapshot-pass';
import { governSubscription } from '../../shared/engine/govern';
import type { RemediationRecord } from '../../shared/records/record';
import { landingZoneEngine, useEngineStandIns, type EngineUnderTest } from './engine-harness';
import { isAccountRead } from '../support/arm-requests';

/**
 * The whole engine against the ARM and Resource Graph stand-in (real SDK clients, real tokens from
 * the identity stand-in) and Azurite: final ARM state, exact PUT bodies, every record, and the
 * requests it took.
 */
const lab = useEngineStandIns();
/** The simulated landing zone's subscriptions, and its Azure OpenAI / AI Services accounts in the subscriptions a sweep looks into (not excluded, opted out or disabled). */
const SUBSCRIPTIONS = 17;
const ACCOUNTS_LOOKED_INTO = 11;

const setUp = (env: Record<string, string> = {}) => landingZoneEngine(lab.standIns, lab.azurite.connectionString, env);

const extensionsOf = (zone: LandingZone, name: LandingZoneName): Record<string, string> => {
  const pricing = lab.standIns.arm.state.getPricing(zone.ids[name], 'AI');
  return Object.fromEntries((pricing?.extensions ?? []).map((e) => [e.name, e.isEnabled]));
};

const graphRequests = () => lab.standIns.arm.requestsMatching('POST', /^\/providers\/Microsoft\.ResourceGraph\/resources$/i);
const armRequests = () => lab.standIns.arm.requests.filter((r) => !/^\/providers\/Microsoft\.ResourceGraph\//i.test(r.path));

/** Sweeps, keeping the records it stored (in the order stored). */
async function sweepKeeping(engine: EngineUnderTest, trigger: 'sweep' | 'cli' = 'sweep') {
  const records: RemediationRecord[] = [];
  const result = await sweep(engine.ports, engine.config, { trigger, onRecord: (r) => records.push(r) });
  return { ...result, records };
}

const putsTo = (subscriptionId: string) =>
  lab.standIns.arm.requestsMatching('PUT', new RegExp(`/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings/AI$`, 'i'));

describe('enforcing sweep over the simulated landing zone', () => {
  let zone: LandingZone;
  let engine: EngineUnderTest;
  let result: Awaited<ReturnType<typeof sweepKeeping>>;

  beforeAll(async () => {
    ({ zone, engine } = setUp());
    result = await sweepKeeping(engine);
  });

  it('decides every subscription as expected and records each decision exactly once', async () => {
    expect(result.summary.subscriptions).toBe(Object.keys(zone.ids).length);
    expect(result.unrecorded).toEqual([]);
    for (const [name, expected] of Object.entries(zone.expected) as Array<[LandingZoneName, (typeof zone.expected)[LandingZoneName]]>) {
      const stored = (await engine.ports.records.list(zone.ids[name], 10)).records;
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
    expect(lab.standIns.arm.state.getPricing(zone.ids['corp-ai-prod'], 'AI')?.pricingTier).toBe('Standard');
    expect(extensionsOf(zone, 'corp-ai-prod')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'True' });
    expect(extensionsOf(zone, 'corp-ai-dev')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'True' });
    expect(extensionsOf(zone, 'ml-platform')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'False', AIModelScanner: 'True' });
    // Purview sharing was on before: it stays on, nothing is switched off.
    expect(extensionsOf(zone, 'purview-already-on')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'True' });
    for (const name of ['identity', 'connectivity', 'sandbox-excluded', 'research-opt-out', 'legacy-exempt', 'decommissioned'] as const) {
      expect({ name, tier: lab.standIns.arm.state.getPricing(zone.ids[name], 'AI')?.pricingTier }).toEqual({ name, tier: 'Free' });
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
      expect(lab.standIns.arm.maxConcurrentPricingWrites(zone.ids[name])).toBeLessThanOrEqual(1);
    }
    expect(lab.standIns.arm.requestsMatching('DELETE')).toHaveLength(0);
  });

  it('reads the tenant from one Resource Graph snapshot and spends ARM requests only where a write is due', () => {
    // Nothing listed or read subscription by subscription through ARM.
    expect(lab.standIns.arm.requestsMatching('GET', /^\/subscriptions$/)).toHaveLength(0);
    expect(lab.standIns.arm.requestsMatching('GET', /^\/subscriptions\/[^/]+$/)).toHaveLength(0);
    expect(lab.standIns.arm.requestsMatching('GET', /\/resources$|policyAssignments$|policyExemptions$/)).toHaveLength(0);
    // The accounts of every subscription looked into: 3 reads each (Defender-for-AI setting, deployments, content filters).
    expect(armRequests().filter(isAccountRead)).toHaveLength(3 * ACCOUNTS_LOOKED_INTO);
    // Plans: one refresh GET per write candidate of the snapshot (the 5 writers, managed-elsewhere,
    // which the index cannot show as managed, and all-opted-out, whose accounts make it a skip).
    // Writes: 5 subscriptions (4 applied, 1 partial failure), 3 ARM requests each: fresh GET under
    // the lock, PUT, verification GET.
    expect(armRequests().filter((r) => !isAccountRead(r)).map((r) => `${r.method} ${r.path.replace(/\/subscriptions\/[^/]+/, '/subscriptions/*')}`).sort()).toEqual(
      [...Array(7 + 5 + 5).fill('GET /subscriptions/*/providers/Microsoft.Security/pricings/AI'), ...Array(5).fill('PUT /subscriptions/*/providers/Microsoft.Security/pricings/AI')].sort(),
    );
    // Resource Graph, 5 rows a page here: 17 subscriptions = 4 pages, each with its AI plans and
    // AI resources, plus the policy view.
    const graph = graphRequests();
    expect(graph.length).toBeLessThanOrEqual(4 * Math.ceil(SUBSCRIPTIONS / 5) + 2);
    const bodies = graph.map((r) => r.body as { query: string; managementGroups?: string[]; subscriptions?: string[]; options?: { $top?: number } });
    expect(bodies.every((b) => b.options?.$top === 1000)).toBe(true);
    expect(bodies.filter((b) => b.query.startsWith('resourcecontainers')).every((b) => b.managementGroups?.[0] === 'contoso')).toBe(true);
    expect(bodies.filter((b) => b.query.startsWith('securityresources') || b.query.startsWith('resources')).every((b) => (b.subscriptions?.length ?? 0) > 0 && (b.subscriptions?.length ?? 0) <= 5)).toBe(true);
  });

  it('records an extension the region cannot enable as partial, with the service message and a back-off', async () => {
    const [record] = (await engine.ports.records.list(zone.ids['flaky-scanner'], 1)).records;
    expect(record?.outcome).toBe('partial');
    expect(record?.error).toEqual({ code: 'ExtensionFailed', message: 'AIModelScanner: Model scanning is not available in this region yet.' });
    expect(record?.pricingAfter?.tier).toBe('Standard');
    expect(record?.pricingAfter?.extensions.AIModelScanner).toBe(false);
    expect(record).toMatchObject({ failedExtensions: ['AIModelScanner'], partialAttempts: 1 });
    // First failure: tried again in an hour, not on the next pass.
    expect(Date.parse(record?.retryAfter ?? '') - Date.parse(record?.recordedAt ?? '')).toBe(60 * 60_000);
  });

  it('warns when the landing-zone policy fights the configured components', async () => {
    const [record] = (await engine.ports.records.list(zone.ids['purview-already-on'], 1)).records;
    expect(record?.warnings).toHaveLength(1);
    expect(record?.warnings[0]).toMatch(/Deploy Microsoft Defender for Cloud configuration.*AIPromptSharingWithPurview on; D4AI_COMPONENTS excludes it/);
  });

  it('stores before/after pricing, resource ids and no personal data', async () => {
    const [record] = (await engine.ports.records.list(zone.ids['corp-ai-dev'], 1)).records;
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

  it('hands every record to the caller as it is stored, once', () => {
    expect(result.records.map((r) => r.subscriptionId).sort()).toEqual(Object.values(zone.ids).sort());
  });

  it('logs one decision line per subscription and a sweep summary', () => {
    const decisions = engine.logs.filter((l) => l.message === 'D4AI decision');
    expect(decisions).toHaveLength(Object.keys(zone.ids).length);
    expect(decisions.filter((l) => l.level === 'error')).toEqual([]);
    // A new extension failure is a warning the alert picks up once (newFailure), not an error every night.
    expect(decisions.filter((l) => l.level === 'warn').map((l) => [l.fields.subscriptionId, l.fields.newFailure])).toEqual([[zone.ids['flaky-scanner'], true]]);
    const summaryLine = engine.logs.find((l) => l.message === 'D4AI sweep summary');
    expect(summaryLine?.fields).toMatchObject({ governed: SUBSCRIPTIONS, applied: 4, failed: 0, skipped: 10 });
  });

  it('is idempotent: a second sweep finds the applied subscriptions compliant and writes nothing new', async () => {
    const putsBefore = lab.standIns.arm.requestsMatching('PUT').length;
    const second = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    const again = lab.standIns.arm.requestsMatching('PUT').length - putsBefore;
    // The flaky subscription still misses the scanner, but waits out its back-off: no PUT at all.
    expect(again).toBe(0);
    // The four just applied plus the two that were compliant from the start.
    expect(second.summary.byAction.none).toBe(6);
    const [flaky] = (await engine.ports.records.list(zone.ids['flaky-scanner'], 1)).records;
    expect(flaky).toMatchObject({ action: 'skip', skipReason: 'extension-backoff', failedExtensions: ['AIModelScanner'], partialAttempts: 1 });
  });
});

describe('reads', () => {
  it('follows Resource Graph $skipToken pages and reuses one managed identity token for the whole sweep', async () => {
    const { engine } = setUp();
    const tokensBefore = lab.standIns.identity.requests;
    const { summary } = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    expect(summary.subscriptions).toBe(SUBSCRIPTIONS);
    const listings = graphRequests().filter((r) => (r.body as { query: string }).query.startsWith('resourcecontainers'));
    expect(listings).toHaveLength(4);
    expect(listings.map((r) => (r.body as { options?: { $skipToken?: string } }).options?.$skipToken === undefined)).toEqual([true, false, false, false]);
    expect(lab.standIns.identity.requests - tokensBefore).toBeLessThanOrEqual(1);
  });

  it('a subscription where the AI plan is not offered is skipped as plan-unavailable, without a write', async () => {
    const { zone, engine } = setUp();
    lab.standIns.arm.state.removePricing(zone.ids['corp-ai-prod'], 'AI');
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['corp-ai-prod'], trigger: 'cli' });
    expect(record).toMatchObject({ action: 'skip', skipReason: 'plan-unavailable', outcome: 'no-op' });
    expect(lab.standIns.arm.requestsMatching('PUT')).toHaveLength(0);
  });

  it('an exemption on another assignment, or an expired one, does not exempt', async () => {
    const { zone, engine } = setUp();
    lab.standIns.arm.state.addExemption(zone.ids['ml-platform'], {
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
    const { summary } = await sweep(engine.ports, engine.config, { trigger: 'cli' });
    // A dry run sends no ARM request but the per-account reads and one refresh GET per write
    // candidate of the snapshot (7): the plan it shows rests on ARM, not on the lagging index.
    expect(armRequests().filter((r) => !isAccountRead(r)).map((r) => `${r.method} ${r.path.replace(/\/subscriptions\/[^/]+/, '/subscriptions/*')}`)).toEqual(Array(7).fill('GET /subscriptions/*/providers/Microsoft.Security/pricings/AI'));
    expect(armRequests().filter(isAccountRead)).toHaveLength(3 * ACCOUNTS_LOOKED_INTO);
    expect(lab.standIns.arm.requestsMatching('PUT')).toHaveLength(0);
    expect(lab.standIns.arm.requestsMatching('DELETE')).toHaveLength(0);
    expect(summary.byOutcome['dry-run']).toBe(5);
    const [record] = (await engine.ports.records.list(zone.ids['corp-ai-prod'], 1)).records;
    expect(record).toMatchObject({ action: 'enable', outcome: 'dry-run', mode: 'report' });
    expect(record?.reasons).toContain('Report mode (dry run): nothing was written.');
  });
});

describe('settings change the decisions', () => {
  it('D4AI_ENABLE_WHEN=always enables subscriptions without AI resources', async () => {
    const { zone, engine } = setUp({ D4AI_ENABLE_WHEN: 'always' });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids.identity, trigger: 'manual' });
    expect(record).toMatchObject({ action: 'enable', outcome: 'applied', aiResourceCount: 0 });
    expect(lab.standIns.arm.state.getPricing(zone.ids.identity, 'AI')?.pricingTier).toBe('Standard');
  });

  it('the enablement cap stops writes after N and records cap-reached for the rest', async () => {
    const { engine } = setUp({ D4AI_MAX_ENABLEMENTS_PER_RUN: '2', D4AI_SWEEP_CONCURRENCY: '4' });
    const { summary, records } = await sweepKeeping(engine);
    expect(lab.standIns.arm.requestsMatching('PUT')).toHaveLength(2);
    expect(summary.capReached).toBe(3);
    expect(records.filter((r) => r.skipReason === 'cap-reached').every((r) => r.outcome === 'no-op')).toBe(true);
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
    lab.standIns.arm.faults.throttle(1, 1, { method: 'PUT' });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['corp-ai-prod'], trigger: 'cli' });
    expect(record.outcome).toBe('applied');
    expect(putsTo(zone.ids['corp-ai-prod']).map((r) => r.status)).toEqual([429, 200]);
  });

  it('409 "another update in progress" is retried after a back-off, not surfaced', async () => {
    const { zone, engine } = setUp();
    lab.standIns.arm.faults.conflict(2, { method: 'PUT' });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['ml-platform'], trigger: 'cli' });
    expect(record.outcome).toBe('applied');
    expect(engine.sleeps).toEqual([2000, 5000]);
    expect(putsTo(zone.ids['ml-platform']).map((r) => r.status)).toEqual([409, 409, 200]);
    expect(record.reasons.filter((r) => r.includes('conflicted'))).toHaveLength(2);
  });

  it('a persistent 5xx on the fresh read becomes a failed record with the ARM error code, nothing is written, and the sweep goes on', async () => {
    const { zone, engine } = setUp();
    lab.standIns.arm.faults.serverError(Infinity, 500, { method: 'GET', path: new RegExp(`${zone.ids['corp-ai-prod']}/providers/Microsoft.Security`, 'i') });
    const { summary, records } = await sweepKeeping(engine);
    const failed = records.find((r) => r.subscriptionId === zone.ids['corp-ai-prod']);
    expect(failed).toMatchObject({ action: 'enable', outcome: 'failed', error: { code: 'FreshReadFailed:InternalServerError' } });
    expect(putsTo(zone.ids['corp-ai-prod'])).toHaveLength(0);
    // Everything else still got its decision.
    expect(records).toHaveLength(SUBSCRIPTIONS);
    expect(summary.byOutcome.applied).toBe(3);
  });

  it('paces Resource Graph pages by the quota headers instead of running into 429s', async () => {
    const { engine } = setUp();
    lab.standIns.arm.graph.quota = { limit: 4, windowMs: 1500 };
    const started = Date.now();
    const { summary } = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    expect(summary.subscriptions).toBe(SUBSCRIPTIONS);
    const statuses = graphRequests().map((r) => r.status);
    expect(statuses.length).toBeGreaterThan(8);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // At least two full quota windows were waited out.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 1000);
  });

  it('a Resource Graph that stays throttled past the retries fails the sweep, recorded in the summary, before any write', async () => {
    const { engine } = setUp();
    lab.standIns.arm.faults.throttle(Infinity, 0, { method: 'POST', path: /ResourceGraph/ });
    const { summary, unrecorded } = await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    expect(unrecorded).toEqual([expect.objectContaining({ subscriptionId: '*', code: 'TooManyRequests' })]);
    expect(summary.failed).toBe(1);
    expect(lab.standIns.arm.requestsMatching('PUT')).toHaveLength(0);
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

describe('a snapshot that lags ARM never causes a wrong write', () => {
  it('a plan another writer enabled after the index was taken is found compliant by the refresh: planned and recorded none, no PUT', async () => {
    const { zone, engine } = setUp();
    lab.standIns.arm.graph.freeze(lab.standIns.arm.state);
    // After the snapshot's view was taken, someone else enables the plan with our components.
    lab.standIns.arm.state.setPricing(zone.ids['corp-ai-prod'], 'AI', {
      pricingTier: 'Standard',
      extensions: [
        { name: 'AIPromptEvidence', isEnabled: 'True' },
        { name: 'AIPromptSharingWithPurview', isEnabled: 'True' },
        { name: 'AIModelScanner', isEnabled: 'True' },
      ],
    });
    const { records } = await sweepKeeping(engine);
    const prod = records.find((r) => r.subscriptionId === zone.ids['corp-ai-prod']);
    expect(prod).toMatchObject({ action: 'none', outcome: 'no-op', pricingBefore: { tier: 'Standard' }, planBasis: { source: 'arm' } });
    expect(prod?.reasons.some((r) => r.startsWith('Plan is Standard with all of'))).toBe(true);
    expect(putsTo(zone.ids['corp-ai-prod'])).toHaveLength(0);
    // Purview, switched on by the other writer, is still on.
    expect(extensionsOf(zone, 'corp-ai-prod').AIPromptSharingWithPurview).toBe('True');
  });

  it('an extension switched on after the snapshot is kept on by the write (the body comes from the fresh read)', async () => {
    const { zone, engine } = setUp();
    lab.standIns.arm.graph.freeze(lab.standIns.arm.state);
    lab.standIns.arm.state.setPricing(zone.ids['ml-platform'], 'AI', { pricingTier: 'Standard', extensions: [{ name: 'AIPromptSharingWithPurview', isEnabled: 'True' }] });
    await sweepKeeping(engine);
    expect(extensionsOf(zone, 'ml-platform')).toEqual({ AIPromptEvidence: 'True', AIPromptSharingWithPurview: 'True', AIModelScanner: 'True' });
  });
});

describe('tenant watch pass', () => {
  it('with nothing to do: Resource Graph requests only, no record but the watch summary', async () => {
    const { engine } = setUp();
    await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    lab.standIns.arm.requests.length = 0;
    const records: RemediationRecord[] = [];
    const { summary } = await watchPass(engine.ports, engine.config, { trigger: 'cli', onRecord: (r) => records.push(r) });
    // flaky-scanner still misses a component but waits out its back-off; nothing is acted on.
    expect(summary).toMatchObject({ kind: 'watch-summary', subscriptions: SUBSCRIPTIONS, candidates: 0 });
    expect(records).toEqual([]);
    expect(armRequests().filter((r) => r.method === 'PUT')).toHaveLength(0);
  });

  it('enables a new AI account in a subscription that has no event wiring at all', async () => {
    const { zone, engine } = setUp();
    await sweep(engine.ports, engine.config, { trigger: 'sweep' });
    // An Azure OpenAI account appears in "identity" (no AI resources before); nobody sends an event.
    lab.standIns.arm.state.addResource(zone.ids.identity, { name: 'oai-new', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-new' });
    const records: RemediationRecord[] = [];
    const { summary } = await watchPass(engine.ports, engine.config, { trigger: 'cli', onRecord: (r) => records.push(r) });
    const identity = records.find((r) => r.subscriptionId === zone.ids.identity);
    expect(identity).toMatchObject({ trigger: 'cli', action: 'enable', outcome: 'applied', triggerDetail: { resourceKind: 'OpenAI' } });
    // The watch summary counts its changes by kind, as a sweep's does.
    expect(summary).toMatchObject({ candidates: 1, byOutcome: { applied: 1 }, byChange: { 'Free → Standard': 1, '+AIPromptEvidence': 1, '+AIModelScanner': 1 } });
    expect(lab.standIns.arm.state.getPricing(zone.ids.identity, 'AI')?.pricingTier).toBe('Standard');
  });

  it('covers only the management group in scope', async () => {
    const { zone, engine } = setUp({ D4AI_MANAGEMENT_GROUP: 'contoso-platform' });
    const { summary } = await watchPass(engine.ports, engine.config, { trigger: 'cli' });
    // identity and connectivity only, neither with AI resources.
    expect(summary).toMatchObject({ subscriptions: 2, candidates: 0, scope: { managementGroup: 'contoso-platform' } });
    expect(zone.ids.identity).toBeDefined();
  });
});

describe('exemptions and assignments come from the snapshot', () => {
  it('an exemption on the audit assignment exempts even when D4AI_POLICY_ASSIGNMENT_ID is unset', async () => {
    const { zone, engine } = setUp({ D4AI_POLICY_ASSIGNMENT_ID: '' });
    const { records } = await sweepKeeping(engine);
    expect(records.find((r) => r.subscriptionId === zone.ids['legacy-exempt'])).toMatchObject({ action: 'skip', skipReason: 'policy-exemption' });
  });

  it('an exemption at a management group exempts every subscription below it, and only those', async () => {
    const { zone, engine } = setUp();
    lab.standIns.arm.state.addExemption(zone.ids['corp-ai-prod'], {
      name: 'platform-waiver',
      policyAssignmentId: '/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/policyAssignments/d4ai-audit',
      scope: '/providers/Microsoft.Management/managementGroups/contoso-corp',
      expiresOn: '2099-01-01T00:00:00Z',
    });
    const { records } = await sweepKeeping(engine);
    // purview-already-on sits in contoso-corp; corp-ai-prod (where the ARM state happens to keep the row) does not.
    expect(records.find((r) => r.subscriptionId === zone.ids['purview-already-on'])).toMatchObject({ skipReason: 'policy-exemption' });
    expect(records.find((r) => r.subscriptionId === zone.ids['corp-ai-prod'])).toMatchObject({ action: 'enable' });
  });
});
