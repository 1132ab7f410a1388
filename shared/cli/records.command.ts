import { once } from 'node:events';
import { escapeControl } from '../observability/redact';
import { toJsonLine } from '../records/records.jsonl';
import { EXIT, UsageError, type CliContext } from './context';

/**
 * Keeping the audit trail: `d4ai records --export jsonl` (the portable form: one JSON object per
 * line, records then run summaries, streamed) and `d4ai records prune` (records and summaries
 * older than D4AI_RECORDS_RETENTION_DAYS, or --older-than). An intent is never pruned: its outcome
 * is not known yet (engine/reconcile.ts settles it first).
 */

export async function exportCommand(ctx: CliContext, format: string): Promise<number> {
  if (format !== 'jsonl') throw new UsageError(`--export must be jsonl, got "${escapeControl(format)}".`);
  const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  let n = 0;
  for await (const item of ctx.ports.records.exportAll()) {
    if (ctx.signal.aborted) break;
    // Written with back-pressure: an export of a million records to a slow pipe stays flat in memory.
    if (!process.stdout.write(toJsonLine(item))) await Promise.race([once(process.stdout, 'drain'), aborted]);
    n++;
  }
  ctx.progress(`Exported ${n} record(s) and run summaries from ${ctx.ports.records.description}.`, { exported: n });
  return EXIT.ok;
}

export async function pruneCommand(ctx: CliContext, olderThan: string | undefined): Promise<number> {
  const days = olderThan !== undefined ? parseDays(olderThan) : ctx.config.recordsRetentionDays;
  if (days === undefined) throw new UsageError('records prune needs --older-than <days>, or D4AI_RECORDS_RETENTION_DAYS set: without either, every record is kept.');
  const pruned = await prune(ctx, days);
  ctx.out(`Pruned ${pruned.records} record(s) and ${pruned.summaries} run summary(ies) older than ${days} day(s) from ${ctx.ports.records.description}.`);
  return EXIT.ok;
}

/** After a sweep: D4AI_RECORDS_RETENTION_DAYS applied (unset: nothing is pruned). A failure is named, never fatal. */
export async function applyRetention(ctx: CliContext): Promise<void> {
  const days = ctx.config.recordsRetentionDays;
  if (days === undefined) return;
  try {
    const pruned = await prune(ctx, days);
    if (pruned.records || pruned.summaries) ctx.progress(`Retention (D4AI_RECORDS_RETENTION_DAYS=${days}): pruned ${pruned.records} record(s) and ${pruned.summaries} run summary(ies).`, pruned);
  } catch (error) {
    ctx.progress(`warning: retention (D4AI_RECORDS_RETENTION_DAYS=${days}) could not prune: ${escapeControl(error instanceof Error ? error.message : String(error))}`);
  }
}

function prune(ctx: CliContext, days: number): Promise<{ records: number; summaries: number }> {
  return ctx.ports.records.prune(new Date(Date.now() - days * 86_400_000));
}

function parseDays(value: string): number {
  const days = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(days >= 1 && days <= 36500)) throw new UsageError(`--older-than must be a whole number of days from 1 to 36500, got "${escapeControl(value)}".`);
  return days;
}
