import { sweep } from '../../../shared/engine/snapshot-pass';
import { TENANT_PASS_LEASE } from '../../../shared/engine/tenant-lease';
import type { RemediationRecord } from '../../../shared/records/record';
import { config, standardPlan } from '../../builders/context.builder';
import { fakePorts } from '../../support/fake-ports';
import { FakeWorld } from '../../support/fake-world';

/**
 * A sweep over a Resource Graph view that lags ARM: the snapshot nominates, the fresh ARM read
 * before each PUT decides. Request counts prove the budget: ARM pricing reads only for write
 * candidates, Resource Graph three queries per page plus one for the policy.
 */

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const LIVE_FREE = id(1);
const STALE_FREE_BUT_COMPLIANT = id(2);
const NOT_INDEXED = id(3);
const RESOURCE_NOT_INDEXED = id(4);
const MANAGED_ELSEWHERE = id(5);
const SPEECH_ONLY = id(6);
const DISABLED = id(7);

function laggingTenant(): FakeWorld {
  const world = new FakeWorld();
  const mg = ['contoso-landing-zones', 'contoso'];
  for (let n = 1; n <= 7; n++) world.addSubscription(id(n), { displayName: `sub-${n}`, managementGroupAncestors: mg, ...(n === 7 ? { state: 'Disabled' } : {}) });
  for (const sub of [LIVE_FREE, STALE_FREE_BUT_COMPLIANT, NOT_INDEXED, MANAGED_ELSEWHERE, DISABLED]) world.addAccount(sub, `oai-${sub.slice(-2)}`);

  // ARM is compliant; the index still shows the plan as it was before someone enabled it.
  world.setGraphPricing(STALE_FREE_BUT_COMPLIANT, { tier: 'Free', extensions: [], inherited: false, enforce: false });
  world.setPricing(STALE_FREE_BUT_COMPLIANT, standardPlan(['AIPromptEvidence', 'AIModelScanner']));
  // No row for the plan yet: the snapshot assumes Free (notIndexed), the fresh read decides.
  world.unindexPricing(NOT_INDEXED);
  // A new account the index has not picked up: the snapshot sees no AI resources.
  world.hideFromGraph(world.addAccount(RESOURCE_NOT_INDEXED, 'oai-new').id);
  // Managed by an M365 security rule: ARM says so (2026-07-01), the index does not carry the field.
  world.setPricing(MANAGED_ELSEWHERE, { tier: 'Free', extensions: [], inherited: false, enforce: false, managedBy: 'M365 security rule: /rules/9', originatedFrom: 'M365' });
  world.addResource(SPEECH_ONLY, { id: `/subscriptions/${SPEECH_ONLY}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/speech`, type: 'Microsoft.CognitiveServices/accounts', kind: 'SpeechServices' });
  return world;
}

