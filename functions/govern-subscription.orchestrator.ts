import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { Mode, RetrySettings } from '../shared/config';
import { isWrite } from '../shared/domain/decide';
import { logDecision } from '../shared/engine/decision-log';
import { writtenFields } from '../shared/engine/govern';
import { recordOfPass } from '../shared/engine/pass-record';
import { parseActor } from '../shared/records/record';
import type { RemediationRecord } from '../shared/records/record';
import type { ApplyPricingInput, ApplyPricingResult, PlanGovernInput, PlanGovernResult, WriteRecordInput } from './govern.activities';
import {
  decisionStatus,
  failureFrom,
  isTriggerKind,
  mergeAsks,
  retryOptions,
  retryWaitMs,
  triggerDetailFrom,
  type Candidate,
  type DecisionStatus,
  type GovernAsk,
  type GovernInput,
  type GovernOutput,
  type GovernStatus,
} from './govern-run';
import { FN, RECHECK_EVENT } from './names';
import { functionsConfig, loggerFor } from './runtime';
import type { AcquireInput, AcquireReply } from './subscription-lock.entity';

/**
 * governSubscription: one subscription, the same steps as shared/engine/govern.ts, scheduled by
 * the Durable Task framework: plan (activity: ARM reads + decision) -> when the decision is a
 * write in enforce mode: take the subscription's write lock, the write path (activity: fresh read,
 * decide again, PUT, verify), release -> record (activity). A record is written whatever happens,
 * failures included. Sweep children arrive with their snapshot decision (`candidate`) and go
 * straight to the write path.
 *
 * Coalescing: the event trigger, the tenant watch and the admin API run this as the singleton
 * `govern-<sub>`. While it runs, further triggers for the subscription raise `recheck` instead of
 * starting a second run. After each pass the run waits RECHECK_SETTLE_MS for rechecks (a burst of
 * resource writes from one deployment lands in one more pass) and drains those already buffered,
 * so an ask that arrived while a pass was running is never lost; one more pass covers all of them.
 *
 * Write serialisation: only a pass that will write takes the write lock (an entity, see
 * subscription-lock.entity.ts), for exactly the write path. Sweep children use their own instance
 * ids, so this lock, not the instance id, keeps one write in flight per subscription.
 *
 * Only deterministic APIs here: time is context.df.currentUtcDateTime, ids come from newGuid.
 * Decisions are made in activities, with the app's own configuration: the orchestration only
 * reads the retry policy (D4AI_RETRY_*) from it.
 */

export const RECHECK_SETTLE_MS = 30_000;
/** Passes before the run continues as new, so the history of a busy subscription stays small. */
export const MAX_PASSES_PER_EXECUTION = 5;
export const WRITE_LOCK_POLL_MS = 20_000;
/** host.json functionTimeout: one applyPricing attempt cannot run longer. */
export const FUNCTION_TIMEOUT_MS = 10 * 60_000;

/**
 * The write lock's lease: longer than the write path can take with every retry of its activity
 * (each attempt ends at functionTimeout, the retries wait D4AI_RETRY_*), so a lease never expires
 * while its holder may still be writing (two writers at once); 5 minutes to spare. A lock left by a
 * terminated run is reclaimed after it.
 */
export function writeLockLeaseMs(retry: RetrySettings): number {
  let waits = 0;
  for (let i = 0; i < retry.maxAttempts - 1; i++) waits += retryWaitMs(retry, i);
  return retry.maxAttempts * FUNCTION_TIMEOUT_MS + waits + 5 * 60_000;
}

/** Longer than a lease, so a lock left by a terminated run is always reclaimed before giving up. */
export function writeLockMaxWaitMs(retry: RetrySettings): number {
  return writeLockLeaseMs(retry) + 5 * 60_000;
}

type Step<T> = Generator<Task, T, unknown>;

