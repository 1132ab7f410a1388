import * as fs from 'node:fs/promises';
import { isGuid } from '../config';
import { governSubscription, type WriteBudget } from '../engine/govern';
import { sweep, watchPass, type PassProblem } from '../engine/snapshot-pass';
import { parseEvents, type EventOutcome } from '../events';
import type { RemediationRecord, RunSummaryRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { recordsTable, runSummaryText } from './output';

/** The d4ai commands; each returns its exit code. */

export async function governCommand(ctx: CliContext, subscriptionId: string): Promise<number> {
  const id = requireGuid(subscriptionId, '--subscription');
  const { record } = await governSubscription(ctx.ports, ctx.config, { subscriptionId: id, trigger: 'cli' });
  emitRecords(ctx, [record]);
  return exitFor([record]);
}

/**
 * Sweep and watch print as they go: `--json` streams one JSON document,
 * `{"records": [<record>, ...], "summary": <summary>, "unrecorded": [...]}`, its records written as
 * they are stored (a 10,000-subscription sweep never holds 10,000 records); the table is printed
 * at the end from small rows.
 */
export async function sweepCommand(ctx: CliContext): Promise<number> {
  if (!ctx.json) ctx.err(`Sweeping ${scopeText(ctx)} (${ctx.config.mode} mode) from a Resource Graph snapshot; records go to ${ctx.ports.records.description}.`);
  const printer = recordPrinter(ctx);
  const { summary, unrecorded } = await sweep(ctx.ports, ctx.config, {
    trigger: 'cli',
    onRecord: printer.record,
    onProgress: (decided) => {
      if (!ctx.json) ctx.err(`[${decided}] subscriptions decided`);
    },
  });
  printer.end(summary, unrecorded);
  return unrecorded.length > 0 || summary.failed > 0 ? EXIT.failed : EXIT.ok;
}

/** One tenant watch pass: records only for the subscriptions it acted on; the same output and exit codes as sweep. */
export async function watchOnceCommand(ctx: CliContext): Promise<number> {
  if (!ctx.json) ctx.err(`Watching ${scopeText(ctx)} (${ctx.config.mode} mode): acting only where a write is due; records go to ${ctx.ports.records.description}.`);
  const printer = recordPrinter(ctx);
  const { summary, unrecorded } = await watchPass(ctx.ports, ctx.config, { trigger: 'cli', onRecord: printer.record });
  printer.end(summary, unrecorded);
  return unrecorded.length > 0 || summary.failed > 0 ? EXIT.failed : EXIT.ok;
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

function recordPrinter(ctx: CliContext): { record: (r: RemediationRecord) => void; end: (summary: RunSummaryRecord, unrecorded: PassProblem[]) => void } {
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
    end: (summary, unrecorded) => {
      if (ctx.json) {
        ctx.out(`\n], "summary": ${JSON.stringify(summary)}, "unrecorded": ${JSON.stringify(unrecorded)}}`);
        return;
      }
      if (rows.length) ctx.out(recordsTable(rows));
      ctx.out('');
      ctx.out(runSummaryText(summary, unrecorded));
    },
  };
}

export async function eventCommand(ctx: CliContext, file: string): Promise<number> {
  const body = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8').catch((e: Error) => {
    throw new UsageError(`Cannot read event file ${file}: ${e.message}`);
  });
  let outcomes: EventOutcome[];
  try {
    outcomes = await parseEvents(body, { ...(ctx.config.policyAssignmentId ? { policyAssignmentId: ctx.config.policyAssignmentId } : {}) });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const records: RemediationRecord[] = [];
  const ignored: Array<{ eventId?: string; eventType?: string; reason: string }> = [];
  // Events in one delivery may name the same subscription; govern each once, in order.
  const seen = new Set<string>();
  const budget: WriteBudget = { used: 0 };
  for (const outcome of outcomes) {
    if (outcome.kind !== 'govern') {
      const reason = outcome.kind === 'validation' ? 'Subscription validation handshake (answered by the Functions app, not the CLI).' : outcome.reason;
      ignored.push({ ...(outcome.eventId ? { eventId: outcome.eventId } : {}), ...(outcome.kind === 'ignored' && outcome.eventType ? { eventType: outcome.eventType } : {}), reason });
      continue;
    }
    if (seen.has(outcome.request.subscriptionId)) continue;
    seen.add(outcome.request.subscriptionId);
    records.push((await governSubscription(ctx.ports, ctx.config, outcome.request, { budget })).record);
  }
  if (ctx.json) {
    ctx.out(JSON.stringify({ records, ignored }, null, 2));
  } else {
    if (records.length) ctx.out(recordsTable(records));
    for (const i of ignored) ctx.out(`ignored ${i.eventType ?? 'event'} ${i.eventId ?? ''}: ${i.reason}`);
  }
  return exitFor(records);
}

export async function recordsCommand(ctx: CliContext, subscriptionId: string, limit: string): Promise<number> {
  const id = requireGuid(subscriptionId, '--subscription');
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, got "${limit}".`);
  const records = await ctx.ports.records.list(id, n);
  if (ctx.json) ctx.out(JSON.stringify(records, null, 2));
  else ctx.out(records.length ? recordsTable(records) : `No records for ${id} in ${ctx.ports.records.description}.`);
  return EXIT.ok;
}

function emitRecords(ctx: CliContext, records: RemediationRecord[]): void {
  if (ctx.json) ctx.out(JSON.stringify(records.length === 1 ? records[0] : records, null, 2));
  else {
    ctx.out(recordsTable(records));
    for (const r of records) for (const w of r.warnings) ctx.out(`warning: ${w}`);
    ctx.err(`Records written to ${ctx.ports.records.description}.`);
  }
}

function exitFor(records: readonly RemediationRecord[]): number {
  return records.some((r) => r.outcome === 'failed') ? EXIT.failed : EXIT.ok;
}

function requireGuid(value: string, flag: string): string {
  if (!isGuid(value)) throw new UsageError(`${flag} must be a subscription id (GUID), got "${value}".`);
  return value.toLowerCase();
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
