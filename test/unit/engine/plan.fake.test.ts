import { PlanFileInvalid, PlanRefused, buildSavedPlan, checkSavedPlan } from '../../../shared/domain/saved-plan';
import { contextFromSnapshot } from '../../../shared/domain/context-sources';
import { decide, isWrite } from '../../../shared/domain/decide';
import { planOf, type Plan } from '../../../shared/domain/plan';
import { applySavedPlan } from '../../../shared/engine/apply-saved';
import { governSubscription } from '../../../shared/engine/govern';
import { revertRun } from '../../../shared/engine/revert';
import { planPass, previewPass, scopeFromConfig, sweep } from '../../../shared/engine/snapshot-pass';
import type { Config } from '../../../shared/config';
import type { Ports } from '../../../shared/engine/ports';
import { config, standardPlan } from '../../builders/context.builder';
import { fakePorts, type FakePorts } from '../../support/fake-ports';
import { FakeWorld } from '../../support/fake-world';
import { randomLandingZone } from '../../support/random-landing-zone';

/**
 * Plans as values over the fakes (issue 15): refreshed from ARM before anyone sees them, the GET
 * budget of a dry run, a reviewed plan applied exactly (or recorded plan-stale), saved plans end to
 * end, revert through the one write path, and a report-mode revert that leaves the back-off alone.
 */

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const enforce = config();
const report = config({ D4AI_MODE: 'report' });
const FREE = { tier: 'Free' as const, extensions: [], inherited: false, enforce: false };

function worldOf(n: number, setup: (world: FakeWorld, sub: string) => void = () => undefined): FakeWorld {
  const world = new FakeWorld();
  for (let i = 1; i <= n; i++) {
    world.addSubscription(id(i), { displayName: `sub-${i}`, managementGroupAncestors: ['contoso'] });
    world.addAccount(id(i), `oai-${i}`);
    setup(world, id(i));
  }
  return world;
}

/** Every subscription's plan as the dry run sees it (planPass: the same step every pass uses). */
async function plansOf(ports: Ports, cfg: Config): Promise<Map<string, Plan>> {
  const out = new Map<string, Plan>();
  for await (const page of planPass(ports, cfg, scopeFromConfig(cfg), { inspectAll: false })) {
    for (const { context, nomination } of page.planned) out.set(context.subscription.subscriptionId.toLowerCase(), planOf(context, nomination.decision, ports.clock()));
  }
  return out;
}

describe('plan refresh: a plan is never shown on the snapshot word alone', () => {
  it('Standard in ARM, Free in Resource Graph (a lagging index): the plan is none, basis arm', async () => {
    const world = worldOf(1, (w, sub) => {
      w.setPricing(sub, standardPlan(['AIPromptEvidence', 'AIModelScanner']));
      w.setGraphPricing(sub, FREE);
    });
    const plans = await plansOf(fakePorts(world), report);
    const plan = plans.get(id(1));
    expect(plan?.decision.action).toBe('none');
    expect(plan?.basis.source).toBe('arm');
    expect(plan?.before).toMatchObject({ tier: 'Standard' });
    expect(world.calls.pricing).toEqual({ get: 1, put: 0 });
  });

  it('managed elsewhere, a field only ARM carries: skip managed-elsewhere, basis arm', async () => {
    const world = worldOf(1, (w, sub) => w.setPricing(sub, { ...FREE, managedBy: 'M365 security rule: /rules/9', originatedFrom: 'M365' }));
    const plan = (await plansOf(fakePorts(world), report)).get(id(1));
    expect(plan?.decision).toMatchObject({ action: 'skip', skipReason: 'managed-elsewhere' });
    expect(plan?.basis.source).toBe('arm');
    // the dry run and the report count it as no pending write
    expect((await previewPass(fakePorts(world), report)).writes).toHaveLength(0);
  });

  it('a refresh GET that fails: the plan rests on the snapshot (basis snapshot) with a warning saying so', async () => {
    const world = worldOf(1);
    world.failNextGets(id(1), 1);
    const plan = (await plansOf(fakePorts(world), report)).get(id(1));
    expect(plan?.decision.action).toBe('enable');
    expect(plan?.basis.source).toBe('snapshot');
    expect(plan?.decision.warnings.join(' ')).toContain('could not be refreshed from ARM');
  });

  it('a plan the snapshot shows compliant is not refreshed (no GET): only write candidates are', async () => {
    const world = worldOf(2, (w, sub) => w.setPricing(sub, standardPlan(['AIPromptEvidence', 'AIModelScanner'])));
    await previewPass(fakePorts(world), report);
    expect(world.calls.pricing.get).toBe(0);
  });
});

