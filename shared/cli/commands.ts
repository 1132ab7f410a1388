import * as fs from 'node:fs/promises';
import { isGuid } from '../config';
import { governSubscription, type GovernResult, type WriteBudget } from '../engine/govern';
import { sweep, watchPass, type PassProblem } from '../engine/snapshot-pass';
import { MAX_EVENT_PAYLOAD_BYTES, parseEvents, type EventOutcome } from '../events';
import { escapeControl } from '../observability/redact';
import type { RemediationRecord, RunSummaryRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { recordsTable, runSummaryText } from './output';

/**
 * The d4ai commands; each returns its exit code. Commands that decide first prove the records
 * store accepts writes and that a credential gets a token: a store that cannot keep records stops
 * the run before any ARM call (exit 1, store and setting named), a missing credential is a setup
 * problem (exit 2, inner causes shown) and leaves no record claiming a decision.
 */

async function preflight(ctx: CliContext): Promise<void> {
  await ctx.ports.records.ensureWritable();
  await ctx.checkIdentity();
}

export async function governCommand(ctx: CliContext, subscriptionId: string): Promise<number> {
  const id = requireGuid(subscriptionId, '--subscription');
  await preflight(ctx);
  const result = await governSubscription(ctx.ports, ctx.config, { subscriptionId: id, trigger: 'cli' });
  emitResults(ctx, [result]);
  return exitFor([result]);
}

/**
 * Sweep and watch print as they go: `--json` streams one JSON document,
 * `{"records": [<record>, ...], "summary": <summary>, "unrecorded": [...]}`, its records written as
 * they are stored (a 10,000-subscription sweep never holds 10,000 records); the table is printed
 * at the end from small rows.
 */
export async function sweepCommand(ctx: CliContext): Promise<number> {
  await preflight(ctx);
  if (!ctx.json) ctx.err(`Sweeping ${scopeText(ctx)} (${ctx.config.mode} mode) from a Resource Graph snapshot; records go to ${ctx.ports.records.description}.`);
  const printer = recordPrinter(ctx);
  const { summary, unrecorded, summaryStored } = await sweep(ctx.ports, ctx.config, {
    trigger: 'cli',
    onRecord: printer.record,
    onProgress: (decided) => {
      if (!ctx.json) ctx.err(`[${decided}] subscriptions decided`);
    },
  });
  printer.end(summary, unrecorded, summaryStored);
  return unrecorded.length > 0 || summary.failed > 0 || !summaryStored ? EXIT.failed : EXIT.ok;
}

/** One tenant watch pass: records only for the subscriptions it acted on; the same output and exit codes as sweep. */
export async function watchOnceCommand(ctx: CliContext): Promise<number> {
  await preflight(ctx);
  if (!ctx.json) ctx.err(`Watching ${scopeText(ctx)} (${ctx.config.mode} mode): acting only where a write is due; records go to ${ctx.ports.records.description}.`);
  const printer = recordPrinter(ctx);
  const { summary, unrecorded, summaryStored } = await watchPass(ctx.ports, ctx.config, { trigger: 'cli', onRecord: printer.record });
  printer.end(summary, unrecorded, summaryStored);
  return unrecorded.length > 0 || summary.failed > 0 || !summaryStored ? EXIT.failed : EXIT.ok;
}

/** Watch passes every `interval` until interrupted (SIGINT/SIGTERM), for running the watch outside Functions. */
export async function watchLoopCommand(ctx: CliContext, interval: string, signal: AbortSignal): Promise<number> {
  const ms = parseInterval(interval);
  let worst: number = EXIT.ok;
  while (!signal.aborted) {
    worst = Math.max(worst, await watchOnceCommand(ctx));
    if (!ctx.json) ctx.err(`Next watch pass in ${interval} (Ctrl-C to stop).`);
    await sleepUnless(ms, signal);
  }
  return worst;
}

export function parseInterval(value: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(value.trim());
  const ms = match ? Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 30_000 && ms <= 24 * 3_600_000)) throw new UsageError(`--interval must be a duration from 30s to 24h such as 5m, 90s or 1h, got "${value}".`);
  return ms;
}

function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

function scopeText(ctx: CliContext): string {
  return ctx.config.managementGroup ? `management group ${ctx.config.managementGroup}` : 'every subscription the identity can read';
}

function recordPrinter(ctx: CliContext): { record: (r: RemediationRecord) => void; end: (summary: RunSummaryRecord, unrecorded: PassProblem[], summaryStored: boolean) => void } {
  const rows: RemediationRecord[] = [];
  let first = true;
  if (ctx.json) ctx.write('{"records": [');
  return {
    record: (record) => {
      if (ctx.json) {
        ctx.write(`${first ? '\n' : ',\n'}${JSON.stringify(record)}`);
        first = false;
      } else {
        rows.push(record);
      }
    },
    end: (summary, unrecorded, summaryStored) => {
      if (ctx.json) {
        ctx.out(`\n], "summary": ${JSON.stringify(summary)}, "summaryStored": ${summaryStored}, "unrecorded": ${JSON.stringify(unrecorded)}}`);
        return;
      }
      if (rows.length) ctx.out(recordsTable(rows));
      ctx.out('');
      ctx.out(runSummaryText(summary, unrecorded));
      if (!summaryStored) ctx.out(`  NOT RECORDED: this summary could not be stored in ${ctx.ports.records.description}.`);
    },
  };
}

