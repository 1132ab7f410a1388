import { randomUUID } from 'node:crypto';
import type { GraphScope } from '../azure/resource-graph.adapter';
import type { Config } from '../config';
import { contextFromSnapshot } from '../domain/context-sources';
import { decide, isWrite, type Decision } from '../domain/decide';
import { planOf, type Plan } from '../domain/plan';
import { recordOfPass } from './pass-record';
import type { GovernContext, GovernRequest, PolicyView, SnapshotEntry, TriggerDetail, TriggerKind } from '../domain/model';
import type { RemediationRecord, RunScope, SweepSummaryRecord, WatchSummaryRecord } from '../records/record';
import { LOG_MESSAGES } from '../observability/log';
import { logSweepSummary, logWatchSummary } from './decision-log';
import { errorInfo } from './errors';
import { carryOut, nominate, refineContext, storeWithRetry, withRunId, wouldWrite, type Nomination, type WriteBudget } from './govern';
import { hasAccountsToRead } from './inspect-accounts';
import type { Ports } from './ports';
import { Tally, sweepSummary, watchSummary, type PassIdentity } from './tally';
import { leasedPass } from './tenant-lease';
import { PassReconciler } from './reconcile';

/**
 * Sweep and tenant watch on a Resource Graph snapshot, as the CLI schedules them. One snapshot
 * (a page of at most 1,000 subscriptions at a time, plus the tenant's Defender-for-AI policy read
 * once), every subscription decided in memory, and ARM requests only for the subscriptions whose
 * decision is a write (fresh read, PUT, verify: see apply.ts). Records are stored as they are made
 * and handed to `onRecord`, never collected, so memory stays flat at any tenant size.
 *
 *  - sweep: every subscription gets a record (the nightly audit), then one sweep summary;
 *  - watch: only the subscriptions it acted on get a record, then one small watch summary.
 *
 * Before anything is read, the pass proves the records store accepts writes and takes the
 * tenant-pass lease (tenant-lease.ts): a store that cannot keep records, or another pass in
 * progress, stops it with nothing written (RecordStoreUnavailable / PassInProgress are thrown).
 */

export interface PassOptions {
  trigger: TriggerKind;
  /** Defaults to D4AI_MANAGEMENT_GROUP (unset: every subscription the identity can read). */
  scope?: GraphScope;
  /** Each record once it is stored. */
  onRecord?: (record: RemediationRecord) => void;
  /** After each page of subscriptions: how many were decided so far, of how many in scope (when known). */
  onProgress?: (decided: number, total?: number) => void;
  /**
   * Each snapshot page's subscription ids once decided, whether or not anything was done with them:
   * a watch records only what it acts on, so its records cannot tell an id in scope that needed
   * nothing from one the snapshot did not have (the CLI's unmatched --subscription warning).
   */
  onLookedAt?: (subscriptionIds: readonly string[]) => void;
  /** Who holds the tenant-pass lease while this pass runs (shown to a second pass that is refused). */
  holder?: string;
  /**
   * The plans a person confirmed (CLI, on a terminal), by subscription, and the digest of the whole
   * confirmed plan. A confirmed subscription gets exactly its confirmed plan (written, or recorded
   * stale). A write the pass nominates now but the confirmed plan did not show (the estate changed
   * in between) is not made: it is recorded as a dry run, for the next run to pick up.
   */
  confirmed?: { plans: ReadonlyMap<string, Plan>; digest: string };
  /** Each write's plan as it is made (a dry run's `--out` collects them). */
  onPlan?: (plan: Plan) => void;
  /**
   * Interruption (issue 16): once aborted (Ctrl-C, SIGTERM, a closed stdout) the pass starts no
   * new subscription and reads no new page; what is in flight finishes and is recorded, and the
   * summary is marked `interrupted`. The CLI bounds the wait (cli/interruption.ts).
   */
  signal?: AbortSignal;
}

export interface PassProblem {
  subscriptionId: string;
  code: string;
  message: string;
}

export interface SweepResult {
  summary: SweepSummaryRecord;
  /** False when the summary row could not be stored (it is still logged and returned). */
  summaryStored: boolean;
  /** Decisions whose record could not be stored, and a snapshot that could not be read ('*'). */
  unrecorded: PassProblem[];
}

