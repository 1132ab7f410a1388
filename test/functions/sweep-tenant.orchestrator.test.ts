/**
 * sweepTenant through the replay executor, over the simulated landing zone (sim/), with real
 * page activities, children and the write-lock entity against the ARM and Resource Graph stand-in
 * and Azurite.
 */
import './registrations';
import '../../functions';
import { durableHandlers } from './registrations';
import { TableClient } from '@azure/data-tables';
import type { GovernOutput } from '../../functions/govern-run';
import { FN, governInstanceId, sweepChildInstanceId } from '../../functions/names';
import type { SweepInput, SweepOutput } from '../../functions/sweep-tenant.orchestrator';
import { stableRunId } from '../../functions/sweep.activities';
import { buildLandingZone, type LandingZoneName } from '../../sim/landing-zone';
import { EventType } from '../../sim/durable-host';
import { useLandingZone, useWorld, type World } from './world';
import { isAccountRead } from '../support/arm-requests';

const SWEEP = 'sweep-2025-06-01';
/** The five subscriptions of the landing zone whose decision is a write. */
const WRITERS: LandingZoneName[] = ['corp-ai-prod', 'corp-ai-dev', 'ml-platform', 'purview-already-on', 'flaky-scanner'];

let world: World;
useWorld((started) => {
  world = started;
});
const lz = useLandingZone(() => world, ['D4AI_MAX_ENABLEMENTS_PER_RUN', 'D4AI_SWEEP_BATCH', 'D4AI_MODE']);

function sweepInput(overrides: Partial<SweepInput> = {}): SweepInput {
  return { trigger: 'sweep', dryRun: false, ...overrides };
}

async function runSweep(input: SweepInput, instanceId = SWEEP) {
  world.host.start(FN.sweepTenant, instanceId, input);
  const instance = await world.host.waitFor(instanceId, 60000);
  await world.host.idle();
  return instance;
}

const puts = () => world.standIns.arm.requestsMatching('PUT', /pricings\/AI$/);
const name = (id: string): LandingZoneName => (Object.entries(lz.zone.ids).find(([, v]) => v === id)?.[0] ?? '?') as LandingZoneName;
const children = () => world.host.executed.filter((op) => op.kind === 'subOrchestration');

async function summaryRows(): Promise<Array<Record<string, unknown>>> {
  const table = TableClient.fromConnectionString(world.azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', { allowInsecureConnection: true });
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "PartitionKey eq 'sweeps'" } })) rows.push(row);
  return rows;
}

