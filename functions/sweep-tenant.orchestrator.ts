import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { Mode } from '../shared/config';
import { isWrite } from '../shared/domain/decide';
import type { SubscriptionInfo, TriggerKind } from '../shared/domain/model';
import { summarise, toSummaryRecord, type SweepSummary } from '../shared/engine/sweep';
import { LOG_MESSAGES } from '../shared/observability/log';
import type { RemediationRecord, SweepSummaryRecord } from '../shared/records/record';
import { failureFrom, retryOptions, type GovernInput, type GovernOutput, type GovernSettings } from './govern-run';
import { FN, sweepChildInstanceId } from './names';
import { loggerFor } from './runtime';
import type { ListSubscriptionsInput, ListSubscriptionsResult, WriteSweepSummaryInput } from './sweep.activities';

/**
 * sweepTenant: every subscription the identity can see, governed by governSubscription children in
 * bounded batches, then one summary row and one "D4AI sweep summary" log line.
 *
 * The cap (D4AI_MAX_ENABLEMENTS_PER_RUN) is never exceeded. Children of a batch run in parallel and
 * cannot see each other's decisions, so each child gets a slot of its own: child i of a batch
 * decides with writesSoFar = writes + i, and a batch is never larger than the slots left. Near the
 * cap batches shrink (down to one child at a time) instead of refusing subscriptions that would not
 * have written anyway; once no slot is left, the rest are still read and recorded as `cap-reached`.
 * Writes are counted from the children's decisions (enable / add-components, as the CLI sweep
 * counts them, report mode included); a child whose outcome is unknown counts as a write.
 *
 * Children get their own instance ids (`<sweep id>:<sub>`), not `govern-<sub>`: a sub-orchestration
 * must not share its id with an instance an event may have started. Their pricing writes are still
 * serialised with event runs through the per-subscription write lock entity.
 */

export interface SweepInput {
  trigger: Extract<TriggerKind, 'sweep' | 'manual'>;
  settings: GovernSettings;
  dryRun: boolean;
  note?: string;
}

export interface SweepOutput {
  summary: SweepSummaryRecord;
  unrecorded: SweepSummary['unrecorded'];
}

export interface SweepStatus {
  phase: 'listing' | 'governing' | 'summarising' | 'done';
  subscriptions: number;
  governed: number;
  writes: number;
  cap: number;
}

type Step<T> = Generator<Task, T, unknown>;

export function* sweepTenantOrchestrator(context: OrchestrationContext): Step<SweepOutput> {
  const input = context.df.getInput<SweepInput>();
  const { settings } = input;
  const sweepId = context.df.instanceId;
  const startedAt = context.df.currentUtcDateTime;
  const mode: Mode = input.dryRun ? 'report' : settings.mode;
  const retry = retryOptions(settings.activityRetry);
  const cap = settings.maxEnablementsPerRun;
  const records: RemediationRecord[] = [];
  const unrecorded: SweepSummary['unrecorded'] = [];
  let writes = 0;

  context.df.setCustomStatus(progress('listing', 0, 0));
  let subscriptions: SubscriptionInfo[] = [];
  try {
    const list: ListSubscriptionsInput = { sweepId, settings };
    subscriptions = ((yield context.df.callActivityWithRetry(FN.listSubscriptions, retry, list)) as ListSubscriptionsResult).subscriptions;
  } catch (error) {
    unrecorded.push({ subscriptionId: '*', ...failureFrom(error) });
  }

  for (let next = 0; next < subscriptions.length; ) {
    const slots = cap - writes;
    const batch = subscriptions.slice(next, next + (slots > 0 ? Math.min(settings.sweepBatch, slots) : settings.sweepBatch));
    const children = batch.map((subscription, i) =>
      context.df.callSubOrchestrator(
        FN.governSubscription,
        childInput(subscription, slots > 0 ? writes + i : cap),
        sweepChildInstanceId(sweepId, subscription.subscriptionId),
      ),
    );
    try {
      const outputs = (yield context.df.Task.all(children)) as GovernOutput[];
      for (const output of outputs) take(output);
    } catch (error) {
      // A child failed as an orchestration (children record their own failures, so this is the
      // framework failing). Keep what finished; count the rest as writes so the cap still holds.
      const problem = failureFrom(error);
      children.forEach((child, i) => {
        if (child.isCompleted && !child.isFaulted) take(child.result as GovernOutput);
        else {
          unrecorded.push({ subscriptionId: batch[i]?.subscriptionId ?? '?', ...problem });
          writes++;
        }
      });
    }
    next += batch.length;
    context.df.setCustomStatus(progress('governing', subscriptions.length, next));
  }

  context.df.setCustomStatus(progress('summarising', subscriptions.length, subscriptions.length));
  const summary = toSummaryRecord(
    summarise(sweepId, input.trigger, mode, startedAt, context.df.currentUtcDateTime, subscriptions.length, records, unrecorded),
  );
  try {
    const write: WriteSweepSummaryInput = { summary };
    yield context.df.callActivityWithRetry(FN.writeSweepSummary, retry, write);
  } catch (error) {
    if (!context.df.isReplaying) {
      const problem = failureFrom(error);
      loggerFor(context, { sweepId }).error(LOG_MESSAGES.sweepSummary, { sweepId, errorCode: `RecordWriteFailed:${problem.code}`, errorMessage: problem.message });
    }
  }
  context.df.setCustomStatus(progress('done', subscriptions.length, subscriptions.length));
  return { summary, unrecorded };

  function take(output: GovernOutput): void {
    for (const record of output.records) {
      records.push(record);
      if (isWrite(record)) writes++;
    }
  }

  function childInput(listed: SubscriptionInfo, writesSoFar: number): GovernInput {
    const { subscriptionId } = listed;
    return {
      ask: {
        requestId: sweepChildInstanceId(sweepId, subscriptionId),
        request: { subscriptionId, trigger: input.trigger, detail: { sweepId, ...(input.note ? { note: input.note } : {}) } },
        dryRun: input.dryRun,
        settings,
      },
      writesSoFar,
      listed,
      coalesce: false,
    };
  }

  function progress(phase: SweepStatus['phase'], subscriptions: number, governed: number): SweepStatus {
    return { phase, subscriptions, governed, writes, cap };
  }
}

df.app.orchestration(FN.sweepTenant, sweepTenantOrchestrator);
