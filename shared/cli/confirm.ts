import { changeText, type Plan } from '../domain/plan';
import type { CliContext } from './context';
import { byName, subscriptionText, table } from './output';

/**
 * Before an enforcing run on a terminal: the plans of the writes it would make (refreshed from ARM),
 * and a question, on stderr (the terminal), so stdout keeps only the command's output (`--json >
 * run.json` stays one document). Anything but "yes" stops the run with nothing written. Nothing to
 * write: no question. A "yes" applies exactly these plans: where a subscription's plan changed
 * before its write, it is recorded plan-stale and not written.
 */
export async function confirmPlan(ctx: CliContext, writes: readonly Plan[]): Promise<boolean> {
  if (writes.length === 0) return true;
  const rows = [...writes]
    .sort(byName)
    .map((w) => [subscriptionText(w), w.decision.action, w.decision.change ? changeText(w.decision.change) : '']);
  ctx.err(`Plan: ${writes.length} subscription(s) would change (each is read again under the lock, and written only if it is still as shown):`);
  ctx.err(table(['SUBSCRIPTION', 'ACTION', 'CHANGE'], rows, ctx.width));
  const yes = await ctx.ask(`Apply ${writes.length === 1 ? 'this change' : `these ${writes.length} changes`} (D4AI_MODE=enforce)? Type yes to go on: `);
  if (!yes) ctx.err('Nothing was changed.');
  return yes;
}
