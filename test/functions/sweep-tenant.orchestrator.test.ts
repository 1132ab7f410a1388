/**
 * sweepTenant through the replay executor, over the simulated landing zone (test/fixtures), with
 * real children, activities and the write-lock entity against the ARM stand-in and Azurite.
 */
import './registrations';
import '../../functions';
import { TableClient } from '@azure/data-tables';
import { loadConfig } from '../../shared/config';
import { settingsOf, type GovernOutput } from '../../functions/govern-run';
import { FN, governInstanceId, sweepChildInstanceId } from '../../functions/names';
import type { SweepInput, SweepOutput } from '../../functions/sweep-tenant.orchestrator';
import { buildLandingZone, type LandingZone, type LandingZoneName } from '../fixtures/landing-zone';
import { useWorld, type World } from './world';

const SWEEP = 'sweep-2025-06-01';

let world: World;
let zone: LandingZone;
useWorld((started) => {
  world = started;
});
beforeEach(() => {
  zone = buildLandingZone(world.standIns.arm.state);
  world.setEnv({ ...zone.env, D4AI_MAX_ENABLEMENTS_PER_RUN: undefined, D4AI_SWEEP_BATCH: undefined, D4AI_MODE: undefined });
  world.useNewTable();
});

function sweepInput(overrides: Partial<SweepInput> = {}): SweepInput {
  return { trigger: 'sweep', settings: settingsOf(loadConfig(process.env)), dryRun: false, ...overrides };
}

async function runSweep(input: SweepInput, instanceId = SWEEP) {
  world.host.start(FN.sweepTenant, instanceId, input);
  const instance = await world.host.waitFor(instanceId, 60000);
  await world.host.idle();
  return instance;
}

const puts = () => world.standIns.arm.requestsMatching('PUT', /pricings\/AI$/);
const name = (id: string): LandingZoneName => (Object.entries(zone.ids).find(([, v]) => v === id)?.[0] ?? '?') as LandingZoneName;

async function summaryRows(): Promise<Array<Record<string, unknown>>> {
  const table = TableClient.fromConnectionString(world.azurite.connectionString, process.env.D4AI_RECORDS_TABLE ?? '', { allowInsecureConnection: true });
  const rows: Array<Record<string, unknown>> = [];
  for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "PartitionKey eq 'sweeps'" } })) rows.push(row);
  return rows;
}

