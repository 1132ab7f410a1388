import { escapeControl } from '../observability/redact';
import type { RemediationRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { requireGuid } from './usage-error';
import { reconcileOrphans, summariseDeadPasses } from '../engine/reconcile';
import { releaseDeadLocalLease } from '../engine/tenant-lease';
import { RECORD_CSV_COLUMNS, RUN_CSV_COLUMNS, historyTable, recordCsv, runCsv, runsTable } from './output';

/**
 * Reading the audit trail: `d4ai records` (a subscription's records, or one run's across
 * subscriptions) and `d4ai runs` (recent sweeps and watch passes, from their summary rows).
 * Newest first; nothing here calls Azure Resource Manager.
 */

export interface RecordsOptions {
  subscription?: string;
  run?: string;
  since?: string;
  limit: string;
}

export async function recordsCommand(ctx: CliContext, options: RecordsOptions): Promise<number> {
  const n = parseLimit(options.limit);
  const since = options.since !== undefined ? parseSince(options.since) : undefined;
  if (!options.subscription && !options.run) throw new UsageError(await whichRecords(ctx));
  const subscription = options.subscription !== undefined ? requireGuid(options.subscription, '--subscription') : undefined;
  const run = options.run !== undefined ? requireRunId(options.run) : undefined;
  const { records, problems } = subscription
    ? await ctx.ports.records.list(subscription, n, { ...(since ? { since } : {}), ...(run ? { run } : {}) })
    : await ctx.ports.records.listRun(run ?? '', n, since ? { since } : {});
  for (const problem of problems) ctx.progress(`warning: ${problem}`);
  printRecords(ctx, records, `No records for ${subscription ?? `run ${run ?? ''}`} in ${ctx.ports.records.description}.`);
  return EXIT.ok;
}

export async function runsCommand(ctx: CliContext, options: { since?: string; limit: string }): Promise<number> {
  const n = parseLimit(options.limit);
  const since = options.since !== undefined ? parseSince(options.since) : undefined;
  await settleOrphans(ctx);
  const summaries = await ctx.ports.records.listSummaries(n, since ? { since } : {});
  if (ctx.format === 'json') ctx.out(JSON.stringify(summaries, null, 2));
  else if (ctx.format === 'csv') ctx.out([RUN_CSV_COLUMNS.join(','), ...summaries.map(runCsv)].join('\n'));
  else ctx.out(summaries.length ? runsTable(summaries, ctx.width) : `No sweeps or watch passes in ${ctx.ports.records.description}.`);
  return EXIT.ok;
}

/**
 * Intents whose run died are settled before the runs are listed (reconcile.ts: a pricing read
 * each), so a run that died shows as interrupted with its real outcomes. Without a credential the
 * list is still shown, with a line saying what could not be settled.
 */
async function settleOrphans(ctx: CliContext): Promise<void> {
  try {
    // A pass that died on this machine may have left the lease without leaving an intent.
    await releaseDeadLocalLease(ctx.ports.records, new Date());
    const { records: intents } = await ctx.ports.records.listIntents(1);
    if (intents.length === 0) {
      await summariseDeadPasses(ctx.ports);
      return;
    }
    await ctx.checkIdentity();
    const settled = await reconcileOrphans(ctx.ports);
    await summariseDeadPasses(ctx.ports);
    if (settled.records.length) ctx.progress(`Settled ${settled.records.length} intent(s) left by runs that ended without recording their outcome (read the pricing: ${settled.records.map((r) => `${r.subscriptionId} ${r.outcome}`).join(', ')}).`);
    for (const p of settled.problems) ctx.progress(`warning: the intent on ${p.subscriptionId} could not be settled: ${p.code}: ${escapeControl(p.message)}`);
  } catch (error) {
    ctx.progress(`warning: intents left by interrupted runs could not be settled now: ${escapeControl(error instanceof Error ? error.message : String(error))}`);
  }
}

/** records without a filter: how to find a run id (d4ai runs), with the latest few runs when the store has them. */
async function whichRecords(ctx: CliContext): Promise<string> {
  const hint = 'records needs --subscription <id> or --run <run id> (or both). `d4ai runs` lists recent sweeps and watch passes with their ids; a record\'s run id is in the RUN column of `d4ai records --subscription <id>`.';
  try {
    const latest = await ctx.ports.records.listSummaries(3, {});
    if (!latest.length) return hint;
    const ids = latest.map((s) => `${s.kind === 'sweep-summary' ? s.sweepId : s.watchId} (${s.kind === 'sweep-summary' ? 'sweep' : 'watch'}, ${s.startedAt.slice(0, 16).replace('T', ' ')} UTC)`);
    return `${hint} Latest: ${ids.join('; ')}, e.g. d4ai records --run ${latest[0]?.kind === 'sweep-summary' ? latest[0].sweepId : (latest[0]?.watchId ?? '')}.`;
  } catch {
    return hint;
  }
}

function printRecords(ctx: CliContext, records: readonly RemediationRecord[], none: string): void {
  if (ctx.format === 'json') ctx.out(JSON.stringify(records, null, 2));
  else if (ctx.format === 'csv') ctx.out([RECORD_CSV_COLUMNS.join(','), ...records.map(recordCsv)].join('\n'));
  else ctx.out(records.length ? historyTable(records, ctx.width, ctx.paint) : none);
}

/** Decimal digits only: "1e2", "0x10", " 5" and "5.0" are not a count someone meant. */
export function parseLimit(value: string): number {
  const n = /^[1-9]\d{0,3}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 1000)) throw new UsageError(`--limit must be a whole number from 1 to 1000 in decimal digits, got "${escapeControl(value)}".`);
  return n;
}

/** `--since`: an ISO 8601 date or time (2025-06-01, 2025-06-01T02:00:00Z), or a duration back from now (90m, 24h, 7d). */
export function parseSince(value: string, now: Date = new Date()): Date {
  const duration = /^(\d{1,5})(m|h|d)$/.exec(value);
  if (duration) return new Date(now.getTime() - Number(duration[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 'm' | 'h' | 'd']);
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) {
    const at = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new UsageError(`--since must be an ISO 8601 date or time (2025-06-01, 2025-06-01T02:00:00Z) or a duration such as 90m, 24h or 7d, got "${escapeControl(value)}".`);
}

/** A run id: a record's run id, a sweep id (sweep-2025-06-01, sweep-manual-<guid>) or a watch or revert id. */
export function requireRunId(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/.test(value) || value.includes('..')) {
    throw new UsageError(`--run must be a run id (a GUID, or a sweep id such as sweep-2025-06-01), got "${escapeControl(value)}".`);
  }
  return value;
}