export function* governSubscriptionOrchestrator(context: OrchestrationContext): Step<GovernOutput> {
  const input = context.df.getInput<GovernInput>();
  // Read once per episode, as before any activity: the retry policy and the mode a pass that
  // fails before an activity reports its mode is labelled with.
  const { activityRetry, mode: appMode } = functionsConfig();
  const subscriptionId = input.ask.request.subscriptionId.toLowerCase();
  const outcomes: DecisionStatus[] = [];
  const handled: string[] = [];
  let pass = { ask: input.ask, requestIds: input.requestIds ?? [input.ask.requestId] };
  const waiter: RecheckWaiter = { yielded: false };

  for (let passes = 1; ; passes++) {
    const { record, storeError } = yield* governOnce(context, pass.ask, { retry: activityRetry, mode: appMode }, status, passes === 1 ? input.candidate : undefined);
    outcomes.push({ ...decisionStatus(record), ...(storeError ? { unrecorded: storeError } : {}) });
    handled.push(...pass.requestIds);
    if (!input.coalesce) break;

    context.df.setCustomStatus(status('settling', record));
    const asks = yield* collectRechecks(context, subscriptionId, waiter);
    if (asks.length === 0) break;
    pass = mergeAsks(asks);
    if (passes >= MAX_PASSES_PER_EXECUTION) {
      // The drained asks ride along in the new input: nothing is lost across the restart.
      const next: GovernInput = { ask: pass.ask, requestIds: pass.requestIds, coalesce: true };
      context.df.continueAsNew(next);
      return { outcomes, handledRequestIds: handled };
    }
  }
  context.df.setCustomStatus(status('done'));
  return { outcomes, handledRequestIds: handled };

  function status(phase: GovernStatus['phase'], record?: RemediationRecord): GovernStatus {
    const last = record ? decisionStatus(record) : outcomes[outcomes.length - 1];
    return { phase, subscriptionId, passes: outcomes.length, ...(last ? { decision: last } : {}), handledRequestIds: handled.slice(-20) };
  }
}

function* governOnce(
  context: OrchestrationContext,
  ask: GovernAsk,
  settings: { retry: RetrySettings; mode: Mode },
  status: (phase: GovernStatus['phase'], record?: RemediationRecord) => GovernStatus,
  candidate?: GovernInput['candidate'],
): Step<{ record: RemediationRecord; storeError?: { code: string; message: string } }> {
  const instanceId = context.df.instanceId;
  const subscriptionId = ask.request.subscriptionId.toLowerCase();
  const startedAt = context.df.currentUtcDateTime;
  const runId = context.df.newGuid(instanceId);
  const request = { ...ask.request, subscriptionId, runId, detail: { ...(ask.request.detail ?? {}), instanceId } };
  const retry = retryOptions(settings.retry);
  const correlation = { runId, instanceId };

  // Until an activity says which mode it decided in: the app's.
  let mode: Mode = ask.dryRun ? 'report' : settings.mode;
  let planned: Candidate | undefined = candidate;
  let applied: ApplyPricingResult | undefined;
  let failure: { code: string; message: string } | undefined;
  // The write activity was called: if it failed for good, whether its PUT went through is unknown.
  let writeCalled = false;

  try {
    if (!planned) {
      context.df.setCustomStatus(status('planning'));
      const plan: PlanGovernInput = { subscriptionId, dryRun: ask.dryRun, ...(ask.request.detail ? { detail: ask.request.detail } : {}), ...correlation };
      const result = (yield context.df.callActivityWithRetry(FN.planGovern, retry, plan)) as PlanGovernResult;
      mode = result.mode;
      if (result.ok) planned = { context: result.context, nomination: result.nomination };
      else failure = result.error;
    }
    if (planned && isWrite(planned.reviewed?.plan.decision ?? planned.nomination.decision) && mode === 'enforce') {
      context.df.setCustomStatus(status('waiting-for-write-lock'));
      if (yield* acquireWriteLock(context, subscriptionId, runId, settings.retry)) {
        try {
          context.df.setCustomStatus(status('writing'));
          const apply: ApplyPricingInput = { context: planned.context, nomination: planned.nomination, request, startedAt: startedAt.toISOString(), ...(planned.reviewed ? { reviewed: planned.reviewed } : {}), ...correlation };
          writeCalled = true;
          applied = (yield context.df.callActivityWithRetry(FN.applyPricing, retry, apply)) as ApplyPricingResult;
          mode = applied.mode;
        } finally {
          context.df.signalEntity(lockEntity(subscriptionId), 'release', { owner: runId });
        }
      } else {
        failure = { code: 'SubscriptionBusy', message: `Another run held the write lock of ${subscriptionId} for over ${Math.round(writeLockMaxWaitMs(settings.retry) / 60000)} minutes.` };
      }
    }
  } catch (error) {
    // Retries exhausted (throttling, ARM or the network down).
    failure = failureFrom(error);
  }

  const lostWrite = !applied && writeCalled && failure !== undefined;
  const record = recordOfPass({
    request,
    mode,
    ...(applied && planned ? { context: planned.context, decision: applied.plan.decision, notes: applied.notes, ...writtenFields(applied), planBasis: applied.plan.basis } : {}),
    ...(!applied && planned ? { context: planned.context, decision: planned.reviewed?.plan.decision ?? planned.nomination.decision, ...(planned.reviewed?.plan.before ? { before: planned.reviewed.plan.before } : {}) } : {}),
    ...(planned?.reviewed ? { planDigest: planned.reviewed.digest } : {}),
    ...(lostWrite && failure
      ? { applied: { outcome: 'failed' as const, wrote: true, error: failure, notes: ['The write activity failed after its retries: whether its PUT went through is unknown; the next pass reads the plan.'] } }
      : failure
        ? { failure }
        : {}),
    dryRunRequested: ask.dryRun,
    startedAt,
    finishedAt: context.df.currentUtcDateTime,
  });
  context.df.setCustomStatus(status('recording', record));

  try {
    const write: WriteRecordInput = { record };
    yield context.df.callActivityWithRetry(FN.writeRecord, retry, write);
  } catch (error) {
    // The decision then lives only in the logs; log it once (not on every replay).
    const problem = failureFrom(error);
    if (!context.df.isReplaying) logDecision(loggerFor(context), record, { errorCode: `RecordWriteFailed:${problem.code}`, errorMessage: problem.message });
    return { record, storeError: { code: `RecordWriteFailed:${problem.code}`, message: problem.message } };
  }
  return { record };
}

