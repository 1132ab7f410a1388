import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { Mode } from '../shared/config';
import { decide, isWrite, type Decision } from '../shared/domain/decide';
import type { GovernContext, SubscriptionInfo } from '../shared/domain/model';
import type { ApplyResult } from '../shared/engine/apply';
import { logDecision } from '../shared/engine/decision-log';
import { recordOfPass } from '../shared/engine/pass-record';
import type { RemediationRecord } from '../shared/records/record';
import type { ApplyPricingInput, LoadGovernContextInput, LoadGovernContextResult, WriteRecordInput } from './govern.activities';
import {
  configFrom,
  decisionStatus,
  failureFrom,
  mergeAsks,
  retryOptions,
  type GovernAsk,
  type GovernInput,
  type GovernOutput,
  type GovernStatus,
} from './govern-run';
import { FN, RECHECK_EVENT } from './names';
import { loggerFor } from './runtime';
import type { AcquireInput, AcquireReply } from './subscription-lock.entity';

/**
 * governSubscription: one subscription, the same steps as shared/engine/govern.ts, scheduled by
 * the Durable Task framework: load (activity) -> decide (pure, here) -> apply (activity, enforce
 * only) -> record (activity). A record is written whatever happens, failures included.
 *
 * Coalescing: the event trigger and the admin API run this as the singleton `govern-<sub>`. While
 * it runs, further triggers for the subscription raise `recheck` instead of starting a second run.
 * After each pass the run waits RECHECK_SETTLE_MS for rechecks (a burst of resource writes from one
 * deployment lands in one more pass) and drains those already buffered, so an ask that arrived
 * while a pass was running is never lost; one more pass covers all of them.
 *
 * Write serialisation: a pass that may write holds the subscription's write lock (an entity, see
 * subscription-lock.entity.ts) from reading the pricing to writing it. Sweep children use their own
 * instance ids, so this lock, not the instance id, is what keeps one write in flight per subscription.
 *
 * Only deterministic APIs here: time is context.df.currentUtcDateTime, ids come from newGuid.
 */

export const RECHECK_SETTLE_MS = 30_000;
/** Passes before the run continues as new, so the history of a busy subscription stays small. */
export const MAX_PASSES_PER_EXECUTION = 5;
export const WRITE_LOCK_LEASE_MS = 15 * 60_000;
export const WRITE_LOCK_POLL_MS = 20_000;
/** Longer than a lease, so a lock left by a terminated run is always reclaimed before giving up. */
export const WRITE_LOCK_MAX_WAIT_MS = WRITE_LOCK_LEASE_MS + 5 * 60_000;

type Step<T> = Generator<Task, T, unknown>;

export function* governSubscriptionOrchestrator(context: OrchestrationContext): Step<GovernOutput> {
  const input = context.df.getInput<GovernInput>();
  const subscriptionId = input.ask.request.subscriptionId.toLowerCase();
  const records: RemediationRecord[] = [];
  const handled: string[] = [];
  let pass = { ask: input.ask, requestIds: input.requestIds ?? [input.ask.requestId] };

  for (let passes = 1; ; passes++) {
    const record = yield* governOnce(context, pass.ask, input.writesSoFar ?? 0, status, passes === 1 ? input.listed : undefined);
    records.push(record);
    handled.push(...pass.requestIds);
    if (!input.coalesce) break;

    context.df.setCustomStatus(status('settling', record));
    const asks = yield* collectRechecks(context, subscriptionId);
    if (asks.length === 0) break;
    pass = mergeAsks(asks);
    if (passes >= MAX_PASSES_PER_EXECUTION) {
      // The drained asks ride along in the new input: nothing is lost across the restart.
      context.df.continueAsNew({ ...input, ask: pass.ask, requestIds: pass.requestIds });
      return { records, handledRequestIds: handled };
    }
  }
  context.df.setCustomStatus(status('done', records[records.length - 1]));
  return { records, handledRequestIds: handled };

  function status(phase: GovernStatus['phase'], record?: RemediationRecord): GovernStatus {
    return {
      phase,
      subscriptionId,
      passes: records.length,
      ...(record ? { decision: decisionStatus(record) } : {}),
      handledRequestIds: handled.slice(-20),
    };
  }
}

