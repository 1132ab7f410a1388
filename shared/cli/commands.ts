import * as fs from 'node:fs/promises';
import { isGuid } from '../config';
import { governSubscription, type WriteBudget } from '../engine/govern';
import { sweep } from '../engine/sweep';
import { parseEvents, type EventOutcome } from '../events';
import type { RemediationRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { recordsTable, sweepText } from './output';

/** The d4ai commands; each returns its exit code. */

export async function governCommand(ctx: CliContext, subscriptionId: string): Promise<number> {
  const id = requireGuid(subscriptionId, '--subscription');
  const { record } = await governSubscription(ctx.ports, ctx.config, { subscriptionId: id, trigger: 'cli' });
  emitRecords(ctx, [record]);
  return exitFor([record]);
}

export async function sweepCommand(ctx: CliContext): Promise<number> {
  if (!ctx.json) ctx.err(`Sweeping every visible subscription (${ctx.config.mode} mode); records go to ${ctx.ports.records.description}.`);
  const summary = await sweep(ctx.ports, ctx.config, {
    trigger: 'cli',
    onProgress: (done, total, record) => {
      const what = record ? `${record.subscriptionId} ${record.action}/${record.outcome}` : 'not recorded';
      ctx.err(`[${done}/${total}] ${what}`);
    },
  });
  if (ctx.json) {
    ctx.out(JSON.stringify(summary, null, 2));
  } else {
    ctx.out(recordsTable(summary.records));
    ctx.out('');
    ctx.out(sweepText(summary));
  }
  return summary.unrecorded.length > 0 ? EXIT.failed : exitFor(summary.records);
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
