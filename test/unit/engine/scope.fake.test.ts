import { governSubscription } from '../../../shared/engine/govern';
import { sweep } from '../../../shared/engine/snapshot-pass';
import { decide, outOfScopeReason } from '../../../shared/domain/decide';
import { config, context } from '../../builders/context.builder';
import { fakePorts } from '../../support/fake-ports';
import { FakeWorld } from '../../support/fake-world';

/**
 * One scope for every path: with D4AI_MANAGEMENT_GROUP set, a subscription outside it is never
 * written, whether an event, the admin API or `govern` names it (all load through loadContext,
 * which reads the ancestry from Resource Graph), and a moved subscription stops being governed.
 */
const INSIDE = '00000000-0000-4000-8000-0000000000c1';
const OUTSIDE = '00000000-0000-4000-8000-0000000000c2';
const scoped = config({ D4AI_MANAGEMENT_GROUP: 'contoso' });

function world(): FakeWorld {
  const w = new FakeWorld();
  w.addSubscription(INSIDE, { displayName: 'in', managementGroupAncestors: ['contoso-corp', 'contoso', 'tenant-root'] });
  w.addSubscription(OUTSIDE, { displayName: 'out', managementGroupAncestors: ['fabrikam', 'tenant-root'] });
  w.addAccount(INSIDE, 'oai-in');
  w.addAccount(OUTSIDE, 'oai-out');
  return w;
}

describe('decide: out-of-scope', () => {
  it('skips a subscription whose ancestry does not name D4AI_MANAGEMENT_GROUP, naming the setting', () => {
    const decision = decide(context({ subscription: { subscriptionId: OUTSIDE, state: 'Enabled', tags: {}, managementGroupAncestors: ['fabrikam'] } }), scoped);
    expect(decision).toMatchObject({ action: 'skip', skipReason: 'out-of-scope' });
    expect(decision.reasons.join(' ')).toContain('D4AI_MANAGEMENT_GROUP=contoso');
  });

  it('an unknown ancestry (empty) is out of scope; a case-insensitive match is in scope; without the setting everything is', () => {
    expect(outOfScopeReason({ subscriptionId: OUTSIDE, state: 'Enabled', tags: {}, managementGroupAncestors: [] }, scoped)).toContain('could not be read');
    expect(outOfScopeReason({ subscriptionId: INSIDE, state: 'Enabled', tags: {}, managementGroupAncestors: ['CONTOSO'] }, scoped)).toBeUndefined();
    expect(outOfScopeReason({ subscriptionId: OUTSIDE, state: 'Enabled', tags: {}, managementGroupAncestors: ['fabrikam'] }, config())).toBeUndefined();
  });
});

describe('single-subscription paths (events, admin API, govern) over the fakes', () => {
  it.each(['event', 'manual', 'cli'] as const)('a %s trigger for a subscription outside the management group records skip out-of-scope and writes nothing', async (trigger) => {
    const w = world();
    const result = await governSubscription(fakePorts(w), scoped, { subscriptionId: OUTSIDE, trigger, runId: `run-${trigger}` });
    expect(result.record).toMatchObject({ action: 'skip', skipReason: 'out-of-scope' });
    expect(result.record.reasons.join(' ')).toContain('D4AI_MANAGEMENT_GROUP=contoso');
    expect(w.puts).toHaveLength(0);
    // Nothing beyond the subscription and its ancestry was read.
    expect(w.calls.pricing.get ?? 0).toBe(0);
  });

  it('the same path governs a subscription inside it', async () => {
    const w = world();
    const result = await governSubscription(fakePorts(w), scoped, { subscriptionId: INSIDE, trigger: 'event', runId: 'run-in' });
    expect(result.record).toMatchObject({ action: 'enable', outcome: 'applied' });
  });

  it('a subscription Resource Graph does not list yet is not written on a guess', async () => {
    const w = world();
    w.graphHiddenSubscriptions.add(INSIDE);
    const result = await governSubscription(fakePorts(w), scoped, { subscriptionId: INSIDE, trigger: 'event', runId: 'run-hidden' });
    expect(result.record).toMatchObject({ action: 'skip', skipReason: 'out-of-scope' });
    expect(w.puts).toHaveLength(0);
  });

  it('without D4AI_MANAGEMENT_GROUP the documented scope applies (no ancestry read)', async () => {
    const w = world();
    const result = await governSubscription(fakePorts(w), config(), { subscriptionId: OUTSIDE, trigger: 'event', runId: 'run-any' });
    expect(result.record).toMatchObject({ action: 'enable', outcome: 'applied' });
    expect(w.calls.snapshot.ancestry ?? 0).toBe(0);
  });

  it('a moved subscription stops being governed at the next pass', async () => {
    const w = world();
    const ports = fakePorts(w);
    await sweep(ports, { ...scoped, mode: 'report' }, { trigger: 'cli' });
    const before = w.requests.length;
    w.subscriptions.get(INSIDE)!.managementGroupAncestors = ['fabrikam', 'tenant-root'];
    const { summary } = await sweep(ports, scoped, { trigger: 'sweep' });
    expect(summary.subscriptions).toBe(0);
    expect(w.puts).toHaveLength(0);
    expect(w.requests.slice(before).filter((r) => r.port === 'pricing')).toHaveLength(0);
    const event = await governSubscription(ports, scoped, { subscriptionId: INSIDE, trigger: 'event', runId: 'run-moved' });
    expect(event.record).toMatchObject({ action: 'skip', skipReason: 'out-of-scope' });
  });
});