export interface WatchResult {
  summary: WatchSummaryRecord;
  summaryStored: boolean;
  unrecorded: PassProblem[];
}

export function scopeFromConfig(config: Config): GraphScope {
  return config.managementGroup ? { managementGroup: config.managementGroup } : {};
}

export function runScope(scope: GraphScope): RunScope {
  return {
    ...(scope.managementGroup ? { managementGroup: scope.managementGroup } : {}),
    ...(scope.subscriptions ? { subscriptions: [...scope.subscriptions] } : {}),
  };
}

export async function sweep(ports: Ports, config: Config, options: PassOptions): Promise<SweepResult> {
  const pass = await leasedPass(ports, `${options.holder ?? 'd4ai CLI'} sweep`, (renew) => runPass(ports, config, options, 'sweep', renew));
  const summary = interrupted(sweepSummary(pass.identity, pass.tally), options);
  logSweepSummary(ports.logger, summary);
  return { summary, summaryStored: await storeSummary(ports, summary), unrecorded: pass.unrecorded };
}

export async function watchPass(ports: Ports, config: Config, options: PassOptions): Promise<WatchResult> {
  const pass = await leasedPass(ports, `${options.holder ?? 'd4ai CLI'} watch`, (renew) => runPass(ports, config, options, 'watch', renew));
  const summary = interrupted(watchSummary(pass.identity, pass.tally, pass.candidates), options);
  logWatchSummary(ports.logger, summary);
  return { summary, summaryStored: await storeSummary(ports, summary), unrecorded: pass.unrecorded };
}

/** Marks the summary of a pass whose signal was aborted (issue 16: interruption is an outcome). */
function interrupted<S extends SweepSummaryRecord | WatchSummaryRecord>(summary: S, options: PassOptions): S {
  return options.signal?.aborted ? { ...summary, interrupted: true } : summary;
}

async function storeSummary(ports: Ports, summary: SweepSummaryRecord | WatchSummaryRecord): Promise<boolean> {
  try {
    await storeWithRetry(ports, () => ports.records.writeRunSummary(summary));
    return true;
  } catch (error) {
    const { code, message } = errorInfo(error);
    ports.logger.error(summary.kind === 'sweep-summary' ? LOG_MESSAGES.sweepSummary : LOG_MESSAGES.watchSummary, { errorCode: `RecordWriteFailed:${code}`, errorMessage: message });
    return false;
  }
}

interface PassState {
  identity: PassIdentity;
  tally: Tally;
  candidates: number;
  unrecorded: PassProblem[];
}

