import type { Decision } from '../domain/decide';
import type { SubscriptionInfo } from '../domain/model';
import { changeText } from '../domain/plan';
import type { CliContext } from './context';
import { byName, subscriptionText, table } from './output';

export interface PlannedWrite {
  subscription: Pick<SubscriptionInfo, 'subscriptionId' | 'displayName'>;
  decision: Decision;
}

/**
 * Before an enforcing run on a terminal: the writes it would make, and a question, on stderr (the
 * terminal), so stdout keeps only the command's output (`--json > run.json` stays one document).
 * Anything but "y" or "yes" stops the run with nothing written. Nothing to write: no question.
 */
export async function confirmPlan(ctx: CliContext, writes: readonly PlannedWrite[]): Promise<boolean> {
  if (writes.length === 0) return true;
  const rows = writes
    .map((w) => ({ subscriptionId: w.subscription.subscriptionId, ...(w.subscription.displayName ? { subscriptionName: w.subscription.displayName } : {}), decision: w.decision }))
    .sort(byName)
    .map((w) => [subscriptionText(w), w.decision.action, w.decision.change ? changeText(w.decision.change) : '']);
  ctx.err(`Plan: ${writes.length} subscription(s) would change (each is read again just before its write):`);
  ctx.err(table(['SUBSCRIPTION', 'ACTION', 'CHANGE'], rows, ctx.width));
  const yes = await ctx.ask(`Apply ${writes.length === 1 ? 'this change' : `these ${writes.length} changes`} (D4AI_MODE=enforce)? Type yes to go on: `);
  if (!yes) ctx.err('Nothing was changed.');
  return yes;
}
