/**
 * governSubscription through the durable-functions replay executor (test/functions/durable-harness.ts),
 * with the real activities and the write-lock entity against the ARM stand-in and Azurite.
 */
import './registrations';
import '../../functions';
import { registered } from './registrations';
import type { GovernInput, GovernOutput, GovernStatus } from '../../functions/govern-run';
import { FN, governInstanceId } from '../../functions/names';
import { DurableTestHost, EventType, NonDeterminismError } from '../../sim/durable-host';
import { defaultEnablePricing } from '../fixtures/pricing-bodies';
import { useWorld, type World } from './world';
import * as df from 'durable-functions';

const SUB = '11111111-1111-4111-8111-111111111111';
const ALL_EXTENSIONS = ['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner'];

let world: World;
useWorld((started) => {
  world = started;
});
beforeEach(() => {
  world.useNewTable();
  world.setEnv({ D4AI_MODE: undefined, D4AI_MAX_ENABLEMENTS_PER_RUN: undefined });
});

function governInput(overrides: Partial<GovernInput['ask']> = {}, extra: Partial<GovernInput> = {}): GovernInput {
  return {
    ask: {
      requestId: 'request-1',
      request: { subscriptionId: SUB, trigger: 'manual', detail: { note: 'test' } },
      dryRun: false,
      ...overrides,
    },
    coalesce: false,
    ...extra,
  };
}