describe('the GET budget of a dry run', () => {
  it.each([1, 2, 3, 5, 8, 13, 21, 34])('seed %i: ARM pricing GETs == write candidates of the snapshot; Resource Graph 3 queries a page + the policy', async (seed) => {
    const zone = randomLandingZone(seed);
    const cfg = config({ ...zone.env, D4AI_MODE: 'report' });
    const ports = fakePorts(zone.world, { pageSize: 7 });
    // The snapshot's own write candidates, counted independently of the pass.
    let candidates = 0;
    let pages = 0;
    const scope = scopeFromConfig(cfg);
    const policy = await ports.snapshot.policy(scope, cfg.policyAssignmentId);
    for await (const page of ports.snapshot.pages(scope)) {
      pages++;
      for (const entry of page.entries) if (isWrite(decide(contextFromSnapshot(entry, policy, cfg, ports.clock()), cfg))) candidates++;
    }
    zone.world.resetCalls();

    await previewPass(ports, cfg);

    const why = { seed, facts: zone.facts };
    expect({ why, gets: zone.world.calls.pricing.get, puts: zone.world.calls.pricing.put }).toEqual({ why, gets: candidates, puts: 0 });
    expect({ why, queries: zone.world.calls.graph.queries }).toEqual({ why, queries: Math.max(pages, 1) * 3 + 1 });
    expect(zone.world.calls.records.write).toBe(0);
  });
});

describe('a reviewed plan (confirmed on a terminal) is applied exactly, or not at all', () => {
  const approve = (): { digest: string } => ({ digest: 'sha256:reviewed' });

  it('written exactly as reviewed: the PUT body is the plan body; the record carries the digest', async () => {
    const world = worldOf(1);
    let shown: Plan | undefined;
    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: id(1), trigger: 'manual' }, { review: async (plan) => ((shown = plan), approve()) });
    expect(result.record).toMatchObject({ action: 'enable', outcome: 'applied', planDigest: 'sha256:reviewed' });
    expect(world.puts).toHaveLength(1);
    expect(world.puts[0]?.body).toEqual(shown?.decision.desired);
    expect(result.record.desired).toEqual(shown?.decision.desired);
  });

  it('stale (someone switched the plan on while the person read it): plan-stale naming what changed, no PUT', async () => {
    const world = worldOf(1);
    const review = async (): Promise<{ digest: string }> => {
      world.setPricing(id(1), standardPlan(['AIPromptEvidence']));
      return approve();
    };
    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: id(1), trigger: 'manual' }, { review });
    expect(result.record).toMatchObject({ outcome: 'plan-stale', planDigest: 'sha256:reviewed' });
    expect(result.record.reasons.join(' ')).toContain('the plan is Standard, was Free');
    expect(world.calls.pricing.put).toBe(0);
    expect(world.pricingOf(id(1))?.extensions.filter((e) => e.enabled).map((e) => e.name)).toEqual(['AIPromptEvidence']);
  });

  it('a lost PUT answer whose PUT landed: applied, sent once', async () => {
    const world = worldOf(1);
    world.loseNextPutAnswers(id(1), 1);
    const result = await governSubscription(fakePorts(world), enforce, { subscriptionId: id(1), trigger: 'manual' }, { review: async () => approve() });
    expect(result.record).toMatchObject({ outcome: 'applied', pricingAfter: { tier: 'Standard' } });
    expect(world.puts.map((p) => p.result)).toEqual(['lost']);
  });
});

describe('saved plans: buildSavedPlan -> file -> checkSavedPlan -> applySavedPlan', () => {
  async function savedOf(world: FakeWorld): Promise<{ text: string; plans: Plan[] }> {
    const ports = fakePorts(world);
    const { subscriptions, writes } = await previewPass(ports, report);
    const plans = writes.map((w) => planOf(w.context, w.nomination.decision, ports.clock()));
    const saved = buildSavedPlan({ command: 'sweep', scope: {}, config: report, subscriptions, plans, now: world.clock.peek() });
    return { text: JSON.stringify(saved, null, 2), plans };
  }

  it('applies exactly the saved bodies; a subscription changed since is plan-stale; every record carries the digest', async () => {
    const world = worldOf(3);
    world.setPricing(id(3), standardPlan(['AIPromptEvidence', 'AIModelScanner']));
    const { text, plans } = await savedOf(world);
    expect(plans.map((p) => p.subscriptionId).sort()).toEqual([id(1), id(2)]);

    world.clock.advance(3_600_000);
    // Between review and apply, another writer switches sub-2's plan on.
    world.setPricing(id(2), standardPlan(['AIModelScanner']));
    const saved = checkSavedPlan(text, enforce, world.clock.peek());
    world.resetCalls();
    const result = await applySavedPlan(fakePorts(world), enforce, saved);

    const bySub = new Map(world.records.all().map((r) => [r.subscriptionId, r]));
    expect(bySub.get(id(1))).toMatchObject({ outcome: 'applied', planDigest: saved.digest });
    expect(bySub.get(id(2))).toMatchObject({ outcome: 'plan-stale', planDigest: saved.digest });
    expect(bySub.get(id(2))?.reasons.join(' ')).toContain('the plan is Standard, was Free');
    expect(world.puts.map((p) => p.subscriptionId)).toEqual([id(1)]);
    expect(world.puts[0]?.body).toEqual(plans.find((p) => p.subscriptionId === id(1))?.decision.desired);
    expect(result.summary.subscriptions).toBe(2);
  });

  it('a tampered file (a body edited) is refused whole: digest mismatch', async () => {
    const world = worldOf(1);
    const { text } = await savedOf(world);
    const tampered = text.replace('"isEnabled": "False"', '"isEnabled": "True"');
    expect(tampered).not.toBe(text);
    expect(() => checkSavedPlan(tampered, enforce, world.clock.peek())).toThrow(PlanFileInvalid);
  });

  it('an expired plan is refused whole', async () => {
    const world = worldOf(1);
    const { text } = await savedOf(world);
    expect(() => checkSavedPlan(text, enforce, new Date(world.clock.peek().getTime() + 25 * 3_600_000))).toThrow(PlanRefused);
  });

  it('a plan made under other settings (other components) is refused whole', async () => {
    const world = worldOf(1);
    const { text } = await savedOf(world);
    expect(() => checkSavedPlan(text, config({ D4AI_COMPONENTS: 'AIPromptEvidence' }), world.clock.peek())).toThrow(PlanRefused);
    // the mode is not a deciding setting: a report-mode plan applies under enforce
    expect(() => checkSavedPlan(text, enforce, world.clock.peek())).not.toThrow();
  });
});

