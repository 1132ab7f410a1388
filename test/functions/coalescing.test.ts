/**
 * Coalescing, end to end: the Event Grid trigger with the real durable client, the durable webhook
 * stand-in, and the real governSubscription orchestration + activities + write-lock entity running
 * in the durable test host against the ARM stand-in and Azurite.
 */
import './registrations';
import { randomUUID } from 'node:crypto';
import '../../functions';
import { onAzureEvent } from '../../functions/on-azure-event';
import type { GovernOutput } from '../../functions/govern-run';
import { FN, RECHECK_EVENT, governInstanceId } from '../../functions/names';
import { aiWriteEvent } from '../../sim/landing-zone';
import { EventType } from '../../sim/durable-host';
import { useWorld, type World } from './world';

// A fresh subscription per test: records of earlier tests share the table.
let SUB = '';
let instanceId = '';

let world: World;
useWorld((started) => {
  world = started;
});
beforeEach(() => {
  SUB = randomUUID();
  instanceId = governInstanceId(SUB);
  const { state } = world.standIns.arm;
  state.addSubscription({ subscriptionId: SUB, displayName: 'corp-ai' });
  state.addResource(SUB, { name: 'oai-first', type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' });
});

async function until(condition: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const trigger = (account: string) => onAzureEvent(aiWriteEvent(SUB, account), world.invocation(FN.onAzureEvent));
const starts = () => world.webhook.callsTo('POST', /^\/durabletask\/orchestrators\//);
const raises = () => world.webhook.callsTo('POST', /\/raiseEvent\//);
const applyStarted = () => world.host.executed.some((op) => op.name === FN.applyPricing);

describe('coalescing triggers for one subscription', () => {
  it('a second trigger while the run is writing raises `recheck` instead of starting a second run', async () => {
    world.standIns.arm.faults.latency(400, { method: 'PUT' });
    await trigger('oai-first');
    await until(applyStarted, 'the first pass to reach applyPricing');
    await trigger('oai-second');

    expect(starts().map((c) => c.path)).toEqual([`/durabletask/orchestrators/${FN.governSubscription}/${instanceId}`]);
    expect(raises().map((c) => c.path)).toEqual([`/durabletask/instances/${instanceId}/raiseEvent/${RECHECK_EVENT}`]);

    const instance = await world.host.waitFor(instanceId);
    await world.host.idle();
    expect(instance.executions).toBe(1);
    // The recheck was consumed by the same instance: one more pass, which found nothing left to do.
    expect(instance.history.filter((e) => e.EventType === EventType.EventRaised && e.Name === RECHECK_EVENT)).toHaveLength(1);
    const output = instance.output as GovernOutput;
    expect(output.outcomes.map((r) => `${r.action}/${r.outcome}`)).toEqual(['enable/applied', 'none/no-op']);
    expect(output.handledRequestIds).toHaveLength(2);
    expect(await world.records(SUB)).toHaveLength(2);
    expect(world.standIns.arm.requestsMatching('PUT', /pricings\/AI$/)).toHaveLength(1);
    expect(world.standIns.arm.maxConcurrentPricingWrites(SUB)).toBe(1);
    const accepted = world.logLines('D4AI event accepted').map((l) => l.fields.reason);
    expect(accepted).toEqual(['started a governSubscription run', 'coalesced into the running governSubscription run']);
  });

  it('a burst of triggers during one pass becomes ONE more pass, not one per trigger', async () => {
    world.standIns.arm.faults.latency(600, { method: 'PUT' });
    await trigger('oai-first');
    await until(applyStarted, 'the first pass to reach applyPricing');
    for (const account of ['a2', 'a3', 'a4', 'a5', 'a6']) await trigger(account);

    const instance = await world.host.waitFor(instanceId);
    await world.host.idle();
    expect(starts()).toHaveLength(1);
    expect(raises()).toHaveLength(5);
    const output = instance.output as GovernOutput;
    expect(output.outcomes).toHaveLength(2);
    expect(output.handledRequestIds).toHaveLength(6);
    const stored = await world.records(SUB);
    expect(stored).toHaveLength(2);
    // Newest first: the second pass, which covered the five asks.
    expect(stored[0]?.triggerDetail?.note).toBe('coalesced with 4 other trigger(s)');
    expect(stored[0]?.runId).toBe(output.outcomes[1]?.runId);
  });

  it('a trigger during the second pass gets a third pass: the waiter left by a settle timer is the one read next', async () => {
    world.standIns.arm.faults.latency(400, { method: 'PUT' });
    // Each pass reads the subscription first: slow enough to raise a recheck while pass 2 runs.
    world.standIns.arm.faults.latency(400, { method: 'GET', path: new RegExp(`^/subscriptions/${SUB}$`, 'i') });
    await trigger('oai-first');
    await until(applyStarted, 'the first pass to reach applyPricing');
    await trigger('oai-second');
    const plans = () => world.host.executed.filter((op) => op.kind === 'activity' && op.name === FN.planGovern).length;
    await until(() => plans() >= 2, 'the second pass to start planning');
    await trigger('oai-third');

    const instance = await world.host.waitFor(instanceId);
    await world.host.idle();
    const output = instance.output as GovernOutput;
    expect(raises()).toHaveLength(2);
    expect(output.outcomes).toHaveLength(3);
    expect(output.handledRequestIds).toHaveLength(3);
  });

  it('when startNew finds the run already started by a racing trigger, it coalesces instead', async () => {
    world.standIns.arm.faults.latency(400, { method: 'PUT' });
    await trigger('oai-first');
    await until(applyStarted, 'the first pass to reach applyPricing');
    world.webhook.calls.length = 0;
    // The second trigger's status read is stale ("not found"): it tries to start and is refused.
    world.webhook.staleStatus.push('404');
    await trigger('oai-second');
    expect(world.webhook.calls.map((c) => `${c.method} ${c.path.replace(/^\/durabletask\//, '')} ${c.status}`)).toEqual([
      `GET instances/${instanceId} 404`,
      `POST orchestrators/${FN.governSubscription}/${instanceId} 500`,
      `GET instances/${instanceId} 202`,
      `POST instances/${instanceId}/raiseEvent/${RECHECK_EVENT} 202`,
      `GET instances/${instanceId} 202`,
    ]);
    const instance = await world.host.waitFor(instanceId);
    expect((instance.output as GovernOutput).outcomes).toHaveLength(2);
  });

  it('when the run finished between the status read and the event (410), it starts a new run: no trigger is lost', async () => {
    await trigger('oai-first');
    await world.host.waitFor(instanceId);
    await world.host.idle();
    world.webhook.calls.length = 0;
    world.standIns.arm.state.addResource(SUB, { name: 'mlw-new', type: 'Microsoft.MachineLearningServices/workspaces' });
    world.webhook.staleStatus.push('Running');
    await trigger('mlw-new');
    expect(world.webhook.calls.map((c) => `${c.method} ${c.path.replace(/^\/durabletask\//, '')} ${c.status}`)).toEqual([
      `GET instances/${instanceId} 202`,
      `POST instances/${instanceId}/raiseEvent/${RECHECK_EVENT} 410`,
      `GET instances/${instanceId} 200`,
      `GET instances/${instanceId} 200`,
      `POST orchestrators/${FN.governSubscription}/${instanceId} 202`,
    ]);
    const instance = await world.host.waitFor(instanceId);
    await world.host.idle();
    expect((instance.output as GovernOutput).outcomes).toHaveLength(1);
    const all = await world.records(SUB);
    expect(all).toHaveLength(2);
    // The two listed resources; the event names an Azure OpenAI account `mlw-new` that does not
    // exist (a GET of its id answers 404), so it is not counted: evidence is read, not believed.
    expect(all[0]?.aiResourceCount).toBe(2);
    expect(all[0]?.warnings.join(' ')).toContain('a GET of that id found no such resource');
  });

  it('a trigger after the run finished starts a fresh run of the same instance id', async () => {
    await trigger('oai-first');
    await world.host.waitFor(instanceId);
    await world.host.idle();
    await trigger('oai-second');
    await world.host.waitFor(instanceId);
    await world.host.idle();
    expect(starts()).toHaveLength(2);
    expect(raises()).toHaveLength(0);
  });
});
