import type { Decision } from '../domain/decide';
import type { SubscriptionInfo } from '../domain/model';
import { changeText } from '../domain/plan';
import type { CliContext } from './context';
import { table } from './output';

export interface PlannedWrite {
  subscription: Pick<SubscriptionInfo, 'subscriptionId' | 'displayName'>;
  decision: Decision;
}

/**
 * Before an enforcing run on a terminal: the writes it would make, and a question. Anything but
 * "y" or "yes" stops the run with nothing written. Nothing to write: no question.
 */
export async function confirmPlan(ctx: CliContext, writes: readonly PlannedWrite[]): Promise<boolean> {
  if (writes.length === 0) return true;
  const rows = [...writes]
    .sort((a, b) => (a.subscription.displayName ?? '').localeCompare(b.subscription.displayName ?? '') || a.subscription.subscriptionId.localeCompare(b.subscription.subscriptionId))
    .map((w) => [
      w.subscription.displayName ? `${w.subscription.displayName} (${w.subscription.subscriptionId})` : w.subscription.subscriptionId,
      w.decision.action,
      w.decision.change ? changeText(w.decision.change) : '',
    ]);
  ctx.out(`Plan: ${writes.length} subscription(s) would change (each is read again just before its write):`);
  ctx.out(table(['SUBSCRIPTION', 'ACTION', 'CHANGE'], rows, ctx.width));
  const yes = await ctx.ask(`Apply ${writes.length === 1 ? 'this change' : `these ${writes.length} changes`} (D4AI_MODE=enforce)? Type yes to go on: `);
  if (!yes) ctx.out('Nothing was changed.');
  return yes;
}
