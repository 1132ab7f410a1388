import { revertRun } from '../engine/revert';
import type { RemediationRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { requireGuid } from './commands';
import { requireRunId } from './history.commands';
import { RECORD_CSV_COLUMNS, byName, recordCsv, recordsTable } from './output';

/**
 * `d4ai revert --run RUN_ID [--subscription ID] [--dry-run] [--yes]`: puts back what a run
 * changed, where nothing changed since (shared/engine/revert.ts). It is the one command that may
 * switch something off, so it always shows its plan first (a dry run of itself, which stores
 * nothing) and writes only after "yes" on a terminal, or with --yes.
 */
export async function revertCommand(ctx: CliContext, options: { run: string; subscription?: string }): Promise<number> {
  const run = requireRunId(options.run);
  const subscriptionId = options.subscription !== undefined ? requireGuid(options.subscription, '--subscription') : undefined;
  await ctx.ports.records.ensureWritable();
  await ctx.checkIdentity();
  const scope = { run, ...(subscriptionId ? { subscriptionId } : {}) };
  if (ctx.config.mode === 'enforce') {
    if (!ctx.yes && !ctx.interactive) throw new UsageError('revert switches plans and extensions back, possibly off: run it with --yes (or on a terminal, to confirm), or with --dry-run to see the plan.');
    if (!ctx.yes) {
      const plan = await revertRun(ctx.ports, ctx.config, { ...scope, preview: true });
      const writes = plan.records.filter((r) => r.outcome === 'dry-run');
      print(ctx, plan.records);
      if (writes.length === 0) {
        ctx.out('Nothing to revert: every subscription changed since that run (see above).');
        return EXIT.ok;
      }
      if (!(await ctx.ask(`Revert ${writes.length} subscription(s) to the state before run ${run}? Type yes to go on: `))) {
        ctx.out('Nothing was changed.');
        return EXIT.failed;
      }
    }
  }
  const result = await revertRun(ctx.ports, ctx.config, scope);
  print(ctx, result.records, result.revertId);
  for (const u of result.unrecorded) ctx.out(`NOT RECORDED ${u.subscriptionId}: ${u.code} ${u.message}`);
  return result.unrecorded.length || result.records.some((r) => r.outcome === 'failed') ? EXIT.failed : EXIT.ok;
}

function print(ctx: CliContext, records: readonly RemediationRecord[], revertId?: string): void {
  if (ctx.format === 'json') ctx.out(JSON.stringify({ ...(revertId ? { revertId } : {}), records }, null, 2));
  else if (ctx.format === 'csv') ctx.out([RECORD_CSV_COLUMNS.join(','), ...records.map(recordCsv)].join('\n'));
  else {
    ctx.out(recordsTable([...records].sort(byName), ctx.width));
    if (revertId) ctx.progress(`Revert ${revertId}: its records are in ${ctx.ports.records.description} (d4ai records --run ${revertId}).`);
  }
}
