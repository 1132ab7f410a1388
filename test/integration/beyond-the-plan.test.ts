import { governSubscription } from '../../shared/engine/govern';
import { sweep } from '../../shared/engine/snapshot-pass';
import type { RemediationRecord } from '../../shared/records/record';
import type { LandingZoneName } from '../../sim/landing-zone';
import { landingZoneEngine, useEngineStandIns } from './engine-harness';

/**
 * What the plan switch alone does not show, against the simulated landing zone's cases: a plan
 * another system manages (pricings 2026-07-01 managedBy), accounts that opted out of Defender for
 * AI, a deployment whose content filter turns a prompt shield off, and an exemption about to
 * expire. Real SDK clients (@azure/arm-cognitiveservices, the pricings REST pipeline) over HTTPS
 * to the ARM stand-in; records in Azurite.
 */
const lab = useEngineStandIns();
const setUp = (env: Record<string, string> = {}) => landingZoneEngine(lab.standIns, lab.azurite.connectionString, env);
const putsTo = (subscriptionId: string) => lab.standIns.arm.requestsMatching('PUT', new RegExp(`/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings/AI$`, 'i'));

async function swept(env: Record<string, string> = {}) {
  const { zone, engine } = setUp(env);
  const records = new Map<string, RemediationRecord>();
  await sweep(engine.ports, engine.config, { trigger: 'sweep', onRecord: (r) => records.set(r.subscriptionId, r) });
  return { zone, engine, record: (name: LandingZoneName) => records.get(zone.ids[name]) };
}

describe('a plan managed by another system', () => {
  it('is never written, and the record says who manages it and where it came from', async () => {
    const { zone, record } = await swept();
    expect(record('managed-elsewhere')).toMatchObject({
      action: 'skip',
      skipReason: 'managed-elsewhere',
      outcome: 'no-op',
      pricingBefore: { tier: 'Free', managedBy: 'M365 security rule: /management/rules/6c1e9b0a-3f2d-4e1c-9b7a-2d4e6f8a0c12', originatedFrom: 'M365' },
      findings: expect.arrayContaining([expect.objectContaining({ type: 'managed-elsewhere' })]),
    });
    expect(putsTo(zone.ids['managed-elsewhere'])).toHaveLength(0);
    // Read at 2026-07-01, the version that has managedBy.
    expect(lab.standIns.arm.requestsMatching('GET', /pricings\/AI$/).every((r) => r.query['api-version'] === '2026-07-01')).toBe(true);
  });

  it('is not written through the single-subscription path either (its fresh read decides)', async () => {
    const { zone, engine } = setUp();
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['managed-elsewhere'], trigger: 'cli' });
    expect(record).toMatchObject({ skipReason: 'managed-elsewhere' });
    expect(putsTo(zone.ids['managed-elsewhere'])).toHaveLength(0);
  });

  it('with D4AI_PRICINGS_API_VERSION=2024-01-01 the service does not say so (the documented fallback)', async () => {
    const { zone, engine } = setUp({ D4AI_PRICINGS_API_VERSION: '2024-01-01' });
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: zone.ids['managed-elsewhere'], trigger: 'cli', runId: 'fallback' });
    expect(record.pricingBefore).not.toHaveProperty('managedBy');
    expect(lab.standIns.arm.requestsMatching('GET', /pricings\/AI$/).every((r) => r.query['api-version'] === '2024-01-01')).toBe(true);
  });
});

describe('accounts that opted out of Defender for AI', () => {
  it('a subscription whose only AI account opted out is not enabled for it, and the record lists the account', async () => {
    const { zone, record } = await swept();
    const r = record('all-opted-out');
    expect(r).toMatchObject({ action: 'skip', skipReason: 'accounts-opted-out', optedOutAccounts: [expect.stringContaining('/accounts/oai-optout')] });
    expect(r?.warnings.join(' ')).toMatch(/1 of 1 AI account\(s\) opted out of Defender for AI .*oai-optout.*never changes an account's setting/);
    expect(r?.findings).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'accounts-opted-out', resourceId: expect.stringContaining('oai-optout') })]));
    expect(putsTo(zone.ids['all-opted-out'])).toHaveLength(0);
    // The governor never writes an account's setting.
    expect(lab.standIns.arm.requests.filter((r2) => r2.method !== 'GET' && r2.path.includes('defenderForAISettings'))).toEqual([]);
  });

  it('with D4AI_ENABLE_WHEN=always the plan is enabled anyway, and the opt-out is still reported', async () => {
    const { record } = await swept({ D4AI_ENABLE_WHEN: 'always' });
    expect(record('all-opted-out')).toMatchObject({ action: 'enable', outcome: 'applied', optedOutAccounts: [expect.stringContaining('oai-optout')] });
  });

  it('one opted-out account among others: the subscription is enabled for the rest, with a warning', async () => {
    const { zone, engine } = setUp();
    const prod = zone.ids['corp-ai-prod'];
    const second = lab.standIns.arm.state.addResource(prod, { name: 'oai-shadow', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-chat' });
    lab.standIns.arm.state.account(second.id).defenderForAI = 'Disabled';
    const { record } = await governSubscription(engine.ports, engine.config, { subscriptionId: prod, trigger: 'cli' });
    expect(record).toMatchObject({ action: 'enable', outcome: 'applied', optedOutAccounts: [second.id] });
    expect(record.warnings.join(' ')).toContain('1 of 2 AI account(s) opted out');
  });
});

describe('prompt shields turned off', () => {
  it('is a finding naming the account, deployment, content filter and filter; the compliant plan is left alone', async () => {
    const { zone, record } = await swept();
    const r = record('prompt-shields-off');
    expect(r).toMatchObject({ action: 'none', outcome: 'no-op' });
    const shields = (r?.findings ?? []).filter((f) => f.type === 'prompt-shields-off');
    expect(shields).toEqual([{ type: 'prompt-shields-off', resourceId: expect.stringContaining('/accounts/ais-support'), message: 'Deployment gpt-4o-support of ais-support: content filter relaxed-filter has Jailbreak (Prompt) off.' }]);
    expect(putsTo(zone.ids['prompt-shields-off'])).toHaveLength(0);
  });
});

describe('exemptions', () => {
  it('an exemption that expires within 30 days is a finding with the days left; one without expiry is flagged too', async () => {
    const { record } = await swept();
    expect(record('exemption-expiring')).toMatchObject({ skipReason: 'policy-exemption', findings: expect.arrayContaining([expect.objectContaining({ type: 'exemption-expiring', message: expect.stringMatching(/in 10 day\(s\)/) })]) });
    // legacy-exempt's waiver runs to 2099: no notice.
    expect((record('legacy-exempt')?.findings ?? []).map((f) => f.type)).not.toContain('exemption-expiring');
  });
});
