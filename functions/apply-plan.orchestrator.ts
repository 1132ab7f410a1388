import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { Decision } from '../shared/domain/decide';
import type { Actor } from '../shared/domain/model';
import type { SavedPlan } from '../shared/domain/saved-plan';
import { contextOfPlan } from '../shared/engine/apply-saved';
import { errorInfo } from '../shared/engine/errors';
import { savedPlanScopeIds } from '../shared/engine/govern';
import { readAncestry } from '../shared/engine/load-context';
import type { PassProblem } from '../shared/engine/snapshot-pass';
import { Tally, sweepSummary, type TallyCounts } from '../shared/engine/tally';
import { takeTenantLease } from '../shared/engine/tenant-lease';
import type { SweepSummaryRecord } from '../shared/records/record';
import { runChildBatches, writePassSummary } from './child-batches';
import { activityError, failureFrom, retryOptions, type GovernInput } from './govern-run';
import { FN, sweepChildInstanceId } from './names';
import { functionsConfig, loggerFor, portsFor } from './runtime';

/**
 * applySavedPlan: a saved plan accepted by POST /api/plans (checked there: shape, digest, expiry,
 * settings fingerprint, enforce mode, the tenant-pass lease taken for this instance id), applied
 * exactly, entry by entry, through the same governSubscription children as a sweep's writes:
 * each child takes the subscription's write lock and calls applyPricing with the reviewed plan,
 * which writes the plan's body only where a fresh read still shows the plan's before-state and
 * records `plan-stale` (nothing written) anywhere else. Nothing is decided again.
 *
 * D4AI_SWEEP_BATCH children run at a time; after PAGE_SIZE entries the orchestration continues as
 * new with its cursor and counts, so the history stays flat however long the plan is. Each
 * execution first renews the lease (a plan that lost it stops, naming the rest as not applied);
 * the sweep-summary row at the end (trigger manual, sweepId = instance id) gives it back.
 * Deterministic: time is context.df.currentUtcDateTime, ids derive from the instance id.
 */

/** Plan entries per execution (then continue-as-new). */
export const PLAN_PAGE_SIZE = 100;
/** Problems carried from execution to execution (the count is in the tally). */
const MAX_PROBLEMS = 50;

export interface ApplyPlanInput {
  plan: SavedPlan;
  /** Who asked the admin API to apply it (the validated principal's ids): every record names them. */
  actor?: Actor;
  /** Where a continued apply carries on; absent on the first execution. */
  cursor?: ApplyPlanCursor;
}

export interface ApplyPlanCursor {
  next: number;
  counts: TallyCounts;
  startedAt: string;
  problems: PassProblem[];
}

export interface ApplyPlanOutput {
  summary: SweepSummaryRecord;
  planDigest: string;
  unrecorded: PassProblem[];
}

export interface ApplyPlanStatus {
  phase: 'writing' | 'summarising' | 'done';
  planDigest: string;
  done: number;
  writes: number;
}

export interface RenewPlanLeaseInput {
  holder: string;
}

export interface ReadPlanAncestryInput {
  subscriptionIds: string[];
}

type Step<T> = Generator<Task, T, unknown>;

