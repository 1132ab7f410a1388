import type { PricingBody, PricingSnapshot } from '../domain/model';
import { passIdOf } from '../records/record-store';
import { summarisePricing, type RemediationRecord, type RunSummaryRecord } from '../records/record';
import { logDecision } from './decision-log';
import { errorInfo } from './errors';
import type { Ports } from './ports';
import type { PassProblem } from './snapshot-pass';
import { Tally } from './tally';
import { releaseDeadLocalLease, sweepInProgress } from './tenant-lease';
import { VERSION } from '../version';

/**
 * Intents whose process died before it stored their outcome (SIGKILL, a lost machine, the grace
 * after Ctrl-C ran out): the plan may or may not have been changed, and the audit trail must say
 * which. The pricing is read, and the intent becomes `applied` (recovered) where the plan shows the
 * intent's body, `partial` where it shows part of it (some extension did not come on), otherwise
 * `not-applied`. The outcome replaces the intent only while it is still an intent
 * (RecordStore.replaceIntent), so a writer that was alive after all keeps its own outcome.
 *
 * Who reconciles: the next CLI pass, for the subscriptions it reaches (PassReconciler, per page),
 * `d4ai runs` and `d4ai revert` (reconcileOrphans). A sweep or watch that died leaves no summary:
 * once its intents are settled, a summary marked `interrupted` is written from its records, so
 * `d4ai runs` lists it.
 */

/** An intent older than this has no writer left: no write path holds a subscription this long. */
export const STALE_INTENT_MS = 15 * 60_000;
/** Intents settled per call: bounded, so a huge backlog is worked off over several runs. */
const MAX_INTENTS = 1000;

/**
 * Nobody can still be writing this intent: it is older than STALE_INTENT_MS, or it belongs to a
 * CLI pass (sweep, watch, revert: they hold the tenant-pass lease while they write) and no live
 * pass holds that lease now. Intents of a `d4ai govern` or a Functions run, which hold no tenant
 * lease, are left to age.
 */
export function isOrphaned(intent: RemediationRecord, now: Date, livePassRunning: boolean): boolean {
  if (now.getTime() - Date.parse(intent.recordedAt) > STALE_INTENT_MS) return true;
  const cliPass = (intent.trigger === 'cli' || intent.trigger === 'revert') && passIdOf(intent) !== undefined;
  return cliPass && !livePassRunning;
}

/** Whether the plan as read shows what the body asked for (tier, sub-plan, every extension listed). */
export function showsBody(body: PricingBody, pricing: PricingSnapshot): boolean {
  if (pricing.tier !== body.pricingTier) return false;
  if (body.subPlan && pricing.subPlan !== body.subPlan) return false;
  return missingFrom(body, pricing).length === 0;
}

function missingFrom(body: PricingBody, pricing: PricingSnapshot): string[] {
  const enabled = new Set(pricing.extensions.filter((e) => e.enabled).map((e) => e.name.toLowerCase()));
  return body.extensions.filter((e) => (e.isEnabled === 'True') !== enabled.has(e.name.toLowerCase())).map((e) => e.name);
}

export interface Settled {
  records: RemediationRecord[];
  problems: PassProblem[];
}

/**
 * Reads the pricing and stores the intent's outcome. Undefined when the row was no longer an
 * intent (its writer stored the outcome meanwhile). A read that fails leaves the intent for later.
 */
export async function settleIntent(ports: Pick<Ports, 'pricing' | 'records' | 'logger' | 'clock'>, intent: RemediationRecord): Promise<RemediationRecord | undefined> {
  const pricing = await ports.pricing.get(intent.subscriptionId);
  const after = summarisePricing(pricing);
  const body = intent.desired;
  const shown = pricing !== undefined && body !== undefined && showsBody(body, pricing);
  const changedTowards = pricing !== undefined && body !== undefined && pricing.tier === body.pricingTier && intent.pricingBefore?.tier !== pricing.tier;
  const missing = body && pricing ? missingFrom(body, pricing) : [];
  const outcome = shown ? 'applied' : changedTowards ? 'partial' : 'not-applied';
  const seen = pricing ? `the plan is ${pricing.tier}${missing.length ? ` (not as asked: ${missing.join(', ')})` : ''}` : 'no AI plan was found';
  const record: RemediationRecord = {
    ...intent,
    outcome,
    recovered: true,
    recordedAt: ports.clock().toISOString(),
    ...(after ? { pricingAfter: after } : {}),
    ...(outcome === 'partial' ? { failedExtensions: missing } : {}),
    reasons: [
      ...intent.reasons,
      `Recovered: the run that stored this intent ended before its outcome was recorded; read afterwards, ${seen}, so the PUT ${outcome === 'applied' ? 'was applied' : outcome === 'partial' ? 'was applied in part' : 'was not applied (or was undone since)'}.`,
    ],
    version: VERSION,
  };
  if (!(await ports.records.replaceIntent(record))) return undefined;
  logDecision(ports.logger, record);
  return record;
}

/** Settles every intent given, one at a time; pass ids whose intents were settled are returned for their summaries. */
async function settleAll(ports: Ports, intents: readonly RemediationRecord[], settled: Settled, passes: Set<string>): Promise<void> {
  for (const intent of intents) {
    try {
      const record = await settleIntent(ports, intent);
      if (!record) continue;
      settled.records.push(record);
      const pass = passIdOf(record);
      if (pass && (record.triggerDetail?.sweepId || record.triggerDetail?.watchId)) passes.add(pass);
    } catch (error) {
      settled.problems.push({ subscriptionId: intent.subscriptionId, ...errorInfo(error) });
    }
  }
}