export async function eventCommand(ctx: CliContext, file: string): Promise<number> {
  const body = file === '-' ? await readStdin(MAX_EVENT_PAYLOAD_BYTES) : await readEventFile(file, MAX_EVENT_PAYLOAD_BYTES);
  let outcomes: EventOutcome[];
  try {
    outcomes = await parseEvents(body, { ...(ctx.config.policyAssignmentId ? { policyAssignmentId: ctx.config.policyAssignmentId } : {}) });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const ignored: Array<{ eventId?: string; eventType?: string; reason: string; malformed?: true }> = [];
  const results: GovernResult[] = [];
  // Events in one delivery may name the same subscription; govern each once, in order.
  const seen = new Set<string>();
  const budget: WriteBudget = { used: 0 };
  const governs = outcomes.filter((o) => o.kind === 'govern');
  if (governs.length) await preflight(ctx);
  for (const outcome of outcomes) {
    if (outcome.kind !== 'govern') {
      const reason = outcome.kind === 'validation' ? 'Subscription validation handshake (answered by the Functions app, not the CLI).' : outcome.reason;
      ignored.push({
        ...(outcome.eventId ? { eventId: outcome.eventId } : {}),
        ...(outcome.kind === 'ignored' && outcome.eventType ? { eventType: outcome.eventType } : {}),
        reason,
        ...(outcome.kind === 'ignored' && outcome.malformed ? { malformed: true as const } : {}),
      });
      continue;
    }
    if (seen.has(outcome.request.subscriptionId)) continue;
    seen.add(outcome.request.subscriptionId);
    results.push(await governSubscription(ctx.ports, ctx.config, outcome.request, { budget }));
  }
  const records = results.map((r) => r.record);
  if (ctx.json) {
    ctx.out(JSON.stringify({ records, ignored, unrecorded: unrecordedOf(results) }, null, 2));
  } else {
    if (results.length) emitResults(ctx, results);
    for (const i of ignored) ctx.out(escapeControl(`${i.malformed ? 'malformed' : 'ignored'} ${i.eventType ?? 'event'} ${i.eventId ?? ''}: ${i.reason}`));
  }
  const failed = exitFor(results);
  // Input that is broken is a usage error; events that are simply not for us are fine.
  return failed !== EXIT.ok ? failed : ignored.some((i) => i.malformed) ? EXIT.usage : EXIT.ok;
}

export async function recordsCommand(ctx: CliContext, subscriptionId: string, limit: string): Promise<number> {
  const id = requireGuid(subscriptionId, '--subscription');
  const n = parseLimit(limit);
  const { records, problems } = await ctx.ports.records.list(id, n);
  for (const problem of problems) ctx.err(`warning: ${escapeControl(problem)}`);
  if (ctx.json) ctx.out(JSON.stringify(records, null, 2));
  else ctx.out(records.length ? recordsTable(records) : `No records for ${id} in ${ctx.ports.records.description}.`);
  return EXIT.ok;
}

/** Decimal digits only: "1e2", "0x10", " 5" and "5.0" are not a count someone meant. */
export function parseLimit(value: string): number {
  const n = /^[1-9]\d{0,3}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 1000)) throw new UsageError(`--limit must be a whole number from 1 to 1000 in decimal digits, got "${escapeControl(value)}".`);
  return n;
}

function unrecordedOf(results: readonly GovernResult[]): PassProblem[] {
  return results.filter((r) => !r.stored).map((r) => ({ subscriptionId: r.record.subscriptionId, ...(r.storeError ?? { code: 'RecordWriteFailed', message: 'The record could not be stored.' }) }));
}

/** Every decision is printed, stored or not; those whose record could not be stored are named. */
function emitResults(ctx: CliContext, results: readonly GovernResult[]): void {
  const records = results.map((r) => r.record);
  const unrecorded = unrecordedOf(results);
  if (ctx.json) {
    const [only] = records;
    ctx.out(JSON.stringify(records.length === 1 && only ? { ...only, ...(unrecorded.length ? { unrecorded } : {}) } : records, null, 2));
    return;
  }
  ctx.out(recordsTable(records));
  for (const r of records) for (const w of r.warnings) ctx.out(`warning: ${escapeControl(w)}`);
  for (const u of unrecorded) ctx.out(`NOT RECORDED ${u.subscriptionId}: ${u.code} ${escapeControl(u.message)}`);
  if (unrecorded.length < records.length) ctx.err(`Records written to ${ctx.ports.records.description}.`);
}

function exitFor(results: readonly GovernResult[]): number {
  return results.some((r) => r.record.outcome === 'failed' || !r.stored) ? EXIT.failed : EXIT.ok;
}

function requireGuid(value: string, flag: string): string {
  if (!isGuid(value)) throw new UsageError(`${flag} must be a subscription id (GUID), got "${escapeControl(value)}".`);
  return value.toLowerCase();
}

/** stdin up to `limit` bytes: a larger payload is refused as soon as it passes the limit, never read to the end. */
async function readStdin(limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      process.stdin.destroy();
      throw new UsageError(`The event payload on stdin is over ${limit} bytes; Event Grid never delivers more than 1 MB.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readEventFile(file: string, limit: number): Promise<string> {
  try {
    const stat = await fs.stat(file);
    if (stat.size > limit) throw new UsageError(`Event file ${file} is ${stat.size} bytes; Event Grid never delivers more than 1 MB.`);
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read event file ${file}: ${(error as Error).message}`);
  }
}