function aiSubscription(): void {
  const { state } = world.standIns.arm;
  state.addSubscription({ subscriptionId: SUB, displayName: 'corp-ai' });
  state.addResource(SUB, { name: 'oai-chat', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI', resourceGroup: 'rg-chat' });
}

async function run(input: GovernInput, instanceId = governInstanceId(SUB)) {
  world.host.start(FN.governSubscription, instanceId, input);
  const instance = await world.host.waitFor(instanceId);
  await world.host.idle();
  return instance;
}

const pricingPuts = () => world.standIns.arm.requestsMatching('PUT', /\/providers\/Microsoft\.Security\/pricings\/AI$/i);

describe('governSubscription orchestration (real replay, real activities)', () => {
  it('enables the plan with the exact PUT body, verifies it, records it and reports the decision', async () => {
    aiSubscription();
    const instance = await run(governInput());

    expect(instance.status).toBe('Completed');
    expect(pricingPuts().map((r) => r.body)).toEqual([
      { properties: defaultEnablePricing() },
    ]);
    // Final ARM state: Standard, the chosen components on, Purview sharing left off.
    const stored = world.standIns.arm.state.getPricing(SUB, 'AI');
    expect(stored?.pricingTier).toBe('Standard');
    expect(stored?.extensions?.map((e) => `${e.name}=${e.isEnabled}`)).toEqual(['AIPromptEvidence=True', 'AIPromptSharingWithPurview=False', 'AIModelScanner=True']);

    const records = await world.records(SUB);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      subscriptionId: SUB,
      trigger: 'manual',
      mode: 'enforce',
      action: 'enable',
      outcome: 'applied',
      aiResourceCount: 1,
      pricingBefore: { tier: 'Free' },
      pricingAfter: { tier: 'Standard', extensions: { AIPromptEvidence: true, AIPromptSharingWithPurview: false, AIModelScanner: true } },
      triggerDetail: { note: 'test', instanceId: governInstanceId(SUB) },
    });
    const output = instance.output as GovernOutput;
    expect(output.outcomes).toEqual([
      { runId: records[0]?.runId, subscriptionId: SUB, trigger: 'manual', mode: 'enforce', action: 'enable', outcome: 'applied', changeKinds: ['Free → Standard', '+AIPromptEvidence', '+AIModelScanner'] },
    ]);
    expect(output.handledRequestIds).toEqual(['request-1']);
    expect(instance.customStatus).toMatchObject({ phase: 'done', decision: { action: 'enable', outcome: 'applied', runId: records[0]?.runId } });

    // The steps, in order: plan (reads + decision), then, because it writes: the write lock, the
    // write path; then release and record, sent in the same episode.
    const steps = world.host.executed.filter((op) => op.kind !== 'timer').map((op) => `${op.kind}:${op.name.split('@')[0]}`);
    expect(steps.slice(0, 3)).toEqual(['activity:planGovern', 'entityCall:acquire', 'activity:applyPricing']);
    expect(steps.slice(3).sort()).toEqual(['activity:writeRecord', 'entitySignal:release']);
    // The write path read the pricing afresh before its PUT, and read it back after.
    const pricingCalls = world.standIns.arm.requests.filter((r) => /pricings\/AI$/i.test(r.path)).map((r) => r.method);
    expect(pricingCalls).toEqual(['GET', 'GET', 'PUT', 'GET']);
    // The lock is free again.
    expect(world.host.entityStates.get(`@subscriptionwritelock@${SUB}`)).toBe('null');
    // One "D4AI decision" line with the customDimensions fields.
    const decisions = world.logLines('D4AI decision');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]?.fields).toMatchObject({ subscriptionId: SUB, runId: records[0]?.runId, instanceId: governInstanceId(SUB), action: 'enable', outcome: 'applied', trigger: 'manual' });
  });

  it('replays the history the way the executor expects (ids, episodes, timestamps)', async () => {
    aiSubscription();
    const instance = await run(governInput());
    const scheduled = instance.history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => [e.EventId, e.Name]);
    expect(scheduled).toEqual([
      [0, FN.planGovern],
      [2, FN.applyPricing],
      [4, FN.writeRecord],
    ]);
    // Entity messages take ids too: 1 = acquire, 3 = release.
    expect(instance.history.filter((e) => e.EventType === EventType.EventSent).map((e) => e.EventId)).toEqual([1, 3]);
    expect(instance.episodes).toBe(5);
  });

  it('in report mode decides and records, but never calls applyPricing nor takes the write lock', async () => {
    aiSubscription();
    world.setEnv({ D4AI_MODE: 'report' });
    await run(governInput());
    expect(pricingPuts()).toHaveLength(0);
    expect(world.host.activitiesRun()).toEqual([FN.planGovern, FN.writeRecord]);
    expect(world.host.executed.some((op) => op.kind === 'entityCall')).toBe(false);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ mode: 'report', action: 'enable', outcome: 'dry-run' });
    expect(record?.reasons).toContain('Report mode (dry run): nothing was written.');
    expect(world.standIns.arm.state.getPricing(SUB, 'AI')?.pricingTier).toBe('Free');
  });

  it('a per-run dry run forces report mode even when D4AI_MODE=enforce', async () => {
    aiSubscription();
    await run(governInput({ dryRun: true }));
    expect(pricingPuts()).toHaveLength(0);
    expect(world.host.activitiesRun()).not.toContain(FN.applyPricing);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ mode: 'report', action: 'enable', outcome: 'dry-run' });
    expect(record?.reasons).toContain('Dry run requested for this run: nothing was written.');
  });

  it('writes the record even when the write fails (partial failure reported by ARM)', async () => {
    aiSubscription();
    world.standIns.arm.state.failExtension(SUB, 'AIModelScanner', 'Model scanning is not available in this region yet.');
    const instance = await run(governInput());
    expect(instance.status).toBe('Completed');
    expect(pricingPuts()).toHaveLength(1);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ action: 'enable', outcome: 'partial', error: { code: 'ExtensionFailed' }, failedExtensions: ['AIModelScanner'], partialAttempts: 1 });
    expect(record?.error?.message).toContain('Model scanning is not available');
    expect(instance.customStatus).toMatchObject({ decision: { outcome: 'partial', errorCode: 'ExtensionFailed' } });
    expect(world.logLines('D4AI ARM error').map((l) => l.fields.errorCode)).toEqual(['ExtensionFailed']);
  });

  it('retries a throttled read with the configured RetryOptions, then succeeds', async () => {
    aiSubscription();
    // More 429s than the SDK's own retries absorb: the first activity attempt fails.
    world.standIns.arm.faults.throttle(4, 0, { method: 'GET', path: /\/subscriptions\/[^/]+$/ });
    const instance = await run(governInput());
    expect(instance.status).toBe('Completed');
    const failures = instance.history.filter((e) => e.EventType === EventType.TaskFailed);
    expect(failures).toHaveLength(1);
    expect(String(failures[0]?.Reason)).toContain('d4ai-error[TooManyRequests]');
    // The retry timer the extension inserts: first interval from D4AI_RETRY_FIRST_INTERVAL_MS.
    const timer = instance.history.find((e) => e.EventType === EventType.TimerCreated);
    expect(timer).toBeDefined();
    expect(world.host.activitiesRun().filter((a) => a === FN.planGovern)).toHaveLength(2);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ action: 'enable', outcome: 'applied' });
  });

  it('records an undecided failure with the ARM error code when reads keep failing', async () => {
    aiSubscription();
    world.setEnv({ D4AI_RETRY_MAX_ATTEMPTS: '2' });
    // Throttled with Retry-After: 0, so the SDK's own retries are immediate and both attempts fail fast.
    world.standIns.arm.faults.throttle(Infinity, 0, { method: 'GET', path: /\/subscriptions\/[^/]+$/ });
    const instance = await run(governInput());
    world.setEnv({ D4AI_RETRY_MAX_ATTEMPTS: undefined });
    expect(instance.status).toBe('Completed');
    expect(world.host.activitiesRun()).toEqual([FN.planGovern, FN.planGovern, FN.writeRecord]);
    expect(pricingPuts()).toHaveLength(0);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ action: 'undecided', outcome: 'failed', error: { code: 'TooManyRequests' } });
  });

  it('records a non-retriable read failure (subscription not visible) without retrying', async () => {
    const instance = await run(governInput());
    expect(instance.status).toBe('Completed');
    expect(world.host.activitiesRun()).toEqual([FN.planGovern, FN.writeRecord]);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ action: 'undecided', outcome: 'failed', error: { code: 'SubscriptionNotFound' } });
  });

  it('a decision that writes nothing takes no write lock', async () => {
    aiSubscription();
    world.standIns.arm.state.setPricing(SUB, 'AI', { pricingTier: 'Standard', extensions: ALL_EXTENSIONS.map((name) => ({ name, isEnabled: 'True' as const })) });
    await run(governInput());
    expect(world.host.activitiesRun()).toEqual([FN.planGovern, FN.writeRecord]);
    expect(world.host.executed.some((op) => op.kind === 'entityCall' || op.kind === 'entitySignal')).toBe(false);
    const [record] = await world.records(SUB);
    expect(record).toMatchObject({ action: 'none', outcome: 'no-op' });
  });

  it('a sweep child goes straight to the write path with its snapshot decision, and the fresh read can overrule it', async () => {
    aiSubscription();
    // The snapshot said Free; by the time the child runs, the plan is on with every component.
    world.standIns.arm.state.setPricing(SUB, 'AI', { pricingTier: 'Standard', extensions: ALL_EXTENSIONS.map((name) => ({ name, isEnabled: 'True' as const })) });
    const context = {
      subscription: { subscriptionId: SUB, state: 'Enabled', tags: {} },
      aiResources: [{ id: `/subscriptions/${SUB}/resourceGroups/rg-chat/providers/Microsoft.CognitiveServices/accounts/oai-chat`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' }],
      pricing: { tier: 'Free' as const, extensions: [], inherited: false, enforce: false },
      policyAssignments: [],
    };
    const decision = { action: 'enable' as const, missingComponents: [], reasons: ['snapshot'], warnings: [], desired: { pricingTier: 'Standard' as const, extensions: [] } };
    const instance = await run(governInput({ request: { subscriptionId: SUB, trigger: 'sweep', detail: { sweepId: 'sweep-x' } } }, { candidate: { context, nomination: { decision, slot: 0 } } }), `sweep-x:${SUB}`);
    expect(world.host.activitiesRun()).toEqual([FN.applyPricing, FN.writeRecord]);
    expect(pricingPuts()).toHaveLength(0);
    expect((instance.output as GovernOutput).outcomes[0]).toMatchObject({ action: 'none', outcome: 'no-op' });
    const [record] = await world.records(SUB);
    expect(record?.reasons.some((r) => r.startsWith('The fresh ARM read under the lock differs from the plan') && r.includes('decides none'))).toBe(true);
  });

  it('never switches an extension off: Purview sharing already on stays on', async () => {
    aiSubscription();
    world.standIns.arm.state.setPricing(SUB, 'AI', {
      pricingTier: 'Standard',
      extensions: ALL_EXTENSIONS.map((name) => ({ name, isEnabled: name === 'AIModelScanner' ? 'False' : 'True' })),
    });
    await run(governInput());
    const body = pricingPuts()[0]?.body as { properties: { extensions: Array<{ name: string; isEnabled: string }> } };
    expect(body.properties.extensions.every((e) => e.isEnabled === 'True')).toBe(true);
    expect(world.standIns.arm.requestsMatching('DELETE')).toHaveLength(0);
  });
});

