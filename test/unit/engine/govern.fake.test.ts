import { governSubscription } from '../../../shared/engine/govern';
import { RETRY_BACKOFF_MS } from '../../../shared/engine/apply';
import { BACKOFF_FIRST_MS } from '../../../shared/domain/extension-backoff';
import { config, standardPlan } from '../../builders/context.builder';
import { fakePorts } from '../../support/fake-ports';
import { FakeWorld } from '../../support/fake-world';

/** governSubscription end to end over the in-memory ports: outcomes, the ARM truth after, and request counts. */

const SUB = '00000000-0000-4000-8000-0000000000b1';
const enforce = config();

function worldWith(setup: (world: FakeWorld) => void = () => undefined): FakeWorld {
  const world = new FakeWorld();
  world.addSubscription(SUB, { displayName: 'corp-ai' });
  world.addAccount(SUB, 'oai-chat');
  setup(world);
  return world;
}

const enabledOf = (world: FakeWorld): string[] => (world.pricingOf(SUB)?.extensions ?? []).filter((e) => e.enabled).map((e) => e.name);

describe('governSubscription over the fakes', () => {
  it('Free → Standard: every extension listed, the configured ones on; one PUT between a fresh read and a read-back', async () => {
    const world = worldWith();
    const ports = fakePorts(world);

    const result = await governSubscription(ports, enforce, { subscriptionId: SUB, trigger: 'manual', runId: 'run-1' });

    expect(result.record).toMatchObject({ action: 'enable', outcome: 'applied', pricingBefore: { tier: 'Free' }, pricingAfter: { tier: 'Standard' } });
    expect(world.pricingOf(SUB)?.tier).toBe('Standard');
    expect(enabledOf(world)).toEqual(['AIPromptEvidence', 'AIModelScanner']);
    expect(world.puts).toHaveLength(1);
    expect(world.puts[0]?.body).toEqual({
      pricingTier: 'Standard',
      extensions: [
        { name: 'AIPromptEvidence', isEnabled: 'True' },
        { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
        { name: 'AIModelScanner', isEnabled: 'True' },
      ],
    });
    // load (1) + fresh read before the PUT (1) + read-back (1)
    expect(world.calls.pricing).toEqual({ get: 3, put: 1 });
    expect(world.calls.subscriptions.get).toBe(1);
    expect(world.calls.inventory.listAiTypedResources).toBe(1);
    expect(world.calls.accounts.inspect).toBe(1);
    expect(world.calls.exemptions.listApplying).toBe(1);
    expect(world.calls.policyAssignments.listDefenderForAi).toBe(1);
    // the back-off read, the intent, then the outcome replacing it (one row)
    expect(world.calls.records).toMatchObject({ list: 1, write: 2 });
    expect(world.records.history.map((r) => r.outcome)).toEqual(['intent', 'applied']);
    expect(world.records.all()).toHaveLength(1);
    expect(world.sleeps).toEqual([]);
  });

  it('add-components: switches the missing one on, keeps what is on and an unknown extension with its settings', async () => {
    const world = worldWith((w) =>
      w.setPricing(SUB, {
        ...standardPlan(['AIPromptEvidence', 'AIPromptSharingWithPurview']),
        extensions: [
          ...standardPlan(['AIPromptEvidence', 'AIPromptSharingWithPurview']).extensions,
          { name: 'AIFuturePreview', enabled: true, additionalExtensionProperties: { ExclusionTags: '[]' } },
        ],
      }),
    );

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'add-components', outcome: 'applied' });
    expect(result.record.change).toMatchObject({ switchOn: ['AIModelScanner'], keptOn: ['AIPromptEvidence', 'AIPromptSharingWithPurview'], passedThrough: ['AIFuturePreview'] });
    expect(enabledOf(world)).toEqual(['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner', 'AIFuturePreview']);
    expect(world.pricingOf(SUB)?.extensions.find((e) => e.name === 'AIFuturePreview')?.additionalExtensionProperties).toEqual({ ExclusionTags: '[]' });
    expect(world.calls.pricing).toEqual({ get: 3, put: 1 });
  });

  it('compliant: decides none, one GET, no PUT, one record', async () => {
    const world = worldWith((w) => w.setPricing(SUB, standardPlan(['AIPromptEvidence', 'AIModelScanner'])));

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'none', outcome: 'no-op' });
    expect(world.calls.pricing).toEqual({ get: 1, put: 0 });
    expect(world.calls.records.write).toBe(1);
  });

  it('managed elsewhere (pricings 2026-07-01 managedBy): skipped, never written', async () => {
    const world = worldWith((w) => w.setPricing(SUB, { tier: 'Free', extensions: [], inherited: false, enforce: false, managedBy: 'M365 security rule: /rules/1', originatedFrom: 'M365' }));

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'skip', skipReason: 'managed-elsewhere', outcome: 'no-op', pricingBefore: { managedBy: 'M365 security rule: /rules/1' } });
    expect(world.calls.pricing).toEqual({ get: 1, put: 0 });
    expect(world.pricingOf(SUB)?.tier).toBe('Free');
  });

  it('every account opted out of Defender for AI: skipped, the account read once, never written', async () => {
    const world = new FakeWorld();
    world.addSubscription(SUB);
    const account = world.addAccount(SUB, 'oai-optout', { defenderForAI: 'Disabled' });

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'skip', skipReason: 'accounts-opted-out', optedOutAccounts: [account.id] });
    expect(world.calls.accounts.inspect).toBe(1);
    expect(world.calls.pricing.put).toBe(0);
  });

  it('a subscription skipped on its own facts costs one subscription read and nothing else', async () => {
    const world = worldWith((w) => (w.subscription(SUB).tags = { 'd4ai-opt-out': 'true' }));

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'skip', skipReason: 'opt-out-tag' });
    expect(world.armRequests()).toBe(1);
    expect(world.calls.subscriptions.get).toBe(1);
  });

  it('extension back-off: a partial write, then a skip while it lasts, then one more try after it', async () => {
    const world = worldWith((w) => w.failExtension(SUB, 'AIModelScanner', 'Model scanning is not available in this region yet.'));
    const ports = fakePorts(world);

    const first = await governSubscription(ports, enforce, { subscriptionId: SUB, trigger: 'manual' });
    expect(first.record).toMatchObject({ action: 'enable', outcome: 'partial', failedExtensions: ['AIModelScanner'], partialAttempts: 1 });
    expect(world.pricingOf(SUB)?.tier).toBe('Standard');
    expect(enabledOf(world)).toEqual(['AIPromptEvidence']);

    world.clock.advance(10 * 60_000);
    world.resetCalls();
    const second = await governSubscription(ports, enforce, { subscriptionId: SUB, trigger: 'manual' });
    expect(second.record).toMatchObject({ action: 'skip', skipReason: 'extension-backoff', failedExtensions: ['AIModelScanner'], retryAfter: first.record.retryAfter });
    expect(world.calls.pricing).toEqual({ get: 1, put: 0 });

    world.clock.advance(BACKOFF_FIRST_MS);
    world.resetCalls();
    const third = await governSubscription(ports, enforce, { subscriptionId: SUB, trigger: 'manual' });
    expect(third.record).toMatchObject({ action: 'add-components', outcome: 'partial', partialAttempts: 2 });
    expect(world.calls.pricing.put).toBe(1);
  });

  it('a 409 starts again from a fresh read after the first back-off wait, then succeeds', async () => {
    const world = worldWith((w) => w.conflictNextPuts(SUB, 1));

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'enable', outcome: 'applied', pricingBefore: { tier: 'Free' } });
    expect(world.puts.map((p) => p.result)).toEqual(['refused', 'applied']);
    // load + fresh read per attempt (2) + read-back
    expect(world.calls.pricing).toEqual({ get: 4, put: 2 });
    expect(world.sleeps).toEqual([RETRY_BACKOFF_MS[0]]);
    expect(result.record.reasons.join(' ')).toContain('conflicted with another update in progress');
  });

  it('a PUT that lands but whose answer is lost: the next fresh read shows what it did, recorded as applied, not sent twice', async () => {
    const world = worldWith((w) => w.loseNextPutAnswers(SUB, 1));

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'enable', outcome: 'applied', pricingBefore: { tier: 'Free' }, pricingAfter: { tier: 'Standard' } });
    expect(world.puts.map((p) => p.result)).toEqual(['lost']);
    expect(world.calls.pricing).toEqual({ get: 3, put: 1 });
    expect(world.sleeps).toEqual([RETRY_BACKOFF_MS[0]]);
    expect(result.record.reasons.join(' ')).toContain('The answer to an earlier PUT was lost');
  });

  it('report mode reads and decides, writes nothing, and records a dry run', async () => {
    const world = worldWith();

    const result = await governSubscription(fakePorts(world), config({ D4AI_MODE: 'report' }), { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ action: 'enable', outcome: 'dry-run' });
    expect(world.calls.pricing).toEqual({ get: 1, put: 0 });
    expect(world.pricingOf(SUB)?.tier).toBe('Free');
  });

  it('a record store that refuses the intent: nothing is sent', async () => {
    const world = worldWith((w) => w.records.failNextWrites(Infinity, (r) => r.outcome === 'intent'));

    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: SUB, trigger: 'manual' });

    expect(result.record).toMatchObject({ outcome: 'failed', error: { code: expect.stringMatching(/^IntentNotRecorded:/) as unknown } });
    expect(world.calls.pricing.put).toBe(0);
    expect(world.pricingOf(SUB)?.tier).toBe('Free');
  });
});
