import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { LOG_MESSAGES } from '../shared/observability/log';
import type { SweepSummaryRecord } from '../shared/records/record';
import type { PassProblem } from '../shared/engine/snapshot-pass';
import type { Tally } from '../shared/engine/tally';
import { failureFrom, type GovernInput, type GovernOutput } from './govern-run';
import { FN } from './names';
import { loggerFor } from './runtime';
import type { WriteRunSummaryInput } from './sweep.activities';

/**
 * The steps a tenant-pass orchestration (the sweep, a saved plan's apply) shares.
 *
 * The writes of a pass as governSubscription children, `batch` at a time (the sweep's candidates,
 * a saved plan's entries), counting what each child recorded into `tally`. A child that fails as an
 * orchestration (children record their own failures, so this is the framework failing) fails
 * Task.all at once: the rest of its batch is then awaited one by one (never more than a batch at
 * once, and what they record is counted), and the failed ones are named as not recorded.
 */
export function* runChildBatches<T extends { subscriptionId: string }>(
  context: OrchestrationContext,
  items: readonly T[],
  batch: number,
  child: (item: T, index: number) => { input: GovernInput; instanceId: string },
  tally: Tally,
  problems: PassProblem[],
): Generator<Task, void, unknown> {
  const count = (output: GovernOutput): void => {
    for (const outcome of output.outcomes) {
      tally.add(outcome);
      if (outcome.unrecorded) {
        tally.unrecorded++;
        problems.push({ subscriptionId: outcome.subscriptionId, ...outcome.unrecorded });
      }
    }
  };
  for (let next = 0; next < items.length; next += batch) {
    const slice = items.slice(next, next + batch);
    const children = slice.map((item, i) => {
      const { input, instanceId } = child(item, next + i);
      return context.df.callSubOrchestrator(FN.governSubscription, input, instanceId);
    });
    try {
      const outputs = (yield context.df.Task.all(children)) as GovernOutput[];
      for (const output of outputs) count(output);
    } catch (error) {
      const problem = failureFrom(error);
      for (const [i, task] of children.entries()) {
        if (!task.isCompleted) {
          try {
            yield task;
          } catch {
            // Counted below.
          }
        }
        if (!task.isFaulted) count(task.result as GovernOutput);
        else {
          tally.unrecorded++;
          problems.push({ subscriptionId: slice[i]?.subscriptionId ?? '?', ...(task.result !== undefined ? failureFrom(task.result) : problem) });
        }
      }
    }
  }
}

/**
 * Stores a pass's summary row through the writeRunSummary activity (which also gives the
 * tenant-pass lease back). A summary that cannot be stored is logged once at error level with
 * RecordWriteFailed, which the failed-remediation alert catches; the pass still returns it.
 */
export function* writePassSummary(context: OrchestrationContext, retry: RetryOptions, summary: SweepSummaryRecord): Generator<Task, void, unknown> {
  try {
    const write: WriteRunSummaryInput = { summary };
    yield context.df.callActivityWithRetry(FN.writeRunSummary, retry, write);
  } catch (error) {
    if (!context.df.isReplaying) {
      const problem = failureFrom(error);
      loggerFor(context, { sweepId: summary.sweepId }).error(LOG_MESSAGES.sweepSummary, { sweepId: summary.sweepId, errorCode: `RecordWriteFailed:${problem.code}`, errorMessage: problem.message });
    }
  }
}