async function runPass(ports: Ports, config: Config, options: PassOptions, kind: 'sweep' | 'watch', renewLease: () => Promise<void>): Promise<PassState> {
  const id = randomUUID();
  const startedAt = ports.clock();
  const scope = options.scope ?? scopeFromConfig(config);
  const tally = new Tally();
  const unrecorded: PassProblem[] = [];
  let candidates = 0;
  const detail: TriggerDetail = kind === 'sweep' ? { sweepId: id } : { watchId: id };

  // Intents left by a pass that died are settled as this pass reaches their subscriptions (reconcile.ts).
  const reconciler = await PassReconciler.start(ports);
  try {
    // A sweep reads the accounts of every subscription it looks into; a watch only its writes'.
    const passOptions = {
      inspectAll: kind === 'sweep',
      ...(options.confirmed ? { confirmed: options.confirmed.plans } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // Before a page is planned: the lease renewed, and intents a dead pass left on its subscriptions settled.
      beforePage: async (entries: readonly SnapshotEntry[]): Promise<void> => {
        await renewLease();
        await reconciler.settle(entries.map((e) => e.subscription.subscriptionId));
      },
    };
    for await (const page of planPass(ports, config, scope, passOptions)) {
      tally.subscriptions += page.planned.length;
      options.onLookedAt?.(page.planned.map((w) => w.entry.subscription.subscriptionId));
      // A watch records only what it acts on: a subscription waiting out its back-off is not a candidate.
      const recorded = kind === 'sweep' ? page.planned : page.planned.filter((w) => isWrite(w.nomination.decision));
      candidates += kind === 'watch' ? recorded.length : 0;
      if (kind === 'watch') tally.capReached += page.planned.filter((w) => w.nomination.decision.skipReason === 'cap-reached').length;
      // Report-mode watch: its would-be writes are counted and shown, never stored (the Functions
      // tenant watch does the same; the nightly sweep records them once a day).
      const store = !(kind === 'watch' && config.mode !== 'enforce');
      await eachLimited(recorded, config.sweepConcurrency, async ({ entry, context, nomination, unconfirmed }) => {
        if (options.signal?.aborted) return; // interrupted: no new write (and no new record) starts
        const subscriptionId = entry.subscription.subscriptionId;
        const request = withRunId({ subscriptionId, trigger: options.trigger, detail: { ...detail, ...evidenceOf(entry, kind) } });
        const reviewed = options.confirmed?.plans.get(subscriptionId.toLowerCase());
        if (options.onPlan && isWrite(nomination.decision)) options.onPlan(planOf(context, nomination.decision, ports.clock()));
        try {
          const carry = { ...(unconfirmed ? { hold: UNCONFIRMED } : {}), ...(reviewed && options.confirmed ? { reviewed: { plan: reviewed, digest: options.confirmed.digest } } : {}) };
          const result = store ? await carryOut(ports, config, request, context, nomination, carry) : { record: dryRunRecord(config, request, context, nomination, ports.clock()), stored: true };
          // A watch records only writes, so no cap-reached skip is counted twice (capReached above).
          tally.add(result.record);
          if (!result.stored) {
            tally.unrecorded++;
            unrecorded.push({ subscriptionId, ...(result.storeError ?? { code: 'RecordWriteFailed', message: 'The record could not be stored.' }) });
          }
          options.onRecord?.(result.record);
        } catch (error) {
          tally.unrecorded++;
          unrecorded.push({ subscriptionId, ...errorInfo(error) });
        }
      });
      options.onProgress?.(tally.subscriptions, page.total);
    }
  } catch (error) {
    // The snapshot itself failed (Resource Graph unreachable, throttled past its retries, truncated):
    // what was decided so far is recorded; the rest is named as not governed in the summary.
    tally.unrecorded++;
    unrecorded.push({ subscriptionId: '*', ...errorInfo(error) });
  }
  await reconciler.finish().catch(() => undefined); // a dead pass's summary is best effort; its records are settled
  unrecorded.push(...reconciler.settled.problems.map((p) => ({ ...p, code: `ReconcileFailed:${p.code}` })));
  return { identity: { id, trigger: options.trigger, mode: config.mode, scope: runScope(scope), startedAt, finishedAt: ports.clock() }, tally, candidates, unrecorded };
}

/** The record a report-mode watch shows for a would-be write (not stored). */
function dryRunRecord(config: Config, request: GovernRequest & { runId: string }, context: GovernContext, nomination: Nomination, now: Date): RemediationRecord {
  const plan = planOf(context, nomination.decision, now);
  return recordOfPass({ request, mode: config.mode, context, decision: plan.decision, planBasis: plan.basis, notes: ['Report-mode watch: shown, not stored (the nightly sweep records it).'], startedAt: now, finishedAt: now });
}

/**
 * The plan of a pass without carrying it out: every subscription in scope planned (refreshed from
 * ARM where the snapshot's decision is a write, with the extension back-off), and the writes that
 * would be made. Reads only; no record, no lease. What `sweep` shows before it asks for
 * confirmation on a terminal, and what `--dry-run --out` saves.
 */
export async function previewPass(ports: Ports, config: Config, options: Pick<PassOptions, 'scope' | 'onProgress'> = {}): Promise<{ subscriptions: number; writes: Nominated[] }> {
  const scope = options.scope ?? scopeFromConfig(config);
  const writes: Nominated[] = [];
  let subscriptions = 0;
  for await (const page of planPass(ports, config, scope, { inspectAll: false })) {
    subscriptions += page.planned.length;
    writes.push(...page.planned.filter((n) => isWrite(n.nomination.decision)));
    options.onProgress?.(subscriptions, page.total);
  }
  return { subscriptions, writes };
}

/**
 * The tenant pass, one step for everyone who reads the whole scope (CLI sweep, watch, preview and
 * report; the Functions tenant watch): the Defender-for-AI policy read once, then each snapshot
 * page planned (planPage). The durable sweep plans its pages one activity at a time with the same
 * planPage. The write budget (D4AI_MAX_ENABLEMENTS_PER_RUN) holds across the pages.
 */
export async function* planPass(
  ports: Ports,
  config: Config,
  scope: GraphScope,
  options: { inspectAll: boolean; confirmed?: ReadonlyMap<string, Plan>; signal?: AbortSignal; beforePage?: (entries: readonly SnapshotEntry[]) => Promise<void> },
): AsyncIterable<{ planned: Nominated[]; total?: number }> {
  const budget: WriteBudget = { used: 0 };
  const policy = await ports.snapshot.policy(scope, config.policyAssignmentId);
  for await (const page of ports.snapshot.pages(scope)) {
    if (options.signal?.aborted) return; // interrupted: no new page
    await options.beforePage?.(page.entries);
    const planned = await planPage(ports, config, page.entries, policy, budget, { inspectAll: options.inspectAll, concurrency: config.sweepConcurrency, ...(options.confirmed ? { confirmed: options.confirmed } : {}) });
    yield { planned, ...(page.total !== undefined ? { total: page.total } : {}) };
  }
}

export interface Nominated {
  entry: SnapshotEntry;
  context: GovernContext;
  nomination: Nomination;
  /** Not in the writes a person confirmed (confirmedWrites): decided, given no slot, never written. */
  unconfirmed?: true;
}

const UNCONFIRMED = 'Not in the plan confirmed at the start of this run (the estate changed since): nothing was written; the next run picks it up.';

/**
 * A snapshot page planned as the governor would: every subscription's context from the snapshot,
 * completed (refineContext) where the snapshot does not say enough: the subscriptions whose
 * decision would write (their plan refreshed from ARM), and with `inspectAll` every one with AI
 * accounts to read; then decided in page order, writes reserving their slot under
 * D4AI_MAX_ENABLEMENTS_PER_RUN. The reads come first, so a subscription that turns out to be a
 * skip (managed elsewhere, accounts opted out, extension back-off) takes no slot.
 */
export async function planPage(
  ports: Ports,
  config: Config,
  entries: readonly SnapshotEntry[],
  policy: PolicyView,
  budget: WriteBudget,
  options: { inspectAll: boolean; concurrency: number; confirmed?: ReadonlyMap<string, Plan> },
): Promise<Nominated[]> {
  const now = ports.clock();
  const contexts = entries.map((entry) => contextFromSnapshot(entry, policy, config, now));
  const toRefine = contexts.map((context, i) => ({ context, i })).filter(({ context }) => wouldWrite(context, config) || (options.inspectAll && hasAccountsToRead(context, config)));
  await eachLimited(toRefine, options.concurrency, async ({ context, i }) => {
    // A confirmed subscription's pricing is not refreshed again: its confirmed plan is applied, and
    // the write path's fresh read under the lock is what tells whether it still holds.
    const confirmed = options.confirmed?.has(context.subscription.subscriptionId.toLowerCase()) === true;
    contexts[i] = await refineContext(ports, config, context, { inspect: true, refresh: !confirmed });
  });
  return entries.map((entry, i) => {
    const context = contexts[i] as GovernContext;
    const id = entry.subscription.subscriptionId.toLowerCase();
    // A confirmed plan holds its slot whatever the pass decides now: it is what will be applied.
    const confirmedPlan = options.confirmed?.get(id);
    if (confirmedPlan) {
      const slot = budget.used++;
      return { entry, context, nomination: { decision: confirmedPlan.decision as Decision, slot } };
    }
    // A write nobody confirmed is decided but takes no slot under the cap (it will not be made).
    const unconfirmed = options.confirmed !== undefined;
    if (!unconfirmed) return { entry, context, nomination: nominate(context, config, budget) };
    const decision = decide(context, config, { writesSoFar: budget.used });
    return { entry, context, nomination: { decision, slot: budget.used }, ...(isWrite(decision) ? { unconfirmed: true as const } : {}) };
  });
}

/** The watch hands the snapshot's AI resource to the run as its evidence (the list API may not show it yet); a sweep needs none. */
export function evidenceOf(entry: SnapshotEntry, kind: 'sweep' | 'watch'): TriggerDetail {
  const first = entry.aiResources[0];
  if (kind !== 'watch' || !first) return {};
  return { resourceId: first.id, ...(first.kind ? { resourceKind: first.kind } : {}) };
}

/** Runs `fn` over items with at most `limit` at once. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
