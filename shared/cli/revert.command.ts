import { reconcileOrphans } from '../engine/reconcile';
import { revertRun } from '../engine/revert';
import type { PassProblem } from '../engine/snapshot-pass';
import { escapeControl } from '../observability/redact';
import type { RemediationRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { requireGuid } from './usage-error';
import { requireRunId } from './history.commands';
import { RECORD_CSV_COLUMNS, byName, recordCsv, recordsTable } from './output';

/**
 * `d4ai revert --run RUN_ID [--subscription ID] [--dry-run] [--yes]`: puts back what a run
 * changed, where nothing changed since (shared/engine/revert.ts). It is the one command that may
 * switch something off, so in enforce mode it writes only after "yes" on a terminal (its plan, a
 * dry run of itself that stores nothing, shown on stderr first) or with --yes; --dry-run prints
 * and stores the plan. `--output json`: `{"revertId"?, "records": [...], "unrecorded": [...]}`.
 */
export async function revertCommand(ctx: CliContext, options: { run: string; subscription?: string }): Promise<number> {
  const run = requireRunId(options.run);
  const subscriptionId = options.subscription !== undefined ? requireGuid(options.subscription, '--subscription') : undefined;
  await ctx.ports.records.ensureWritable();
  await ctx.checkIdentity();
  // The run's intents whose outcome its process never stored are settled first (reconcile.ts):
  // a PUT that went through is then a recovered `applied` record, and so revertible.
  await reconcileOrphans(ctx.ports, { run, ...(subscriptionId ? { subscriptionId } : {}) });
  const scope = { run, ...(subscriptionId ? { subscriptionId } : {}), signal: ctx.signal };
  if (ctx.config.mode === 'enforce') {
    if (!ctx.yes && !ctx.interactive) throw new UsageError('revert switches plans and extensions back, possibly off: run it with --yes (or on a terminal, to confirm), or with --dry-run to see the plan.');
    if (!ctx.yes) {
      const plan = await revertRun(ctx.ports, ctx.config, { ...scope, preview: true });
      const writes = plan.records.filter((r) => r.outcome === 'dry-run');
      if (writes.length === 0) {
        // Nothing would be written: the plan is the result (stored nowhere, no question).
        print(ctx, plan.records, undefined, []);
        ctx.progress('Nothing to revert: every subscription changed since that run (see the reasons).');
        return EXIT.ok;
      }
      // The plan is for the person at the terminal (stderr); stdout keeps only the result.
      ctx.err(`Plan: revert ${writes.length} subscription(s) to the state before run ${run}:`);
      ctx.err(recordsTable([...plan.records].sort(byName), ctx.width));
      if (!(await ctx.ask(`Revert ${writes.length} subscription(s) to the state before run ${run}? Type yes to go on: `))) {
        ctx.err('Nothing was changed.');
        return EXIT.failed;
      }
    }
  }
  const result = await revertRun(ctx.ports, ctx.config, scope);
  print(ctx, result.records, result.revertId, result.unrecorded);
  return result.unrecorded.length || result.records.some((r) => r.outcome === 'failed') ? EXIT.failed : EXIT.ok;
}

function print(ctx: CliContext, records: readonly RemediationRecord[], revertId: string | undefined, unrecorded: readonly PassProblem[]): void {
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ ...(revertId ? { revertId } : {}), records, unrecorded }, null, 2));
    return;
  }
  if (ctx.format === 'csv') ctx.out([RECORD_CSV_COLUMNS.join(','), ...records.map(recordCsv)].join('\n'));
  else ctx.out(recordsTable([...records].sort(byName), ctx.width));
  // In CSV mode stdout stays CSV: the unrecorded go with the progress lines.
  for (const u of unrecorded) (ctx.format === 'csv' ? ctx.progress : ctx.out)(`NOT RECORDED ${u.subscriptionId}: ${u.code} ${escapeControl(u.message)}`);
  if (revertId && ctx.format === 'table') ctx.progress(`Revert ${revertId}: its records are in ${ctx.ports.records.description} (d4ai records --run ${revertId}).`);
}
