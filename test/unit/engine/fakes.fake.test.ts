import { isRestError } from '@azure/core-rest-pipeline';
import type { PricingBody } from '../../../shared/domain/model';
import { isConflict, isTransient, retryAfterMs, wasNotApplied } from '../../../shared/engine/errors';
import { buildRecord } from '../../../shared/records/record';
import { standardPlan } from '../../builders/context.builder';
import { fakePorts } from '../../support/fake-ports';
import { FakeWorld, accountId } from '../../support/fake-world';

/** The fakes themselves: the service semantics the engine tests rely on. */

const A = '00000000-0000-4000-8000-0000000000d1';
const B = '00000000-0000-4000-8000-0000000000d2';
const ALL_ON: PricingBody = {
  pricingTier: 'Standard',
  extensions: [
    { name: 'AIPromptEvidence', isEnabled: 'True' },
    { name: 'AIPromptSharingWithPurview', isEnabled: 'False' },
    { name: 'AIModelScanner', isEnabled: 'True' },
  ],
};

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('fake pricing port', () => {
  it('a Standard PUT that omits extensions switches them on (the service default); Free switches every one off', async () => {
    const world = new FakeWorld().addSubscription(A);
    const ports = fakePorts(world);

    const answer = await ports.pricing.put(A, { pricingTier: 'Standard', extensions: [{ name: 'AIPromptEvidence', isEnabled: 'False' }] });
    expect(answer?.extensions.map((e) => [e.name, e.enabled, e.operationStatus?.code])).toEqual([
      ['AIPromptEvidence', false, 'Succeeded'],
      ['AIPromptSharingWithPurview', true, 'Succeeded'],
      ['AIModelScanner', true, 'Succeeded'],
    ]);
    expect((await ports.pricing.get(A))?.extensions.every((e) => e.operationStatus === undefined)).toBe(true);
    expect((await ports.pricing.get(A))?.enablementTime).toBe(world.clock.peek().toISOString());

    await ports.pricing.put(A, { pricingTier: 'Free', extensions: [] });
    expect(world.pricingOf(A)).toMatchObject({ tier: 'Free', extensions: [{ enabled: false }, { enabled: false }, { enabled: false }] });
    expect(world.calls.pricing).toEqual({ get: 2, put: 2 });
  });

  it('refuses unknown extensions (400), writes to an enforced inherited plan (400), a plan not offered (404)', async () => {
    const world = new FakeWorld().addSubscription(A).addSubscription(B, { pricing: { tier: 'Free', extensions: [], inherited: true, inheritedFrom: '/providers/Microsoft.Management/managementGroups/x', enforce: true } });
    world.addSubscription('00000000-0000-4000-8000-0000000000d3', { pricing: null });
    const ports = fakePorts(world);

    expect(await thrown(ports.pricing.put(A, { pricingTier: 'Standard', extensions: [{ name: 'Nope', isEnabled: 'True' }] }))).toMatchObject({ statusCode: 400, code: 'InvalidInput' });
    expect(await thrown(ports.pricing.put(B, ALL_ON))).toMatchObject({ statusCode: 400, code: 'PricingInherited' });
    expect(await ports.pricing.get('00000000-0000-4000-8000-0000000000d3')).toBeUndefined();
    expect(await thrown(ports.pricing.put('00000000-0000-4000-8000-0000000000d3', ALL_ON))).toMatchObject({ statusCode: 404 });
    expect(world.puts.map((p) => p.result)).toEqual(['refused', 'refused', 'refused']);
    expect(world.pricingOf(A)?.tier).toBe('Free');
  });

  it('an inherited plan that is not enforced becomes explicit when written; managedBy is gone after our PUT', async () => {
    const world = new FakeWorld().addSubscription(A, { pricing: { tier: 'Free', extensions: [], inherited: true, enforce: false, managedBy: 'x', originatedFrom: 'M365' } });
    await fakePorts(world).pricing.put(A, ALL_ON);
    expect(world.pricingOf(A)).toMatchObject({ tier: 'Standard', inherited: false });
    expect(world.pricingOf(A)?.managedBy).toBeUndefined();
  });

  it('an extension armed to fail: answered operationStatus Failed, stored off; the others applied', async () => {
    const world = new FakeWorld().addSubscription(A).failExtension(A, 'AIModelScanner', 'not in this region', 1);
    const ports = fakePorts(world);

    const answer = await ports.pricing.put(A, ALL_ON);
    expect(answer?.extensions.find((e) => e.name === 'AIModelScanner')?.operationStatus).toEqual({ code: 'Failed', message: 'not in this region' });
    expect(world.pricingOf(A)?.extensions.filter((e) => e.enabled).map((e) => e.name)).toEqual(['AIPromptEvidence']);

    // Armed once: the next PUT switches it on.
    await ports.pricing.put(A, ALL_ON);
    expect(world.pricingOf(A)?.extensions.filter((e) => e.enabled).map((e) => e.name)).toEqual(['AIPromptEvidence', 'AIModelScanner']);
  });

  it('faults: 409 and 503 change nothing; a lost answer changed the plan; errors classify as the engine expects', async () => {
    const world = new FakeWorld().addSubscription(A);
    const ports = fakePorts(world);
    world.conflictNextPuts(A, 1, 3000).failNextPuts(A, 1, 503).loseNextPutAnswers(A, 1).failNextGets(A, 1);

    const conflict = await thrown(ports.pricing.put(A, ALL_ON));
    expect(isConflict(conflict) && wasNotApplied(conflict)).toBe(true);
    expect(retryAfterMs(conflict)).toBe(3000);
    expect(world.pricingOf(A)?.tier).toBe('Free');

    const unavailable = await thrown(ports.pricing.put(A, ALL_ON));
    expect(isTransient(unavailable) && !wasNotApplied(unavailable)).toBe(true);
    expect(world.pricingOf(A)?.tier).toBe('Free');

    const lost = await thrown(ports.pricing.put(A, ALL_ON));
    expect(isRestError(lost) && isTransient(lost) && !wasNotApplied(lost)).toBe(true);
    expect(world.pricingOf(A)?.tier).toBe('Standard');

    expect(await thrown(ports.pricing.get(A))).toMatchObject({ statusCode: 503 });
    expect((await ports.pricing.get(A))?.tier).toBe('Standard');
    expect(world.puts.map((p) => p.result)).toEqual(['refused', 'refused', 'lost']);
    expect(world.calls.pricing).toEqual({ get: 2, put: 3 });
  });

  it('a fault aimed at one subscription leaves the others alone', async () => {
    const world = new FakeWorld().addSubscription(A).addSubscription(B).failNext('pricing', 'get', { target: B, times: 2 });
    const ports = fakePorts(world);
    expect((await ports.pricing.get(A))?.tier).toBe('Free');
    await expect(ports.pricing.get(B)).rejects.toMatchObject({ statusCode: 503 });
    expect(world.armRequests({ port: 'pricing', target: B })).toBe(1);
  });
});