describe('determinism check of the harness', () => {
  it('fails a run whose orchestrator schedules something different on replay', async () => {
    // A deliberately broken orchestrator: its activity input depends on the wall clock.
    const wallClock = function* (context: df.OrchestrationContext): Generator<df.Task, unknown, unknown> {
      yield context.df.callActivity('echo', { sweepId: `at-${Date.now()}-${Math.random()}` });
      yield context.df.callActivity('echo', { sweepId: 'second' });
      return 'never';
    };
    const orchestrators = new Map([[ 'wallClock', wrap(wallClock) ]]);
    const activities = new Map([['echo', (input: unknown): unknown => input]]);
    const host = new DurableTestHost({ orchestrators, activities, entities: new Map() });
    host.start('wallClock', 'nd-1', {});
    await expect(host.waitFor('nd-1')).rejects.toThrow(NonDeterminismError);
    expect(host.instances.get('nd-1')?.status).toBe('Failed');
  });

  it('passes the same orchestrator when it uses the replay-safe clock', async () => {
    const replaySafe = function* (context: df.OrchestrationContext): Generator<df.Task, unknown, unknown> {
      yield context.df.callActivity('echo', { sweepId: `at-${context.df.currentUtcDateTime.toISOString()}-${context.df.newGuid('x')}` });
      yield context.df.callActivity('echo', { sweepId: 'second' });
      return 'done';
    };
    const host = new DurableTestHost({
      orchestrators: new Map([['replaySafe', wrap(replaySafe)]]),
      activities: new Map([['echo', (input: unknown): unknown => input]]),
      entities: new Map(),
    });
    host.start('replaySafe', 'ok-1', {});
    const instance = await host.waitFor('ok-1');
    expect(instance.status).toBe('Completed');
    expect(instance.output).toBe('done');
  });
});

/** Registers a throw-away orchestrator the way df.app.orchestration does and returns its host-facing handler. */
function wrap(fn: (context: df.OrchestrationContext) => Generator<df.Task, unknown, unknown>) {
  const name = `test-${Math.random().toString(36).slice(2)}`;
  df.app.orchestration(name, fn);
  const handler = registered.get(name)?.options.handler;
  if (!handler) throw new Error('not registered');
  return handler;
}

// The decision shows in the custom status at every step (for GET /api/runs/{id}).
it('publishes the decision phases in the custom status', async () => {
  aiSubscription();
  const instance = await run(governInput());
  const phases = (instance.customStatusLog as Array<GovernStatus | undefined>).map((s) => s?.phase);
  expect(phases).toContain('planning');
  expect(phases).toContain('waiting-for-write-lock');
  expect(phases).toContain('writing');
  expect(phases[phases.length - 1]).toBe('done');
});
