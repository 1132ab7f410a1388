import type { OrchestrationContext, Task } from 'durable-functions';
import type { PassProblem } from '../shared/engine/snapshot-pass';
import type { Tally } from '../shared/engine/tally';
import { failureFrom, type GovernInput, type GovernOutput } from './govern-run';
import { FN } from './names';

/**
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