describe('fake Resource Graph view', () => {
  function tenant(): FakeWorld {
    const world = new FakeWorld();
    for (let n = 1; n <= 5; n++) world.addSubscription(`00000000-0000-4000-8000-00000000000${n}`, { managementGroupAncestors: n <= 3 ? ['corp', 'contoso'] : ['fabrikam'] });
    return world;
  }

  it('pages with a skipToken and a total, scoped to a management group or to listed subscriptions', async () => {
    const world = tenant();
    const ports = fakePorts(world, { pageSize: 2 });

    const first = await ports.snapshot.page({});
    expect(first.entries).toHaveLength(2);
    expect(first.total).toBe(5);
    expect(first.skipToken).toBe('2');
    const pages = [];
    for await (const page of ports.snapshot.pages({ managementGroup: 'contoso' })) pages.push(page.entries.map((e) => e.subscription.subscriptionId.slice(-1)));
    expect(pages).toEqual([['1', '2'], ['3']]);
    const listed = [];
    for await (const page of ports.snapshot.pages({ subscriptions: ['00000000-0000-4000-8000-000000000005'] })) listed.push(...page.entries);
    expect(listed.map((e) => e.subscription.managementGroupAncestors)).toEqual([['fabrikam']]);
    expect(world.calls.snapshot).toEqual({ page: 4, pages: 2, policy: 0 });
  });

  it('lags ARM: a stale row, no row, a resource or a subscription not indexed; no managedBy; syncGraph catches up', async () => {
    const world = tenant();
    const [s1, s2, s3] = ['1', '2', '3'].map((n) => `00000000-0000-4000-8000-00000000000${n}`) as [string, string, string];
    world.freezeGraphPricing(s1).setPricing(s1, standardPlan(['AIPromptEvidence']));
    world.unindexPricing(s2);
    world.setPricing(s3, { tier: 'Free', extensions: [], inherited: false, enforce: false, managedBy: 'M365 rule' });
    const hidden = world.addAccount(s3, 'oai-new');
    world.addAccount(s3, 'oai-old');
    world.hideFromGraph(hidden.id);
    world.hideSubscriptionFromGraph('00000000-0000-4000-8000-000000000004');
    const ports = fakePorts(world);

    const entries = (await ports.snapshot.page({})).entries;
    const bySub = new Map(entries.map((e) => [e.subscription.subscriptionId, e]));
    expect(entries).toHaveLength(4);
    expect(bySub.get(s1)?.pricing?.tier).toBe('Free');
    expect(bySub.get(s2)?.pricing).toBeUndefined();
    expect(bySub.get(s3)?.pricing?.managedBy).toBeUndefined();
    expect(bySub.get(s3)?.aiResources.map((r) => r.id)).toEqual([accountId(s3, 'oai-old')]);
    // ARM itself does not lag.
    expect((await ports.pricing.get(s1))?.tier).toBe('Standard');
    expect((await ports.pricing.get(s3))?.managedBy).toBe('M365 rule');

    world.syncGraph();
    world.graphCarriesManagedBy = true;
    const caughtUp = new Map((await ports.snapshot.page({})).entries.map((e) => [e.subscription.subscriptionId, e]));
    expect(caughtUp.size).toBe(5);
    expect(caughtUp.get(s1)?.pricing?.tier).toBe('Standard');
    expect(caughtUp.get(s3)?.pricing?.managedBy).toBe('M365 rule');
    expect(caughtUp.get(s3)?.aiResources).toHaveLength(2);
  });

  it('keeps only AI kinds in the snapshot; the ARM listing has every AI-typed resource, lags on its own; a GET by id is exact', async () => {
    const world = new FakeWorld().addSubscription(A);
    const speech = world.addResource(A, { id: accountId(A, 'speech'), type: 'Microsoft.CognitiveServices/accounts', kind: 'SpeechServices' });
    const fresh = world.addAccount(A, 'oai-fresh');
    world.hideFromInventory(fresh.id);
    const ports = fakePorts(world);

    expect((await ports.snapshot.page({})).entries[0]?.aiResources.map((r) => r.id)).toEqual([fresh.id]);
    expect((await ports.inventory.listAiTypedResources(A)).map((r) => r.id)).toEqual([speech.id]);
    expect(await ports.inventory.getAiResource(fresh.id.toUpperCase())).toEqual(fresh);
    expect(await ports.inventory.getAiResource(accountId(A, 'made-up'))).toBeUndefined();
    expect(world.calls.inventory).toEqual({ listAiTypedResources: 1, getAiResource: 2 });
  });
});

