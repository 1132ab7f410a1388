/**
 * The durable nightly sweep at N = 2,200 subscriptions through the replay host: its history grows
 * with the subscriptions that write (W) and the pages (N / 1,000), not with N. Every execution holds
 * one page: its activity and that page's children; non-writing subscriptions leave no trace in it.
 * Over Resource Graph's subscription cap (lowered to 500 here, so 2,200 is over four times it) the
 * sweep covers every subscription within issue 17's budget of Resource Graph requests.
 */
import './registrations';
import '../../functions';
import { FN } from '../../functions/names';
import type { SweepOutput } from '../../functions/sweep-tenant.orchestrator';
import { LOG_MESSAGES } from '../../shared/observability/log';
import { EventType } from '../../sim/durable-host';
import { useWorld, type World } from './world';

const N = 2200;
let world: World;
useWorld((started) => {
  world = started;
});

/** N subscriptions under the management group `scale`, 10% with an Azure OpenAI account on Free: how many. */
function seed(): number {
  const { state } = world.standIns.arm;
  state.addManagementGroup('scale');
  let writers = 0;
  for (let i = 0; i < N; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    state.addSubscription({ subscriptionId: id, displayName: `scale-${i}`, managementGroupId: 'scale' });
    if (i % 20 < 2) {
      state.addResource(id, { name: `oai-${i}`, type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
      writers++;
    }
  }
  world.standIns.arm.graph.quota = { limit: 1000, windowMs: 5000 };
  world.setEnv({ D4AI_MANAGEMENT_GROUP: 'scale', D4AI_MAX_ENABLEMENTS_PER_RUN: '100000', D4AI_POLICY_ASSIGNMENT_ID: undefined });
  world.useNewTable();
  return writers;
}

it('completes with history proportional to W + N/1000 and one record per subscription', async () => {
  const writers = seed();

  world.host.start(FN.sweepTenant, 'sweep-scale', { trigger: 'sweep', dryRun: false });
  const instance = await world.host.waitFor('sweep-scale', 120_000);
  await world.host.idle(120_000);

  const output = instance.output as SweepOutput;
  expect(output.summary).toMatchObject({ subscriptions: N, failed: 0, byOutcome: { applied: writers, 'no-op': N - writers } });
  expect(instance.executions).toBe(Math.ceil(N / 1000));
  const histories = [...instance.previousHistories, instance.history];
  for (const history of histories) {
    const children = history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated).length;
    // Per execution: a few fixed steps, then about four events per child; nothing per non-writing subscription.
    expect(history.length).toBeLessThanOrEqual(4 * children + 30);
  }
  const total = histories.reduce((n, h) => n + h.length, 0);
  expect(total).toBeLessThanOrEqual(4 * writers + 30 * instance.executions);
  // Only writers took the lock; entity operations are two per writer (acquire, release).
  const entityOps = world.host.executed.filter((op) => op.kind === 'entityCall' || op.kind === 'entitySignal').length;
  expect(entityOps).toBe(2 * writers);
}, 180_000);

it('over the subscription cap, a dry-run sweep covers every subscription with 2 + 4·⌈N/1000⌉ Resource Graph requests', async () => {
  const writers = seed();
  const CAP = 500;
  world.standIns.arm.graph.subscriptionLimit = CAP;
  const from = world.standIns.arm.requests.length;

  world.host.start(FN.sweepTenant, 'sweep-capped', { trigger: 'sweep', dryRun: true });
  const instance = await world.host.waitFor('sweep-capped', 120_000);
  await world.host.idle(120_000);

  const output = instance.output as SweepOutput;
  expect(output.summary).toMatchObject({ subscriptions: N, failed: 0, byOutcome: { 'dry-run': writers, 'no-op': N - writers } });
  // One execution per partition page of 1,000 enumerated subscriptions, as under the cap.
  expect(instance.executions).toBe(Math.ceil(N / 1000));
  const requests = world.standIns.arm.requests.slice(from);
  const graph = requests.filter((r) => r.path.includes('Microsoft.ResourceGraph'));
  // The budget, and what it is made of: the policy read's and the first page's capped answers set
  // aside, then per 1,000 subscriptions the listing, the plans, the AI resources and the policy.
  expect(graph.length).toBeLessThanOrEqual(4 * Math.ceil(N / 1000) + 2 * Math.ceil(N / CAP) + 10);
  expect(graph.length).toBe(2 + 4 * Math.ceil(N / 1000));
  expect(graph.filter((r) => !Array.isArray((r.body as { subscriptions?: unknown }).subscriptions))).toHaveLength(2);
  // The enumeration: the management group's descendants (ManagementGroups_GetDescendants, 100 a page
  // in the stand-in), once for the policy, once across the pages; never the tenant's Subscriptions_List.
  expect(requests.filter((r) => r.method === 'GET' && /^\/providers\/Microsoft\.Management\/managementGroups\/scale\/descendants$/i.test(r.path))).toHaveLength(2 * Math.ceil(N / 100));
  expect(requests.filter((r) => r.method === 'GET' && /^\/subscriptions$/i.test(r.path))).toHaveLength(0);
}, 180_000);

it('over the cap, when the management group cannot be listed to split it, the sweep decides nothing and logs the cap error the failed-remediation alert catches', async () => {
  seed();
  world.standIns.arm.graph.subscriptionLimit = 500;
  world.standIns.arm.faults.error(1000, 403, 'AuthorizationFailed', "The client does not have authorization to perform action 'Microsoft.Management/managementGroups/descendants/read'.", { method: 'GET', path: /\/descendants$/i });

  world.host.start(FN.sweepTenant, 'sweep-refused', { trigger: 'sweep', dryRun: true });
  const instance = await world.host.waitFor('sweep-refused', 120_000);
  await world.host.idle(120_000);

  // The sweep ends with its summary saying what failed (stored, like every pass's), and no subscription decided.
  const output = instance.output as SweepOutput;
  expect(output.summary).toMatchObject({ subscriptions: 0, failed: 1 });
  expect(output.unrecorded?.[0]?.code).toBe('ResourceGraphSubscriptionLimit');
  expect(await world.records('00000000-0000-4000-8000-000000000000')).toEqual([]);
  // What infra/queries/failed-remediations.kql matches: "D4AI ARM error" with this code, at error level.
  const logged = world.logLines(LOG_MESSAGES.armError).filter((l) => l.fields.errorCode === 'ResourceGraphSubscriptionLimit');
  expect(logged.length).toBeGreaterThan(0);
  for (const line of logged) {
    expect(line.level).toBe('error');
    expect(line.fields.errorMessage).toEqual(expect.stringContaining('first 10,000 subscriptions only (x-ms-tenant-subscription-limit-hit: true) for management group scale;'));
    expect(line.fields.errorMessage).toEqual(expect.stringContaining('ManagementGroups_GetDescendants), to query the scope in parts under the cap, failed: AuthorizationFailed'));
  }
}, 180_000);