describe('revert goes through the one write path (applyPlan)', () => {
  const SUB = id(1);

  async function afterEnablingRun(): Promise<{ world: FakeWorld; ports: FakePorts }> {
    const world = worldOf(1);
    const ports = fakePorts(world);
    const run = await governSubscription(ports, enforce, { subscriptionId: SUB, trigger: 'manual', runId: 'run-1' });
    expect(run.record.outcome).toBe('applied');
    world.clock.advance(60_000);
    world.resetCalls();
    world.records.history.length = 0;
    return { world, ports };
  }

  it('an intent before the PUT, then the outcome replacing it (as every write)', async () => {
    const { world, ports } = await afterEnablingRun();
    const result = await revertRun(ports, enforce, { run: 'run-1' });
    expect(result.records[0]).toMatchObject({ action: 'revert', outcome: 'applied' });
    expect(world.records.history.filter((r) => r.subscriptionId === SUB).map((r) => r.outcome)).toEqual(['intent', 'applied']);
  });

  it('a change between the revert plan and the write path fresh read: plan-stale, nothing written', async () => {
    const { world, ports } = await afterEnablingRun();
    const get = ports.pricing.get.bind(ports.pricing);
    let reads = 0;
    ports.pricing.get = async (sub) => {
      const read = await get(sub);
      // Right after the revert planned on its read, another writer switches Purview sharing on.
      if (reads++ === 0) world.setPricing(SUB, standardPlan(['AIPromptEvidence', 'AIPromptSharingWithPurview', 'AIModelScanner']));
      return read;
    };
    const result = await revertRun(ports, enforce, { run: 'run-1' });
    expect(result.records[0]).toMatchObject({ outcome: 'plan-stale' });
    expect(result.records[0]?.reasons.join(' ')).toContain('AIPromptSharingWithPurview');
    expect(world.calls.pricing.put).toBe(0);
  });

  it('a lost answer, then another writer: ChangedDuringWrite (the revert path no longer has its own error)', async () => {
    const { world, ports } = await afterEnablingRun();
    world.loseNextPutAnswers(SUB, 1);
    const put = ports.pricing.put.bind(ports.pricing);
    ports.pricing.put = async (sub, body) => {
      try {
        return await put(sub, body);
      } finally {
        // The PUT landed (Free); before the fresh read, someone sets Standard with Evidence only.
        world.setPricing(SUB, standardPlan(['AIPromptEvidence']));
      }
    };
    const result = await revertRun(ports, enforce, { run: 'run-1' });
    expect(result.records[0]).toMatchObject({ outcome: 'failed', error: { code: 'ChangedDuringWrite' } });
    expect(world.puts).toHaveLength(1);
  });
});

describe('revert --dry-run (report mode) leaves the extension back-off intact', () => {
  it('partial write, then a report-mode revert, then the next enforcing pass still skips with extension-backoff', async () => {
    const SUB = id(1);
    const world = worldOf(1);
    world.failExtension(SUB, 'AIModelScanner');
    const ports = fakePorts(world);
    const first = await governSubscription(ports, enforce, { subscriptionId: SUB, trigger: 'manual', runId: 'run-1' });
    expect(first.record).toMatchObject({ outcome: 'partial', failedExtensions: ['AIModelScanner'] });
    world.clock.advance(60_000);

    const dry = await revertRun(ports, report, { run: 'run-1' });
    expect(dry.records[0]).toMatchObject({ action: 'revert', mode: 'report' });
    expect(world.calls.pricing.put).toBe(1);
    const preview = await revertRun(ports, enforce, { run: 'run-1', preview: true });
    expect(preview.records[0]).toMatchObject({ outcome: 'dry-run' });

    world.clock.advance(60_000);
    world.resetCalls();
    await sweep(ports, enforce, { trigger: 'sweep' });
    const latest = world.records.all().find((r) => r.subscriptionId === SUB && r.trigger === 'sweep');
    expect(latest).toMatchObject({ action: 'skip', skipReason: 'extension-backoff' });
    expect(world.calls.pricing.put).toBe(0);
  });
});