describe('fake policy, subscriptions and accounts', () => {
  it('policy applies through management-group ancestry on ARM reads and in the snapshot view', async () => {
    const mg = '/providers/Microsoft.Management/managementGroups/corp';
    const assignment = `${mg}/providers/Microsoft.Authorization/policyAssignments/d4ai-audit`;
    const world = new FakeWorld().addSubscription(A, { managementGroupAncestors: ['corp'] }).addSubscription(B, { managementGroupAncestors: ['other'] });
    world.addPolicyAssignment({ id: assignment, policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/c2c0c6d8-007b-4a48-8d9b-3539bddd8e87', parameters: {}, scope: mg, notScopes: [] });
    world.addExemption({ id: `${mg}/providers/Microsoft.Authorization/policyExemptions/w`, policyAssignmentId: assignment, category: 'Waiver' });
    const ports = fakePorts(world);

    expect(await ports.policyAssignments.listDefenderForAi(A)).toHaveLength(1);
    expect(await ports.policyAssignments.listDefenderForAi(B)).toHaveLength(0);
    expect(await ports.exemptions.listApplying(A)).toHaveLength(1);
    expect(await ports.exemptions.listApplying(B)).toHaveLength(0);
    expect(await ports.snapshot.policy({}, undefined)).toMatchObject({ assignments: [{ id: assignment }], exemptions: [{ policyAssignmentId: assignment }] });
    // ARM's subscription read has no ancestry.
    expect(await ports.subscriptions.get(A)).toEqual({ subscriptionId: A, state: 'Enabled', tags: {} });
    expect(await ports.subscriptions.get('00000000-0000-4000-8000-00000000ffff')).toBeUndefined();
  });

  it('accounts: opted out, prompt shields, problems; an unknown account reads Enabled', async () => {
    const world = new FakeWorld().addSubscription(A);
    const out = world.addAccount(A, 'oai-out', { defenderForAI: 'Disabled', promptShieldsOff: [{ deployment: 'd', policy: 'p', filter: 'Jailbreak' }] });
    const ports = fakePorts(world);
    expect(await ports.accounts.inspect(out)).toEqual({ accountId: out.id, defenderForAI: 'Disabled', promptShieldsOff: [{ deployment: 'd', policy: 'p', filter: 'Jailbreak' }], problems: [] });
    expect((await ports.accounts.inspect({ id: accountId(A, 'other'), type: 'Microsoft.CognitiveServices/accounts', kind: 'OpenAI' })).defenderForAI).toBe('Enabled');
    expect(world.calls.accounts.inspect).toBe(2);
    world.setTokens(out.id, 5_000_000);
    expect(await ports.metrics.tokenVolume(out.id, new Date(0), new Date())).toEqual({ tokens: 5_000_000, metrics: ['TokenTransaction'] });
    expect(await ports.metrics.tokenVolume(accountId(A, 'other'), new Date(0), new Date())).toBeUndefined();
    expect(world.calls.metrics.tokenVolume).toBe(2);
  });
});

describe('fake record store, clock and sleep', () => {
  const record = (runId: string, at: string, outcome: 'intent' | 'applied', startedAt = '2026-12-01T09:00:00.000Z') =>
    buildRecord({ request: { subscriptionId: A, trigger: 'manual', runId }, mode: 'enforce', outcome, startedAt: new Date(startedAt), finishedAt: new Date(at) });

  it('a record written again (same subscription, start and run) replaces its row; lists are newest first and filtered', async () => {
    const world = new FakeWorld();
    const store = world.records;
    await store.write(record('r1', '2026-12-01T09:00:01.000Z', 'intent'));
    await store.write(record('r1', '2026-12-01T09:00:02.000Z', 'applied'));
    await store.write(record('r2', '2026-12-01T10:00:00.000Z', 'applied', '2026-12-01T10:00:00.000Z'));

    const listed = await store.list(A.toUpperCase(), 10);
    expect(listed.records.map((r) => [r.runId, r.outcome])).toEqual([['r2', 'applied'], ['r1', 'applied']]);
    expect((await store.list(A, 10, { since: new Date('2026-12-01T09:30:00Z') })).records.map((r) => r.runId)).toEqual(['r2']);
    expect((await store.listRun('r1', 10)).records).toHaveLength(1);
    expect(store.history).toHaveLength(3);
    expect(world.calls.records).toMatchObject({ write: 3, list: 2, listRun: 1 });
  });

  it('leases: another holder is refused until expiry; the holder renews and releases', async () => {
    const store = new FakeWorld().records;
    const t0 = new Date('2026-12-01T09:00:00Z');
    expect((await store.acquireLease('tenant-pass', 'a', 60_000, t0)).acquired).toBe(true);
    expect(await store.acquireLease('tenant-pass', 'b', 60_000, t0)).toMatchObject({ acquired: false, held: { holder: 'a' } });
    expect((await store.acquireLease('tenant-pass', 'a', 60_000, t0)).acquired).toBe(true);
    expect((await store.acquireLease('tenant-pass', 'b', 60_000, new Date(t0.getTime() + 61_000))).acquired).toBe(true);
    await store.releaseLease('tenant-pass', 'a');
    expect((await store.currentLease('tenant-pass'))?.holder).toBe('b');
    await store.releaseLease('tenant-pass', 'b');
    expect(await store.currentLease('tenant-pass')).toBeUndefined();
  });

  it('injected store failures: writes, reads, ensureWritable', async () => {
    const store = new FakeWorld().records;
    store.failNextWrites(1).failNextReads(1);
    await expect(store.write(record('r1', '2026-12-01T09:00:01.000Z', 'applied'))).rejects.toMatchObject({ code: 'FakeStoreFailure' });
    await expect(store.list(A, 1)).rejects.toMatchObject({ code: 'FakeStoreFailure' });
    await store.write(record('r1', '2026-12-01T09:00:01.000Z', 'applied'));
    expect((await store.list(A, 1)).records).toHaveLength(1);
    store.unavailable = 'full';
    await expect(store.ensureWritable()).rejects.toMatchObject({ code: 'RecordStoreUnavailable' });
  });

  it('sleep records the wait and moves the manual clock, without waiting', async () => {
    const world = new FakeWorld({ now: '2026-12-01T09:00:00.000Z' });
    const ports = fakePorts(world);
    await ports.sleep(60_000);
    expect(world.sleeps).toEqual([60_000]);
    expect(ports.clock().toISOString()).toBe('2026-12-01T09:01:00.000Z');
  });
});
