import { RETRY_BACKOFF_MS } from '../../../shared/engine/apply';
import { governSubscription } from '../../../shared/engine/govern';
import { revertRun } from '../../../shared/engine/revert';
import { TENANT_PASS_LEASE } from '../../../shared/engine/tenant-lease';
import { config, standardPlan } from '../../builders/context.builder';
import { fakePorts, type FakePorts } from '../../support/fake-ports';
import { FakeWorld } from '../../support/fake-world';

/** revertRun over the fakes: a run's write undone, or left alone where the plan changed since. */

const SUB = '00000000-0000-4000-8000-0000000000c1';
const enforce = config();

async function afterEnablingRun(): Promise<{ world: FakeWorld; ports: FakePorts }> {
  const world = new FakeWorld();
  world.addSubscription(SUB, { displayName: 'corp-ai' });
  world.addAccount(SUB, 'oai-chat');
  const ports = fakePorts(world);
  const run = await governSubscription(ports, enforce, { subscriptionId: SUB, trigger: 'manual', runId: 'run-1' });
  expect(run.record.outcome).toBe('applied');
  world.clock.advance(60_000);
  world.resetCalls();
  return { world, ports };
}

describe('revertRun over the fakes', () => {
  it('puts back the plan the run found: Free, every extension listed False; the planning read, a fresh read under the lock, one PUT, a read-back', async () => {
    const { world, ports } = await afterEnablingRun();

    const result = await revertRun(ports, enforce, { run: 'run-1' });

    expect(result.records).toHaveLength(1);
    expect(result.records[0]).toMatchObject({ action: 'revert', outcome: 'applied', trigger: 'revert', pricingBefore: { tier: 'Standard' }, pricingAfter: { tier: 'Free' } });
    expect(world.pricingOf(SUB)?.tier).toBe('Free');
    expect(world.puts[0]?.body).toEqual({
      pricingTier: 'Free',
      extensions: [
        { name: 'AIPromptEvidence', isEnabled: 'False' },
        { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
        { name: 'AIModelScanner', isEnabled: 'False' },
      ],
    });
    // planning read + the write path's fresh read under the lock + read-back
    expect(world.calls.pricing).toEqual({ get: 3, put: 1 });
    // the run's records, the intent, the outcome; the lease taken, renewed for the one target, given back
    expect(world.calls.records).toMatchObject({ listRun: 1, write: 2, ensureWritable: 1, acquireLease: 2, releaseLease: 1 });
    expect(await ports.records.currentLease(TENANT_PASS_LEASE)).toBeUndefined();
  });

  it('skips a plan changed since the run (someone switched Purview sharing on): nothing written', async () => {
    const { world, ports } = await afterEnablingRun();
    world.setPricing(SUB, standardPlan(['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner']));

    const result = await revertRun(ports, enforce, { run: 'run-1' });

    expect(result.records[0]).toMatchObject({ action: 'skip', skipReason: 'changed-since', outcome: 'no-op' });
    expect(result.records[0]?.reasons.join(' ')).toContain('AIPromptSharingWithPurview is on, that run left it off');
    expect(world.calls.pricing).toEqual({ get: 1, put: 0 });
    expect(world.pricingOf(SUB)?.tier).toBe('Standard');
  });

  it('skips a plan managed elsewhere since', async () => {
    const { world, ports } = await afterEnablingRun();
    world.setPricing(SUB, { ...world.pricingOf(SUB)!, managedBy: 'M365 security rule: /rules/2' });

    const result = await revertRun(ports, enforce, { run: 'run-1' });

    expect(result.records[0]).toMatchObject({ skipReason: 'changed-since' });
    expect(world.calls.pricing.put).toBe(0);
  });

  it('a 409 is retried from a fresh read after the back-off wait', async () => {
    const { world, ports } = await afterEnablingRun();
    world.conflictNextPuts(SUB, 1);

    const result = await revertRun(ports, enforce, { run: 'run-1' });

    expect(result.records[0]).toMatchObject({ outcome: 'applied' });
    expect(world.puts.map((p) => p.result)).toEqual(['refused', 'applied']);
    expect(world.calls.pricing).toEqual({ get: 4, put: 2 });
    expect(world.sleeps).toEqual([RETRY_BACKOFF_MS[0]]);
  });

  it('a lost answer: the fresh read shows the plan reverted, recorded as applied, sent once', async () => {
    const { world, ports } = await afterEnablingRun();
    world.loseNextPutAnswers(SUB, 1);

    const result = await revertRun(ports, enforce, { run: 'run-1' });

    expect(result.records[0]).toMatchObject({ outcome: 'applied', pricingAfter: { tier: 'Free' } });
    expect(world.puts.map((p) => p.result)).toEqual(['lost']);
    // planning read, fresh read under the lock, PUT (answer lost), fresh read showing it landed
    expect(world.calls.pricing).toEqual({ get: 3, put: 1 });
  });

  it('preview: decided as a dry run, nothing written or stored, no lease', async () => {
    const { world, ports } = await afterEnablingRun();

    const result = await revertRun(ports, enforce, { run: 'run-1', preview: true });

    expect(result.records[0]).toMatchObject({ action: 'revert', outcome: 'dry-run' });
    expect(world.calls.pricing).toEqual({ get: 1, put: 0 });
    expect(world.calls.records).toMatchObject({ write: 0, acquireLease: 0 });
    expect(world.pricingOf(SUB)?.tier).toBe('Standard');
  });
});