/**
 * The one `recheck` waiter of an execution. An open waiter takes the next event as it arrives
 * (the framework hands an event to an open waiter before it buffers it), so a waiter left behind
 * by a settle timer must be the one read next: creating a fresh waiter each time would let an
 * orphan swallow the recheck that arrives during the following pass.
 */
interface RecheckWaiter {
  task?: Task;
  /** Yielded once already (in a Task.any the timer won): yielding it again would register it twice. */
  yielded: boolean;
}

/** Drains `recheck` events: waits the settle time for the first, then takes what is already buffered. */
function* collectRechecks(context: OrchestrationContext, subscriptionId: string, waiter: RecheckWaiter): Step<GovernAsk[]> {
  const asks: GovernAsk[] = [];
  for (let wait = RECHECK_SETTLE_MS; ; wait = 0) {
    if (!waiter.task) {
      waiter.task = context.df.waitForExternalEvent(RECHECK_EVENT);
      waiter.yielded = false;
    }
    const recheck = waiter.task;
    if (!recheck.isCompleted) {
      const settle = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + wait));
      if (waiter.yielded) {
        // Still registered from before: it fills in when an event arrives; look after the settle time.
        yield settle;
      } else {
        waiter.yielded = true;
        yield context.df.Task.any([recheck, settle]);
      }
      if (!recheck.isCompleted) return asks;
    }
    waiter.task = undefined;
    const ask = askFrom(recheck.result, subscriptionId);
    if (ask) asks.push(ask);
  }
}

/**
 * A recheck payload is outside input: keep only its ids, trigger kind, detail and dry-run flag,
 * and only if it is well formed and for this subscription. Nothing else in it is read.
 */
function askFrom(payload: unknown, subscriptionId: string): GovernAsk | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const ask = payload as Partial<GovernAsk>;
  const request = ask.request;
  if (typeof ask.requestId !== 'string' || !request || typeof request !== 'object') return undefined;
  if (typeof request.subscriptionId !== 'string' || request.subscriptionId.toLowerCase() !== subscriptionId) return undefined;
  if (!isTriggerKind(request.trigger)) return undefined;
  const detail = triggerDetailFrom(request.detail);
  const actor = parseActor(request.actor);
  return { requestId: ask.requestId.slice(0, 200), request: { subscriptionId, trigger: request.trigger, ...(actor ? { actor } : {}), ...(detail ? { detail } : {}) }, dryRun: ask.dryRun === true };
}

function* acquireWriteLock(context: OrchestrationContext, subscriptionId: string, owner: string, retry: RetrySettings): Step<boolean> {
  const giveUpAt = context.df.currentUtcDateTime.getTime() + writeLockMaxWaitMs(retry);
  for (;;) {
    const acquire: AcquireInput = { owner, now: context.df.currentUtcDateTime.toISOString(), leaseMs: writeLockLeaseMs(retry) };
    const reply = (yield context.df.callEntity(lockEntity(subscriptionId), 'acquire', acquire)) as AcquireReply;
    if (reply.granted) return true;
    if (context.df.currentUtcDateTime.getTime() >= giveUpAt) return false;
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + WRITE_LOCK_POLL_MS));
  }
}

function lockEntity(subscriptionId: string): df.EntityId {
  return new df.EntityId(FN.subscriptionWriteLock, subscriptionId.toLowerCase());
}

df.app.orchestration(FN.governSubscription, governSubscriptionOrchestrator);