describe('sweepTenant orchestration', () => {
  it('records every subscription once, as the engine decides, fans out only the writes, and writes one summary', async () => {
    const instance = await runSweep(sweepInput());
    expect(instance.status).toBe('Completed');

    for (const [sub, expected] of Object.entries(lz.zone.expected)) {
      const records = await world.records(lz.zone.ids[sub as LandingZoneName]);
      expect({ sub, count: records.length }).toEqual({ sub, count: 1 });
      expect({ sub, ...records[0] }).toMatchObject({ sub, trigger: 'sweep', ...expected, triggerDetail: { sweepId: SWEEP } });
    }
    // Only the subscriptions that need a write became children, with their own ids.
    expect(children().map((op) => name((op.input as { ask: { request: { subscriptionId: string } } }).ask.request.subscriptionId)).sort()).toEqual([...WRITERS].sort());
    expect([...world.host.instances.keys()].filter((id) => id !== SWEEP).sort()).toEqual(WRITERS.map((n) => sweepChildInstanceId(SWEEP, lz.zone.ids[n])).sort());
    // Only writers take the write lock.
    const locked = new Set(world.host.executed.filter((op) => op.kind === 'entityCall').map((op) => op.name.split('@')[1] ?? ''));
    expect([...locked].map(name).sort()).toEqual([...WRITERS].sort());

    const output = instance.output as SweepOutput;
    expect(output.summary).toMatchObject({ kind: 'sweep-summary', sweepId: SWEEP, trigger: 'sweep', mode: 'enforce', subscriptions: 17, capReached: 0, failed: 0, scope: { managementGroup: 'contoso' } });
    expect(output.summary.byOutcome).toEqual({ applied: 4, partial: 1, 'no-op': 12 });
    const rows = await summaryRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sweepId: SWEEP, subscriptions: 17, failed: 0, capReached: 0, mode: 'enforce' });
    const [line] = world.logLines('D4AI sweep summary');
    expect(line?.fields).toMatchObject({ sweepId: SWEEP, trigger: 'sweep', governed: 17, applied: 4, failed: 0, skipped: 10, capReached: 0 });
    expect(world.logLines('D4AI decision')).toHaveLength(17);
    // Nothing listed or read per subscription through ARM: one refresh GET per write candidate of
    // the snapshot (the writers; managed-elsewhere, whose refreshed plan says another system manages
    // it, since the index carries no managedBy; all-opted-out, whose accounts make it a skip), 3 requests per write (fresh read under the lock, PUT, read-back), and 3 reads per
    // Azure OpenAI / AI Services account of the subscriptions looked into (11 in the landing zone).
    const arm = world.standIns.arm.requests.filter((r) => !r.path.includes('ResourceGraph'));
    expect(arm.filter((r) => !isAccountRead(r))).toHaveLength(WRITERS.length + 2 + 3 * WRITERS.length);
    expect(arm.filter(isAccountRead)).toHaveLength(3 * 11);
    // The findings are in the records the page stored.
    const [shields] = await world.records(lz.zone.ids['prompt-shields-off']);
    expect(shields?.findings).toEqual(expect.arrayContaining([{ type: 'prompt-shields-off', resourceId: expect.stringContaining('/accounts/ais-support'), message: expect.stringContaining('gpt-4o-support') }]));
  });

  it('a child that fails as an orchestration is named unrecorded; the rest of its batch still runs and is counted', async () => {
    world.host.failSubOrchestrations(FN.governSubscription, 1);
    const instance = await runSweep(sweepInput());
    expect(instance.status).toBe('Completed');
    const output = instance.output as SweepOutput;
    const failedChild = children().find((op) => op.failed);
    const failedSub = (failedChild?.input as { ask: { request: { subscriptionId: string } } }).ask.request.subscriptionId;
    // The four other writers ran to the end and are in the counts; the failed one is named.
    expect(children().filter((op) => !op.failed)).toHaveLength(WRITERS.length - 1);
    const counted = (output.summary.byOutcome.applied ?? 0) + (output.summary.byOutcome.partial ?? 0);
    expect(counted).toBe(WRITERS.length - 1);
    expect(output.summary.failed).toBe(1);
    expect(output.unrecorded).toEqual([expect.objectContaining({ subscriptionId: failedSub })]);
  });

  it('a child whose record could not be stored is counted unrecorded in the sweep summary', async () => {
    // Every writeRecord result of the children is lost: their records' fate is unknown to the sweep.
    world.setEnv({ D4AI_RETRY_MAX_ATTEMPTS: '1' });
    try {
      world.host.loseResults(FN.writeRecord, 1);
      const instance = await runSweep(sweepInput());
      const output = instance.output as SweepOutput;
      expect(output.summary.failed).toBeGreaterThanOrEqual(1);
      expect(output.unrecorded).toEqual([expect.objectContaining({ code: expect.stringMatching(/^RecordWriteFailed:/) })]);
    } finally {
      world.setEnv({ D4AI_RETRY_MAX_ATTEMPTS: undefined });
    }
  });

  it('continues as new page by page: the history of an execution does not grow with the subscriptions', async () => {
    // 5 rows per Resource Graph page: 17 subscriptions are 4 pages.
    world.standIns.arm.reset();
    // The same subscriptions again (the landing zone's ids are fixed), with a clean request log.
    buildLandingZone(world.standIns.arm.state);
    const { graph } = world.standIns.arm;
    const before = graph.pageCap;
    graph.pageCap = 5;
    try {
      const instance = await runSweep(sweepInput());
      expect(instance.executions).toBe(4);
      const histories = [...instance.previousHistories, instance.history];
      // Each execution: its page activity, that page's children, at most one summary write.
      for (const history of histories) {
        const scheduled = history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => e.Name);
        expect(scheduled.filter((n) => n === FN.sweepPage)).toHaveLength(1);
        expect(history.length).toBeLessThan(40);
      }
      expect((instance.output as SweepOutput).summary).toMatchObject({ subscriptions: 17, failed: 0 });
      for (const sub of Object.values(lz.zone.ids)) expect(await world.records(sub)).toHaveLength(1);
    } finally {
      graph.pageCap = before;
    }
  });

  it('never exceeds D4AI_MAX_ENABLEMENTS_PER_RUN: the page reserves the slots, the rest is recorded cap-reached', async () => {
    world.setEnv({ D4AI_MAX_ENABLEMENTS_PER_RUN: '3', D4AI_SWEEP_BATCH: '2' });
    const instance = await runSweep(sweepInput());

    expect(puts()).toHaveLength(3);
    expect(children()).toHaveLength(3);
    const capped = [];
    for (const sub of WRITERS) {
      const [record] = await world.records(lz.zone.ids[sub]);
      if (record?.skipReason === 'cap-reached') capped.push(sub);
    }
    expect(capped).toHaveLength(2);
    const output = instance.output as SweepOutput;
    expect(output.summary.capReached).toBe(2);
    // Each child carries the slot it holds under the cap.
    expect(children().map((op) => (op.input as { candidate: { nomination: { slot: number } } }).candidate.nomination.slot)).toEqual([0, 1, 2]);
  });

  it('with cap 0 nothing is written at all, and every would-be write is recorded as cap-reached', async () => {
    world.setEnv({ D4AI_MAX_ENABLEMENTS_PER_RUN: '0' });
    const instance = await runSweep(sweepInput());
    expect(puts()).toHaveLength(0);
    expect(children()).toHaveLength(0);
    expect((instance.output as SweepOutput).summary.capReached).toBe(5);
  });

  it('a dry-run sweep decides and records everything in the page activity, starting no child and writing nothing', async () => {
    const instance = await runSweep(sweepInput({ dryRun: true, trigger: 'manual', note: 'quarterly review' }), 'sweep-manual-1');
    expect(puts()).toHaveLength(0);
    expect(children()).toHaveLength(0);
    expect(world.host.activitiesRun()).toEqual([FN.readSweepPolicy, FN.sweepPage, FN.writeRunSummary]);
    const [record] = await world.records(lz.zone.ids['corp-ai-prod']);
    expect(record).toMatchObject({ mode: 'report', action: 'enable', outcome: 'dry-run', trigger: 'manual', triggerDetail: { sweepId: 'sweep-manual-1', note: 'quarterly review' } });
    expect((instance.output as SweepOutput).summary).toMatchObject({ mode: 'report', trigger: 'manual' });
  });

  it('a page activity that is retried rewrites the same records instead of adding new ones', async () => {
    // Run the page activity twice by hand, as a retry would, with the same input.
    await runSweep(sweepInput());
    const pageInput = world.host.executed.find((op) => op.name === FN.sweepPage)?.input;
    const handler = durableHandlers('activityTrigger').get(FN.sweepPage);
    await handler?.(pageInput, world.invocation(FN.sweepPage, false));
    for (const sub of ['identity', 'connectivity', 'ai-compliant'] as const) {
      const records = await world.records(lz.zone.ids[sub]);
      expect({ sub, count: records.length }).toEqual({ sub, count: 1 });
      // Its run id is fixed by the sweep and the subscription.
      expect(records[0]?.runId).toBe(stableRunId(SWEEP, lz.zone.ids[sub]));
    }
  });

  it('an event run and a sweep child on the same subscription never write at the same time', async () => {
    const prod = lz.zone.ids['corp-ai-prod'];
    world.standIns.arm.faults.latency(500, { method: 'PUT' });
    // The event-started singleton and the nightly sweep start together.
    world.host.start(FN.governSubscription, governInstanceId(prod), {
      ask: { requestId: 'event-1', request: { subscriptionId: prod, trigger: 'event' }, dryRun: false },
      coalesce: false,
    });
    const instance = await runSweep(sweepInput());
    await world.host.waitFor(governInstanceId(prod));
    await world.host.idle();

    expect(world.standIns.arm.maxConcurrentPricingWrites(prod)).toBe(1);
    // One of them wrote; the other waited for the lock, read afresh and found nothing to do.
    expect(puts().filter((r) => r.path.includes(prod))).toHaveLength(1);
    const event = (world.host.instances.get(governInstanceId(prod))?.output as GovernOutput).outcomes[0];
    const sweepRecord = (await world.records(prod)).find((r) => r.trigger === 'sweep');
    expect([event?.action, sweepRecord?.action].sort()).toEqual(['enable', 'none']);
    const acquires = world.host.executed.filter((op) => op.kind === 'entityCall' && op.name === `acquire@${prod}`);
    expect(acquires.length).toBeGreaterThan(2);
    expect(instance.status).toBe('Completed');
  });
});