describe('sweepTenant orchestration', () => {
  it('governs every subscription once, as the engine decides, and writes one summary', async () => {
    const instance = await runSweep(sweepInput());
    expect(instance.status).toBe('Completed');

    for (const [sub, expected] of Object.entries(zone.expected)) {
      const records = await world.records(zone.ids[sub as LandingZoneName]);
      expect({ sub, count: records.length }).toEqual({ sub, count: 1 });
      expect({ sub, ...records[0] }).toMatchObject({ sub, trigger: 'sweep', ...expected, triggerDetail: { sweepId: SWEEP } });
    }
    // Children have their own ids, never the event singleton's.
    const children = [...world.host.instances.keys()].filter((id) => id !== SWEEP);
    expect(children.sort()).toEqual(Object.values(zone.ids).map((id) => sweepChildInstanceId(SWEEP, id)).sort());
    expect(children.some((id) => id.startsWith('govern-'))).toBe(false);

    const output = instance.output as SweepOutput;
    expect(output.summary).toMatchObject({ kind: 'sweep-summary', sweepId: SWEEP, trigger: 'sweep', mode: 'enforce', subscriptions: 13, capReached: 0, failed: 1 });
    expect(output.summary.byOutcome).toEqual({ applied: 4, failed: 1, 'no-op': 8 });
    const rows = await summaryRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sweepId: SWEEP, subscriptions: 13, failed: 1, capReached: 0, mode: 'enforce' });
    const [line] = world.logLines('D4AI sweep summary');
    expect(line?.fields).toMatchObject({ sweepId: SWEEP, trigger: 'sweep', governed: 13, applied: 4, failed: 1, skipped: 7, capReached: 0 });
    expect(world.logLines('D4AI decision')).toHaveLength(13);
    // Children decide from the listed subscriptions: no subscription is read again one by one.
    expect(world.standIns.arm.requestsMatching('GET', /^\/subscriptions\/[^/]+$/)).toHaveLength(0);
  });

  it('never exceeds D4AI_MAX_ENABLEMENTS_PER_RUN: batches shrink near the cap, the rest is recorded cap-reached', async () => {
    world.setEnv({ D4AI_MAX_ENABLEMENTS_PER_RUN: '3', D4AI_SWEEP_BATCH: '2' });
    const instance = await runSweep(sweepInput());

    // Five subscriptions need a write; exactly three get one.
    expect(puts()).toHaveLength(3);
    const written = new Set(puts().map((r) => name(r.path.split('/')[2] ?? '')));
    expect([...written].sort()).toEqual(['corp-ai-dev', 'corp-ai-prod', 'ml-platform']);
    for (const sub of ['purview-already-on', 'flaky-scanner'] as const) {
      const [record] = await world.records(zone.ids[sub]);
      expect({ sub, ...record }).toMatchObject({ sub, action: 'skip', skipReason: 'cap-reached', outcome: 'no-op' });
    }
    const output = instance.output as SweepOutput;
    expect(output.summary.capReached).toBe(2);
    expect(instance.customStatus).toMatchObject({ phase: 'done', writes: 3, cap: 3 });

    // Batches: 2 (room 3), then 1 (room 1), then the rest in batches of 2 with no room left.
    const order = world.host.executed.filter((op) => op.kind === 'subOrchestration').map((op) => name((op.input as { ask: { request: { subscriptionId: string } } }).ask.request.subscriptionId));
    expect(order.slice(0, 3)).toEqual(['corp-ai-prod', 'corp-ai-dev', 'ml-platform']);
    const allowances = world.host.executed.filter((op) => op.kind === 'subOrchestration').map((op) => (op.input as { writesSoFar: number }).writesSoFar);
    expect(allowances).toEqual([0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
  });

  it('with cap 0 nothing is written at all, and every would-be write is recorded as cap-reached', async () => {
    world.setEnv({ D4AI_MAX_ENABLEMENTS_PER_RUN: '0' });
    const instance = await runSweep(sweepInput());
    expect(puts()).toHaveLength(0);
    expect((instance.output as SweepOutput).summary.capReached).toBe(5);
  });

  it('a dry-run sweep decides and records everything but never writes', async () => {
    const instance = await runSweep(sweepInput({ dryRun: true, trigger: 'manual', note: 'quarterly review' }), 'sweep-manual-1');
    expect(puts()).toHaveLength(0);
    expect(world.host.activitiesRun()).not.toContain(FN.applyPricing);
    const [record] = await world.records(zone.ids['corp-ai-prod']);
    expect(record).toMatchObject({ mode: 'report', action: 'enable', outcome: 'dry-run', trigger: 'manual', triggerDetail: { sweepId: 'sweep-manual-1', note: 'quarterly review' } });
    expect((instance.output as SweepOutput).summary).toMatchObject({ mode: 'report', trigger: 'manual' });
  });

  it('an event run and a sweep child on the same subscription never write at the same time', async () => {
    const prod = zone.ids['corp-ai-prod'];
    world.standIns.arm.faults.latency(500, { method: 'PUT' });
    // The event-started singleton and the nightly sweep start together.
    world.host.start(FN.governSubscription, governInstanceId(prod), {
      ask: { requestId: 'event-1', request: { subscriptionId: prod, trigger: 'event' }, dryRun: false, settings: settingsOf(loadConfig(process.env)) },
      coalesce: false,
    });
    const instance = await runSweep(sweepInput());
    await world.host.waitFor(governInstanceId(prod));
    await world.host.idle();

    expect(world.standIns.arm.maxConcurrentPricingWrites(prod)).toBe(1);
    // One of them wrote; the other waited for the lock, re-read and found nothing to do.
    expect(puts().filter((r) => r.path.includes(prod))).toHaveLength(1);
    const decisions = [(world.host.instances.get(governInstanceId(prod))?.output as GovernOutput).records[0], ((await world.records(prod)).find((r) => r.trigger === 'sweep'))];
    expect(decisions.map((r) => r?.action).sort()).toEqual(['enable', 'none']);
    const acquires = world.host.executed.filter((op) => op.kind === 'entityCall' && op.name === `acquire@${prod}`);
    expect(acquires.length).toBeGreaterThan(2);
    expect(instance.status).toBe('Completed');
  });
});
