/**
 * The safety invariants in the Functions app (docs/safety.md): only the app's own configuration
 * decides, the admin API hands out no system-key URLs, one sweep at a time, and no change without
 * a record. Real orchestrations, activities and entity in the durable test host, the real durable
 * client against the webhook stand-in, the ARM stand-in and Azurite.
 */
import './registrations';
import '../../functions';
import { randomUUID } from 'node:crypto';
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { startSweepHttp } from '../../functions/admin-api';
import type { GovernInput } from '../../functions/govern-run';
import { FN, RECHECK_EVENT, governInstanceId } from '../../functions/names';
import { TableRecordStore } from '../../shared/azure/records.table';
import { TENANT_PASS_LEASE, TENANT_PASS_TTL_MS } from '../../shared/engine/tenant-lease';
import { operator } from './principal';
import { useWorld, type World } from './world';

let world: World;
useWorld((started) => {
  world = started;
});
let SUB = '';
beforeEach(() => {
  world.useNewTable();
  SUB = randomUUID();
  const { state } = world.standIns.arm;
  state.addSubscription({ subscriptionId: SUB, displayName: 'corp-ai' });
  state.addResource(SUB, { name: 'oai-chat', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-chat' });
});
afterEach(() => world.setEnv({ WEBSITE_AUTH_ENABLED: undefined, D4AI_MODE: undefined, D4AI_EXCLUDED_SUBSCRIPTIONS: undefined, D4AI_RECORDS_CONNECTION: world.azurite.connectionString, D4AI_RETRY_MAX_ATTEMPTS: undefined }));

const pricingPuts = () => world.standIns.arm.requestsMatching('PUT', /\/providers\/Microsoft\.Security\/pricings\/AI$/i);

function governInput(): GovernInput {
  return { ask: { requestId: 'first', request: { subscriptionId: SUB, trigger: 'event' }, dryRun: false }, coalesce: true };
}

describe('3. only the app’s own configuration decides', () => {
  it('a recheck event carrying settings (enforce, Purview on, exclusions off) cannot make a report-mode app write', async () => {
    world.setEnv({ D4AI_MODE: 'report', D4AI_EXCLUDED_SUBSCRIPTIONS: SUB });
    world.standIns.arm.faults.latency(300, { method: 'GET' });
    const id = governInstanceId(SUB);
    world.host.start(FN.governSubscription, id, governInput());
    // While the first pass runs, someone who learned the instance id raises a crafted recheck.
    const hostile = {
      requestId: 'evil',
      request: { subscriptionId: SUB, trigger: 'manual', detail: { note: 'hi' } },
      dryRun: false,
      settings: { mode: 'enforce', components: ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'], excludedSubscriptions: [] },
      config: { mode: 'enforce' },
      candidate: { nomination: { decision: { action: 'enable', desired: { pricingTier: 'Standard', extensions: [{ name: 'AIPromptSharingWithPurview', isEnabled: 'True' }] } }, slot: 0 } },
    };
    expect(world.host.raise(id, RECHECK_EVENT, hostile)).toBe('accepted');
    await world.host.waitFor(id);
    await world.host.idle();
    expect(pricingPuts()).toHaveLength(0);
    expect(world.standIns.arm.state.getPricing(SUB, 'AI')?.pricingTier).toBe('Free');
    const records = await world.records(SUB);
    expect(records.length).toBeGreaterThanOrEqual(2);
    for (const r of records) expect(r).toMatchObject({ mode: 'report', action: 'skip', skipReason: 'excluded' });
  });
});

describe('4. one sweep at a time', () => {
  it('POST /api/sweeps while another pass holds the tenant-pass lease answers 409 with the holder and expiry; nothing starts', async () => {
    const store = new TableRecordStore(world.azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', world.standIns.credential, 'D4AI_RECORDS_CONNECTION');
    const held = await store.acquireLease(TENANT_PASS_LEASE, 'sweep-2025-06-01', TENANT_PASS_TTL_MS, new Date());
    expect(held.acquired).toBe(true);
    // An operator, through App Service Authentication (which the guard insists is on).
    world.setEnv({ WEBSITE_AUTH_ENABLED: 'True' });
    const request = new HttpRequest({ method: 'POST', url: 'https://func-d4ai.azurewebsites.net/api/sweeps', body: { string: '{}' }, headers: { 'x-ms-client-principal': operator() } });
    const res = (await startSweepHttp(request, world.invocation(FN.adminStartSweep))) as HttpResponseInit;
    expect(res.status).toBe(409);
    expect(res.jsonBody).toEqual({ error: { code: 'SweepInProgress', message: expect.stringContaining('sweep-2025-06-01'), holder: 'sweep-2025-06-01', expiresAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) } });
    expect(world.webhook.callsTo('POST', /^\/durabletask\/orchestrators\//)).toEqual([]);
  });
});

describe('1. no change without a record', () => {
  it('with the records store down, the run writes no PUT and the decision is an error-level RecordWriteFailed log', async () => {
    world.setEnv({
      D4AI_RECORDS_CONNECTION: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;',
      D4AI_RETRY_MAX_ATTEMPTS: '1',
    });
    const id = governInstanceId(SUB);
    world.host.start(FN.governSubscription, id, { ...governInput(), coalesce: false });
    await world.host.waitFor(id, 60_000);
    await world.host.idle(60_000);
    expect(pricingPuts()).toHaveLength(0);
    expect(world.standIns.arm.state.getPricing(SUB, 'AI')?.pricingTier).toBe('Free');
    // The orchestration logs the decision it could not store (once, not on replays), at error level.
    const instance = await world.host.waitFor(id);
    const lines = instance.logs.filter((l) => l.message.startsWith('D4AI decision {'));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toMatch(/error/i);
    expect(JSON.parse(lines[0]?.message.slice('D4AI decision '.length) ?? '{}')).toMatchObject({
      subscriptionId: SUB.toLowerCase(),
      outcome: 'failed',
      errorCode: expect.stringMatching(/^RecordWriteFailed:/),
    });
  }, 90_000);
});

describe('1b. a write whose answer is lost still counts as a write', () => {
  /** One pass of govern-<sub>, to the end; its decision records (the intent rows they replaced aside). */
  async function governWithoutCoalescing() {
    const id = governInstanceId(SUB);
    world.host.start(FN.governSubscription, id, { ...governInput(), coalesce: false });
    await world.host.waitFor(id, 60_000);
    await world.host.idle(60_000);
    return { id, decisions: (await world.records(SUB)).filter((r) => r.outcome !== 'intent') };
  }

  it('the apply activity’s first result is lost after its PUT: the retry sees Standard, and the record still says applied, from Free', async () => {
    world.host.loseResults(FN.applyPricing, 1);
    const { id, decisions } = await governWithoutCoalescing();
    // Two runs of the activity, one PUT: the retry read Standard and did not write again.
    expect(world.host.activitiesRun(id).filter((name) => name === FN.applyPricing)).toHaveLength(2);
    expect(pricingPuts()).toHaveLength(1);
    expect(world.standIns.arm.state.getPricing(SUB, 'AI')?.pricingTier).toBe('Standard');
    expect(decisions).toHaveLength(1);
    // Not "compliant": the change was this pass's, and the record keeps what it changed from.
    expect(decisions[0]).toMatchObject({ action: 'enable', outcome: 'applied', pricingBefore: { tier: 'Free' }, pricingAfter: { tier: 'Standard' } });
  }, 90_000);

  it('the first result is lost and D4AI_MODE is switched to report before the retry: recorded as a write that may have happened, not "nothing written"', async () => {
    world.host.loseResults(FN.applyPricing, 1, () => world.setEnv({ D4AI_MODE: 'report' }));
    const { decisions } = await governWithoutCoalescing();
    expect(pricingPuts()).toHaveLength(1);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ outcome: 'failed', error: { code: 'ModeChangedAfterIntent' }, pricingBefore: { tier: 'Free' }, pricingAfter: { tier: 'Standard' } });
  }, 90_000);

  it('every result of the apply activity is lost: the record says a write may have happened (wrote, failed), never "nothing written"', async () => {
    world.setEnv({ D4AI_RETRY_MAX_ATTEMPTS: '2' });
    world.host.loseResults(FN.applyPricing, 2);
    const { decisions } = await governWithoutCoalescing();
    expect(pricingPuts()).toHaveLength(1);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ action: 'enable', outcome: 'failed', pricingBefore: { tier: 'Free' }, error: { message: expect.stringContaining('result was not stored') } });
    // The after-state is unknown, not "still Free": the PUT went through.
    expect(decisions[0]?.pricingAfter).toBeUndefined();
    expect(decisions[0]?.reasons.join(' ')).toContain('whether its PUT went through is unknown');
  }, 90_000);
});
