import type { Plan } from '../../../shared/domain/plan';
import { sweep } from '../../../shared/engine/snapshot-pass';
import type { RemediationRecord } from '../../../shared/records/record';
import { config } from '../../builders/context.builder';
import { fakePorts } from '../../support/fake-ports';
import { randomLandingZone } from '../../support/random-landing-zone';

/**
 * The property of issue 15: for random landing zones with random Resource Graph lag, the dry run's
 * planned changes equal the changes the following enforcing run makes. Per subscription:
 *  - the dry run (D4AI_MODE=report, the plans handed to onPlan) plans a write  <=>  the enforcing
 *    run sends a PUT;
 *  - the PUT body is the planned body, and the enforcing record's action, desired and change are
 *    the planned ones (an extension armed to fail makes the outcome `partial`, never another body).
 * Both passes run on the same world (report mode never writes, which the test also checks), with
 * the same settings but the mode. A failing seed is reproducible: the message names it and its facts.
 */

const SEEDS = Number(process.env.D4AI_PROPERTY_SEEDS ?? 200);
const FIRST_SEED = Number(process.env.D4AI_PROPERTY_FIRST_SEED ?? 1);

interface Planned {
  action: string;
  desired?: unknown;
  change?: unknown;
}

const plannedOf = (p: Pick<Plan['decision'], 'desired' | 'change'> & { action: string }): Planned => ({ action: p.action, ...(p.desired ? { desired: p.desired } : {}), ...(p.change ? { change: p.change } : {}) });

async function disagreements(seed: number): Promise<{ seed: number; problems: unknown[]; facts: unknown; planned: number; partial: number; stale: number }> {
  const zone = randomLandingZone(seed);
  const { world } = zone;
  const ports = fakePorts(world, { pageSize: 1 + (seed % 17) });
  const env = { ...zone.env, D4AI_MAX_ENABLEMENTS_PER_RUN: String(5 + (seed % 40)) };

  const plans = new Map<string, Planned>();
  await sweep(ports, config({ ...env, D4AI_MODE: 'report' }), { trigger: 'sweep', onPlan: (plan) => plans.set(plan.subscriptionId.toLowerCase(), plannedOf(plan.decision)) });
  const problems: unknown[] = [];
  if (world.puts.length) problems.push({ reportModeWrote: world.puts.map((p) => p.subscriptionId) });

  const records = new Map<string, RemediationRecord>();
  await sweep(ports, config({ ...env, D4AI_MODE: 'enforce' }), { trigger: 'sweep', onRecord: (r) => records.set(r.subscriptionId.toLowerCase(), r) });

  const firstPut = new Map<string, unknown>();
  for (const put of world.puts) if (!firstPut.has(put.subscriptionId.toLowerCase())) firstPut.set(put.subscriptionId.toLowerCase(), put.body);
  const subs = new Set([...plans.keys(), ...firstPut.keys()]);
  for (const sub of subs) {
    const planned = plans.get(sub);
    const record = records.get(sub);
    const made = record ? plannedOf(record) : undefined;
    const body = firstPut.get(sub);
    if (!planned) problems.push({ sub, what: 'written, but the dry run planned no write', body, record: made, outcome: record?.outcome, facts: zone.facts[sub] });
    else if (body === undefined) problems.push({ sub, what: 'planned, but not written', planned, record: made, outcome: record?.outcome, reasons: record?.reasons, facts: zone.facts[sub] });
    else if (JSON.stringify(body) !== JSON.stringify(planned.desired) || JSON.stringify(made) !== JSON.stringify(planned)) {
      problems.push({ sub, what: 'written otherwise than planned', planned, body, record: made, outcome: record?.outcome, facts: zone.facts[sub] });
    }
  }
  const outcomes = [...records.values()].map((r) => r.outcome);
  return { seed, problems, facts: problems.length ? zone.facts : undefined, planned: plans.size, partial: outcomes.filter((o) => o === 'partial').length, stale: outcomes.filter((o) => o === 'plan-stale').length };
}

describe('property: the dry run plans exactly what the enforcing run then does', () => {
  it(`${SEEDS} random landing zones with Resource Graph lag (seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1})`, async () => {
    const failing: Array<{ seed: number; problems: unknown[]; facts: unknown }> = [];
    const totals = { planned: 0, partial: 0, stale: 0 };
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const result = await disagreements(seed);
      if (result.problems.length) failing.push(result);
      totals.planned += result.planned;
      totals.partial += result.partial;
      totals.stale += result.stale;
    }
    // The first few failing seeds, with their facts, so each is a reproducible case.
    expect(failing.slice(0, 3)).toEqual([]);
    expect(failing.map((f) => f.seed)).toEqual([]);
    // Not vacuous: the zones plan many writes, some of which the service answers partially.
    expect(totals.planned).toBeGreaterThan(SEEDS);
    if (SEEDS >= 100) expect(totals.partial).toBeGreaterThan(0);
    // Nothing changes between the two passes, so no plan goes stale in between.
    expect(totals.stale).toBe(0);
    if (process.env.D4AI_PROPERTY_VERBOSE) console.log(totals);
  }, 60_000);
});
