import * as fs from 'node:fs/promises';
import { checkSavedPlan, PlanFileInvalid, type SavedPlan } from '../domain/saved-plan';
import { applySavedPlan } from '../engine/apply-saved';
import { escapeControl } from '../observability/redact';
import { RECORD_CSV_COLUMNS, byName, recordCsv, recordsTable, runSummaryText } from './output';
import type { RemediationRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { withDetail } from './commands';

/**
 * `d4ai apply plan.json`: applies a saved plan (`--dry-run --out plan.json`) exactly: its bodies,
 * where the fresh read still shows the state each was made from (elsewhere `plan-stale`, nothing
 * written). The plan file is the approval: no question is asked, and --yes is not needed. A file
 * that is not a plan or was edited is bad input (exit 2); a plan that expired or was made under
 * other settings is refused whole (exit 1); D4AI_MODE must be enforce (the app's settings decide).
 * `--output json`: `{"planDigest", "applyId", "records": [...], "summary", "unrecorded": [...]}`.
 */
export async function applyCommand(ctx: CliContext, file: string): Promise<number> {
  const saved = await readPlan(ctx, file);
  if (ctx.config.mode !== 'enforce') {
    throw new UsageError(`D4AI_MODE is ${ctx.config.mode}: a plan is applied only in enforce mode (set D4AI_MODE=enforce, and leave out --dry-run); nothing was written.`);
  }
  await ctx.ports.records.ensureWritable();
  await ctx.checkIdentity();
  ctx.progress(`Applying plan ${saved.digest} (${saved.counts.writes} write(s), made ${saved.createdAt}); records go to ${ctx.ports.records.description}.`, { planDigest: saved.digest });
  const records: RemediationRecord[] = [];
  const result = await applySavedPlan(ctx.ports, ctx.config, saved, { onRecord: (r) => void records.push(r) });
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ planDigest: saved.digest, applyId: result.applyId, records, summary: result.summary, summaryStored: result.summaryStored, unrecorded: result.unrecorded }, null, 2));
  } else if (ctx.format === 'csv') {
    ctx.out([RECORD_CSV_COLUMNS.join(','), ...records.map(recordCsv)].join('\n'));
    ctx.progress(runSummaryText(result.summary, result.unrecorded));
  } else {
    if (records.length) ctx.out(recordsTable([...records].sort(byName), ctx.width));
    ctx.out('');
    ctx.out(runSummaryText(result.summary, result.unrecorded));
    const stale = records.filter((r) => r.outcome === 'plan-stale').length;
    if (stale) ctx.out(`  ${stale} subscription(s) changed since the plan was made and were not written: plan again (d4ai sweep --dry-run --out FILE).`);
    ctx.progress(`Apply ${result.applyId}: d4ai records --run ${result.applyId}; undo with d4ai revert --run ${result.applyId}.`);
  }
  const failed = result.unrecorded.length > 0 || !result.summaryStored || records.some((r) => r.outcome === 'failed');
  return withDetail(ctx, failed ? EXIT.failed : EXIT.ok, records);
}

async function readPlan(ctx: CliContext, file: string): Promise<SavedPlan> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_PLAN_BYTES) throw new UsageError(`Plan file ${escapeControl(file)} is ${stat.size} bytes; a plan is at most ${MAX_PLAN_BYTES} bytes.`);
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read plan file ${escapeControl(file)}: ${(error as Error).message}`);
  }
  try {
    return checkSavedPlan(text, ctx.config, ctx.ports.clock(), `Plan file ${file}`);
  } catch (error) {
    if (error instanceof PlanFileInvalid) throw new UsageError(error.message);
    throw error;
  }
}

/** 10,000 subscriptions' plans fit well within this; anything larger is not a plan we made. */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;