/**
 * A summary marked `interrupted` for each sweep or watch that died without one, from its records.
 * Its scope is not known any more (it was in the dead process): the summary says `{}`.
 */
export async function summariseInterrupted(ports: Pick<Ports, 'records'>, passIds: Iterable<string>): Promise<void> {
  for (const id of passIds) {
    if (await ports.records.summary(id)) continue;
    const { records } = await ports.records.listRun(id, 10_000);
    const first = records[records.length - 1];
    // Only sweeps and watches have summaries (a revert's records are its account).
    const kind = first?.triggerDetail?.sweepId === id ? 'sweep' : first?.triggerDetail?.watchId === id ? 'watch' : undefined;
    if (!first || !kind) continue;
    const tally = new Tally();
    for (const r of records) tally.add(r);
    tally.subscriptions = records.length;
    const common = {
      trigger: first.trigger,
      mode: first.mode,
      scope: {},
      startedAt: records.reduce((min, r) => (r.startedAt < min ? r.startedAt : min), first.startedAt),
      finishedAt: records.reduce((max, r) => (r.recordedAt > max ? r.recordedAt : max), first.recordedAt),
      subscriptions: records.length,
      byOutcome: { ...tally.byOutcome },
      ...(Object.keys(tally.byChange).length ? { byChange: { ...tally.byChange } } : {}),
      capReached: tally.capReached,
      failed: tally.failed,
      version: VERSION,
      interrupted: true as const,
    };
    const summary: RunSummaryRecord = kind === 'watch' ? { kind: 'watch-summary', watchId: id, candidates: records.length, ...common } : { kind: 'sweep-summary', sweepId: id, byAction: { ...tally.byAction }, ...common };
    await ports.records.writeRunSummary(summary);
  }
}

/** How far back `d4ai runs` looks for passes that died before their summary. */
export const DEAD_PASS_LOOKBACK_MS = 7 * 86_400_000;

/**
 * Passes with records of the last DEAD_PASS_LOOKBACK_MS but no summary, while no live pass holds
 * the tenant lease (a running pass has no summary yet either): they died (SIGKILL, a lost machine),
 * possibly with no intent left to settle. Each gets a summary marked `interrupted` from its records.
 */
export async function summariseDeadPasses(ports: Pick<Ports, 'records' | 'clock'>): Promise<void> {
  const now = ports.clock();
  await releaseDeadLocalLease(ports.records, now);
  if (await sweepInProgress(ports.records, now)) return;
  await summariseInterrupted(ports, await ports.records.recentPassIds(new Date(now.getTime() - DEAD_PASS_LOOKBACK_MS), 100));
}

/**
 * Outside a pass (`d4ai runs`, `d4ai revert`, `d4ai govern`): settles the orphaned intents, of one
 * run or one subscription when given, and writes the summaries of passes that died.
 */
export async function reconcileOrphans(ports: Ports, filter: { run?: string; subscriptionId?: string } = {}): Promise<Settled> {
  const now = ports.clock();
  // A pass that died on this machine still holding the lease: freed now, not left for two minutes.
  await releaseDeadLocalLease(ports.records, now);
  const livePass = (await sweepInProgress(ports.records, now)) !== undefined;
  const { records: intents } = await ports.records.listIntents(MAX_INTENTS, filter);
  const settled: Settled = { records: [], problems: [] };
  const passes = new Set<string>();
  await settleAll(ports, intents.filter((i) => isOrphaned(i, now, livePass)), settled, passes);
  await summariseInterrupted(ports, passes);
  return settled;
}

/**
 * Inside a CLI pass, which holds the tenant-pass lease (so no other CLI pass is writing): the
 * orphaned intents are loaded once at the start and settled page by page, before the pass decides
 * those subscriptions, so its decisions and back-off read a settled history.
 */
export class PassReconciler {
  private readonly passes = new Set<string>();
  readonly settled: Settled = { records: [], problems: [] };

  private constructor(
    private readonly ports: Ports,
    private readonly bySubscription: Map<string, RemediationRecord[]>,
  ) {}

  static async start(ports: Ports): Promise<PassReconciler> {
    const now = ports.clock();
    const { records } = await ports.records.listIntents(MAX_INTENTS);
    const bySubscription = new Map<string, RemediationRecord[]>();
    for (const intent of records.filter((i) => isOrphaned(i, now, false))) {
      bySubscription.set(intent.subscriptionId, [...(bySubscription.get(intent.subscriptionId) ?? []), intent]);
    }
    return new PassReconciler(ports, bySubscription);
  }

  /** Settles the orphaned intents of these subscriptions (a page of the snapshot). */
  async settle(subscriptionIds: readonly string[]): Promise<void> {
    for (const id of subscriptionIds) {
      const intents = this.bySubscription.get(id.toLowerCase());
      if (!intents) continue;
      this.bySubscription.delete(id.toLowerCase());
      await settleAll(this.ports, intents, this.settled, this.passes);
    }
  }

  /** Summaries for the passes that died, once their intents this pass reached are settled. */
  async finish(): Promise<void> {
    await summariseInterrupted(this.ports, this.passes);
  }
}