export function* applySavedPlanOrchestrator(context: OrchestrationContext): Step<ApplyPlanOutput> {
  const { plan, cursor: carried, actor } = context.df.getInput<ApplyPlanInput>();
  const instanceId = context.df.instanceId;
  const settings = functionsConfig();
  const retry = retryOptions(settings.activityRetry);
  const entries = plan.subscriptions;
  const startedAt = carried?.startedAt ?? context.df.currentUtcDateTime.toISOString();
  const problems: PassProblem[] = [...(carried?.problems ?? [])];
  const tally = Tally.from(carried?.counts);
  if (!carried) tally.subscriptions = entries.length;
  const first = carried?.next ?? 0;
  const end = Math.min(entries.length, first + PLAN_PAGE_SIZE);
  let ancestry: Record<string, string[]> | undefined;

  if (first < entries.length) {
    context.df.setCustomStatus(progress('writing', first));
    try {
      const renew: RenewPlanLeaseInput = { holder: instanceId };
      yield context.df.callActivityWithRetry(FN.renewPlanLease, retry, renew);
    } catch (error) {
      // The lease is gone (another pass took it after it expired, or the store is down): stop
      // rather than write alongside another pass; what is left is named as not applied.
      problems.push({ subscriptionId: '*', ...failureFrom(error) });
      tally.unrecorded += entries.length - first;
      return yield* finish();
    }
    // The page's writes have their scope read again in one Resource Graph request, not one per
    // child (shared/engine/govern.ts savedPlanOutOfScope). Should that read fail, each child reads
    // its own: slower, never unchecked.
    const scopeIds = savedPlanScopeIds(settings, entries.slice(first, end));
    if (scopeIds.length) {
      try {
        const read: ReadPlanAncestryInput = { subscriptionIds: scopeIds };
        ancestry = (yield context.df.callActivityWithRetry(FN.readPlanAncestry, retry, read)) as Record<string, string[]>;
      } catch {
        ancestry = undefined;
      }
    }
    const page = entries.slice(first, end).map((entry, i) => ({ subscriptionId: entry.subscriptionId.toLowerCase(), index: first + i }));
    yield* runChildBatches(context, page, settings.sweepBatch, ({ subscriptionId, index }) => ({ input: childInput(index), instanceId: sweepChildInstanceId(instanceId, subscriptionId) }), tally, problems);
    if (end < entries.length) {
      const cursor: ApplyPlanCursor = { next: end, counts: tally.counts(), startedAt, problems: problems.slice(0, MAX_PROBLEMS) };
      context.df.continueAsNew({ plan, cursor, ...(actor ? { actor } : {}) } satisfies ApplyPlanInput);
      return { summary: summaryOf(), planDigest: plan.digest, unrecorded: cursor.problems };
    }
  }
  return yield* finish();

  function childInput(index: number): GovernInput {
    const entry = entries[index];
    if (!entry) throw new Error(`No plan entry ${index}.`);
    const subscriptionId = entry.subscriptionId.toLowerCase();
    return {
      ask: {
        requestId: sweepChildInstanceId(instanceId, subscriptionId),
        request: { subscriptionId, trigger: 'manual', ...(actor ? { actor } : {}), detail: { sweepId: instanceId, note: `apply of plan ${plan.digest}` } },
        dryRun: false,
      },
      candidate: { context: contextOfPlan(entry, ancestry), nomination: { decision: entry.decision as Decision, slot: index }, reviewed: { plan: entry, digest: plan.digest } },
      coalesce: false,
    };
  }

  function summaryOf(): SweepSummaryRecord {
    const scope = { ...(plan.scope.managementGroup ? { managementGroup: plan.scope.managementGroup } : {}), ...(plan.scope.subscriptions ? { subscriptions: [...plan.scope.subscriptions] } : {}) };
    return { ...sweepSummary({ id: instanceId, trigger: 'manual', mode: settings.mode, scope, startedAt: new Date(startedAt), finishedAt: context.df.currentUtcDateTime }, tally), ...(actor ? { actor } : {}) };
  }

  function* finish(): Step<ApplyPlanOutput> {
    context.df.setCustomStatus(progress('summarising', entries.length));
    const summary = summaryOf();
    // Stores the row and gives the tenant-pass lease back (its holder is this instance id).
    yield* writePassSummary(context, retry, summary);
    context.df.setCustomStatus(progress('done', entries.length));
    return { summary, planDigest: plan.digest, unrecorded: problems };
  }

  function progress(phase: ApplyPlanStatus['phase'], done: number): ApplyPlanStatus {
    return { phase, planDigest: plan.digest, done, writes: entries.length };
  }
}

/** Renews the tenant-pass lease for the apply (its holder is the instance id); fails when another pass holds it. */
export async function renewPlanLease(input: unknown, context: InvocationContext): Promise<{ renewed: true }> {
  const { holder } = input as RenewPlanLeaseInput;
  const ports = portsFor(functionsConfig(), loggerFor(context, { sweepId: holder }));
  try {
    await takeTenantLease(ports.records, holder, new Date());
  } catch (error) {
    throw activityError(errorInfo(error));
  }
  return { renewed: true };
}

/** The management groups of a page's writes (readAncestry: one Resource Graph request per 1,000), by lower-case id. */
export async function readPlanAncestry(input: unknown, context: InvocationContext): Promise<Record<string, string[]>> {
  const { subscriptionIds } = input as ReadPlanAncestryInput;
  const ports = portsFor(functionsConfig(), loggerFor(context));
  try {
    return await readAncestry(ports, subscriptionIds);
  } catch (error) {
    throw activityError(errorInfo(error));
  }
}

df.app.orchestration(FN.applySavedPlan, applySavedPlanOrchestrator);
df.app.activity(FN.renewPlanLease, { handler: renewPlanLease });
df.app.activity(FN.readPlanAncestry, { handler: readPlanAncestry });