function* governOnce(
  context: OrchestrationContext,
  ask: GovernAsk,
  writesSoFar: number,
  status: (phase: GovernStatus['phase'], record?: RemediationRecord) => GovernStatus,
  listed?: SubscriptionInfo,
): Step<RemediationRecord> {
  const { settings } = ask;
  const instanceId = context.df.instanceId;
  const subscriptionId = ask.request.subscriptionId.toLowerCase();
  const startedAt = context.df.currentUtcDateTime;
  const runId = context.df.newGuid(instanceId);
  const request = { ...ask.request, subscriptionId, runId, detail: { ...(ask.request.detail ?? {}), instanceId } };
  const mode: Mode = ask.dryRun ? 'report' : settings.mode;
  const config = configFrom(settings, { kind: 'file', path: '' }, mode); // decide() never reads the records target
  const retry = retryOptions(settings.activityRetry);
  const correlation = { runId, instanceId };

  let loaded: GovernContext | undefined;
  let decision: Decision | undefined;
  let applied: ApplyResult | undefined;
  let failure: { code: string; message: string } | undefined;

  // Report mode (D4AI_MODE=report or a dry run) never writes, so it needs no write lock.
  const mayWrite = mode === 'enforce';
  let locked = false;
  if (mayWrite) {
    context.df.setCustomStatus(status('waiting-for-write-lock'));
    locked = yield* acquireWriteLock(context, subscriptionId, runId);
    if (!locked) failure = { code: 'SubscriptionBusy', message: `Another run held the write lock of ${subscriptionId} for over ${WRITE_LOCK_MAX_WAIT_MS / 60000} minutes.` };
  }
  context.df.setCustomStatus(status('governing'));
  try {
    if (!failure) {
      const load: LoadGovernContextInput = { subscriptionId, settings, ...correlation, ...(listed ? { listed } : {}) };
      const result = (yield context.df.callActivityWithRetry(FN.loadGovernContext, retry, load)) as LoadGovernContextResult;
      if (result.ok) {
        loaded = result.context;
        decision = decide(loaded, config, { writesSoFar });
        if (isWrite(decision) && mode === 'enforce' && decision.desired) {
          const apply: ApplyPricingInput = { subscriptionId, desired: decision.desired, settings, ...correlation };
          applied = (yield context.df.callActivityWithRetry(FN.applyPricing, retry, apply)) as ApplyResult;
        }
      } else {
        failure = result.error;
      }
    }
  } catch (error) {
    // Retries exhausted (throttling, ARM or the network down): the decision is `undecided`.
    failure = failureFrom(error);
  } finally {
    if (locked) context.df.signalEntity(lockEntity(subscriptionId), 'release', { owner: runId });
  }

  const record = recordOfPass({
    request,
    mode,
    ...(loaded ? { context: loaded } : {}),
    ...(decision ? { decision } : {}),
    ...(applied ? { applied } : {}),
    ...(failure ? { failure } : {}),
    dryRunRequested: ask.dryRun,
    startedAt,
    finishedAt: context.df.currentUtcDateTime,
  });
  context.df.setCustomStatus(status('governing', record));

  try {
    const write: WriteRecordInput = { record };
    yield context.df.callActivityWithRetry(FN.writeRecord, retry, write);
  } catch (error) {
    // The decision then lives only in the logs; log it once (not on every replay).
    if (!context.df.isReplaying) {
      const problem = failureFrom(error);
      logDecision(loggerFor(context), record, { errorCode: `RecordWriteFailed:${problem.code}`, errorMessage: problem.message });
    }
  }
  return record;
}

/** Drains `recheck` events: waits the settle time for the first, then takes what is already buffered. */
function* collectRechecks(context: OrchestrationContext, subscriptionId: string): Step<GovernAsk[]> {
  const asks: GovernAsk[] = [];
  for (let wait = RECHECK_SETTLE_MS; ; wait = 0) {
    const recheck = context.df.waitForExternalEvent(RECHECK_EVENT);
    const settle = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + wait));
    const winner = yield context.df.Task.any([recheck, settle]);
    if (winner !== recheck) return asks;
    const ask = askFrom(recheck.result, subscriptionId);
    if (ask) asks.push(ask);
  }
}

/** A recheck payload is outside input: keep it only if it is well formed and for this subscription. */
function askFrom(payload: unknown, subscriptionId: string): GovernAsk | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const ask = payload as Partial<GovernAsk>;
  const request = ask.request;
  if (typeof ask.requestId !== 'string' || !request || typeof request !== 'object' || !ask.settings || typeof ask.settings !== 'object') return undefined;
  if (typeof request.subscriptionId !== 'string' || request.subscriptionId.toLowerCase() !== subscriptionId) return undefined;
  return { requestId: ask.requestId, request, dryRun: ask.dryRun === true, settings: ask.settings };
}

function* acquireWriteLock(context: OrchestrationContext, subscriptionId: string, owner: string): Step<boolean> {
  const giveUpAt = context.df.currentUtcDateTime.getTime() + WRITE_LOCK_MAX_WAIT_MS;
  for (;;) {
    const acquire: AcquireInput = { owner, now: context.df.currentUtcDateTime.toISOString(), leaseMs: WRITE_LOCK_LEASE_MS };
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