describe('sweep over a lagging snapshot (fakes)', () => {
  it('writes only where the fresh ARM read still says so, and counts its requests', async () => {
    const world = laggingTenant();
    const ports = fakePorts(world, { pageSize: 2 });
    const seen: RemediationRecord[] = [];

    const result = await sweep(ports, config(), { trigger: 'sweep', onRecord: (r) => seen.push(r) });

    const bySub = new Map(world.records.all().map((r) => [r.subscriptionId, r]));
    expect(bySub.get(LIVE_FREE)).toMatchObject({ action: 'enable', outcome: 'applied' });
    expect(bySub.get(STALE_FREE_BUT_COMPLIANT)).toMatchObject({ action: 'none', outcome: 'no-op' });
    expect(bySub.get(NOT_INDEXED)).toMatchObject({ action: 'enable', outcome: 'applied', pricingBefore: { tier: 'Free' } });
    expect(bySub.get(RESOURCE_NOT_INDEXED)).toMatchObject({ action: 'skip', skipReason: 'no-ai-resources', outcome: 'no-op' });
    expect(bySub.get(MANAGED_ELSEWHERE)).toMatchObject({ action: 'skip', skipReason: 'managed-elsewhere', outcome: 'no-op' });
    expect(bySub.get(SPEECH_ONLY)).toMatchObject({ action: 'skip', skipReason: 'no-ai-resources' });
    expect(bySub.get(DISABLED)).toMatchObject({ action: 'skip', skipReason: 'subscription-disabled' });
    expect(seen).toHaveLength(7);
    expect(result.summary).toMatchObject({ subscriptions: 7, byOutcome: { applied: 2, 'no-op': 5 } });
    expect(result.unrecorded).toEqual([]);

    // ARM truth after the pass: the two writes, nothing else.
    expect(world.puts.map((p) => p.subscriptionId).sort()).toEqual([LIVE_FREE, NOT_INDEXED]);
    expect(world.pricingOf(MANAGED_ELSEWHERE)?.tier).toBe('Free');
    expect(world.pricingOf(RESOURCE_NOT_INDEXED)?.tier).toBe('Free');

    // Requests: the plan refreshed from ARM (4 snapshot write candidates) + the fresh read under the
    // lock and the read-back (2 writes); the managed and compliant plans never reach the write path.
    // Accounts of the 4 looked-into subscriptions with accounts in the snapshot.
    expect(world.calls.pricing).toEqual({ get: 4 + 2 * 2, put: 2 });
    expect(world.armRequests({ port: 'pricing', method: 'get', target: STALE_FREE_BUT_COMPLIANT })).toBe(1);
    expect(world.armRequests({ port: 'pricing', target: RESOURCE_NOT_INDEXED })).toBe(0);
    expect(world.calls.accounts.inspect).toBe(4);
    expect(world.calls.subscriptions.get).toBe(0);
    expect(world.calls.inventory.listAiTypedResources).toBe(0);
    expect(world.calls.snapshot).toEqual({ page: 4, pages: 1, policy: 1 });
    expect(world.calls.graph.queries).toBe(4 * 3 + 1);
    expect(world.armRequests()).toBe(8 + 2 + 4);

    // The pass held the tenant lease and gave it back; one summary stored.
    expect(world.calls.records.ensureWritable).toBe(1);
    expect(await ports.records.currentLease(TENANT_PASS_LEASE)).toBeUndefined();
    expect(world.records.summaries()).toHaveLength(1);
  });

  it('report mode: the snapshot write candidates are refreshed from ARM (one GET each), then decided; writes nothing', async () => {
    const world = laggingTenant();

    const result = await sweep(fakePorts(world), config({ D4AI_MODE: 'report' }), { trigger: 'sweep' });

    expect(world.calls.pricing.put).toBe(0);
    // The dry run plans on the refreshed ARM read: the stale-but-compliant and the managed plans are
    // not pending writes (as the enforcing run above decides); the live and the unindexed Free plans are.
    expect(result.summary.byOutcome).toEqual({ 'dry-run': 2, 'no-op': 5 });
    const bySub = new Map(world.records.all().map((r) => [r.subscriptionId, r]));
    expect(bySub.get(STALE_FREE_BUT_COMPLIANT)).toMatchObject({ action: 'none', planBasis: { source: 'arm' } });
    expect(bySub.get(MANAGED_ELSEWHERE)).toMatchObject({ action: 'skip', skipReason: 'managed-elsewhere' });
    expect(world.calls.pricing.get).toBe(4);
  });

  it('another pass holding the lease stops the sweep before anything is read', async () => {
    const world = laggingTenant();
    await world.records.acquireLease(TENANT_PASS_LEASE, 'someone else', 60_000, world.clock.peek());

    await expect(sweep(fakePorts(world), config(), { trigger: 'sweep' })).rejects.toMatchObject({ code: 'PassInProgress' });
    expect(world.calls.snapshot.page).toBe(0);
    expect(world.armRequests()).toBe(0);
  });

  it('a record store that cannot be written stops the sweep before anything is read', async () => {
    const world = laggingTenant();
    world.records.unavailable = 'disk full (injected)';

    await expect(sweep(fakePorts(world), config(), { trigger: 'sweep' })).rejects.toMatchObject({ code: 'RecordStoreUnavailable' });
    expect(world.calls.snapshot.page).toBe(0);
  });

  it('a snapshot page that fails: what was decided is recorded, the rest named as unrecorded', async () => {
    const world = laggingTenant();
    const ports = fakePorts(world, { pageSize: 3 });
    // The second page (offset 3) fails.
    world.failNext('snapshot', 'page', { target: '3' });

    const result = await sweep(ports, config(), { trigger: 'sweep' });

    expect(result.summary.subscriptions).toBe(3);
    expect(result.unrecorded).toEqual([expect.objectContaining({ subscriptionId: '*' })]);
  });
});

describe('the usage example of fake-ports.ts', () => {
  it('runs as documented', async () => {
    const SUB = id(42);
    const world = new FakeWorld();
    world.addSubscription(SUB, { managementGroupAncestors: ['contoso'] });
    world.addAccount(SUB, 'oai-chat');
    world.unindexPricing(SUB);
    world.conflictNextPuts(SUB, 1);
    const ports = fakePorts(world, { pageSize: 2 });
    await sweep(ports, config(), { trigger: 'sweep' });
    expect(world.pricingOf(SUB)?.tier).toBe('Standard');
    // refresh GET, fresh GET under the lock, PUT (409), fresh GET, PUT, read-back GET
    expect(world.calls.pricing).toEqual({ get: 4, put: 2 });
    expect(world.sleeps).toEqual([2000]);
  });
});
