import * as fs from 'node:fs/promises';
import type { GraphScope } from '../azure/resource-graph.adapter';
import { isWrite } from '../domain/decide';
import { governSubscription, type GovernResult, type WriteBudget } from '../engine/govern';
import { planOf, type Plan } from '../domain/plan';
import { buildSavedPlan, DEFAULT_PLAN_TTL_MS, MAX_PLAN_TTL_MS, type SavedPlan } from '../domain/saved-plan';
import { previewPass, runScope, scopeFromConfig, sweep, watchPass, type PassProblem } from '../engine/snapshot-pass';
import { PassInProgress } from '../engine/tenant-lease';
import { MAX_EVENT_PAYLOAD_BYTES, parseEvents, type EventOutcome } from '../events';
import { escapeControl } from '../observability/redact';
import type { RemediationRecord, RunSummaryRecord } from '../records/record';
import { EXIT, UsageError, type CliContext } from './context';
import { requireGuid } from './usage-error';
import { confirmPlan } from './confirm';
import { ErrorInDocument, errorDocument } from './run';
import { scopeText } from '../domain/scope-text';
import { reconcileOrphans } from '../engine/reconcile';
import { applyRetention } from './records.command';
import { RECORD_CSV_COLUMNS, byName, notable, recordCsv, recordsTable, restLine, runSummaryText } from './output';

/**
 * The d4ai commands that decide: govern, sweep, watch, event. Each returns its exit code.
 * Commands that decide first prove the records store accepts writes and that a credential gets a
 * token: a store that cannot keep records stops the run before any ARM call (exit 1, store and
 * setting named), a missing credential is a setup problem (exit 2, inner causes shown) and leaves
 * no record claiming a decision. An enforcing run on a terminal shows its plan and asks first, and
 * applies exactly the plan confirmed; --yes does not ask; off a terminal it needs --yes (or a saved
 * plan, d4ai apply), or it is refused before anything is read.
 */

async function preflight(ctx: CliContext): Promise<void> {
  await ctx.ports.records.ensureWritable();
  await ctx.checkIdentity();
}

export async function governCommand(ctx: CliContext, subscriptionId: string, plan: PlanOutput = {}): Promise<number> {
  const id = requireGuid(subscriptionId, '--subscription');
  const out = planOutput(ctx, plan);
  await preflight(ctx);
  // An intent a dead run left on this subscription is settled first, so this decision reads a settled history.
  await reconcileOrphans(ctx.ports, { subscriptionId: id });
  const collected: Plan[] = [];
  const review = needsConfirmation(ctx) ? reviewOne(ctx, { subscriptions: [id] }) : undefined;
  const result = await governSubscription(ctx.ports, ctx.config, { subscriptionId: id, trigger: 'cli' }, { onPlan: (p) => collected.push(p), ...(review ? { review } : {}) });
  if (out) await writePlanFile(ctx, out, 'govern', { subscriptions: [id] }, 1, collected);
  emitResults(ctx, [result]);
  return withDetail(ctx, exitFor([result]), [result.record]);
}

/** `--out FILE [--expires-in D]`: where a dry run saves its plan, checked before anything runs. */
export interface PlanOutput {
  out?: string;
  expiresIn?: string;
}

function planOutput(ctx: CliContext, plan: PlanOutput): { file: string; ttlMs: number } | undefined {
  if (plan.out === undefined) {
    if (plan.expiresIn !== undefined) throw new UsageError('--expires-in goes with --out FILE (the saved plan it dates).');
    return undefined;
  }
  if (!plan.out.trim()) throw new UsageError('--out needs a file name, e.g. --out plan.json.');
  if (ctx.config.mode !== 'report') throw new UsageError('--out saves the plan of a dry run: add --dry-run (the plan is then applied with d4ai apply FILE).');
  const ttlMs = plan.expiresIn === undefined ? DEFAULT_PLAN_TTL_MS : parseDuration(plan.expiresIn, '--expires-in');
  if (ttlMs > MAX_PLAN_TTL_MS || ttlMs < 60_000) throw new UsageError(`--expires-in must be from 1m to 7d, got "${escapeControl(plan.expiresIn ?? '')}".`);
  return { file: plan.out, ttlMs };
}

async function writePlanFile(ctx: CliContext, out: { file: string; ttlMs: number }, command: SavedPlan['command'], scope: SavedPlan['scope'], subscriptions: number, plans: readonly Plan[]): Promise<void> {
  const saved = buildSavedPlan({ command, scope, config: ctx.config, subscriptions, plans, now: ctx.ports.clock(), ttlMs: out.ttlMs });
  await fs.writeFile(out.file, `${JSON.stringify(saved, null, 2)}\n`, 'utf8');
  ctx.progress(`Saved the plan to ${out.file}: ${saved.counts.writes} write(s) of ${saved.counts.subscriptions} subscription(s), digest ${saved.digest}, expires ${saved.expiresAt}. Review it, then: d4ai apply ${out.file}`, { planFile: out.file, digest: saved.digest });
}

/** The review of one plan on the terminal: shown, asked, and its digest when confirmed. */
function reviewOne(ctx: CliContext, scope: SavedPlan['scope']): (plan: Plan) => Promise<{ digest: string } | false> {
  return async (plan) => ((await confirmPlan(ctx, [plan])) ? { digest: confirmedDigest(ctx, 'govern', scope, 1, [plan]) } : false);
}

function confirmedDigest(ctx: CliContext, command: SavedPlan['command'], scope: SavedPlan['scope'], subscriptions: number, plans: readonly Plan[]): string {
  return buildSavedPlan({ command, scope, config: ctx.config, subscriptions, plans, now: ctx.ports.clock() }).digest;
}

/** `--subscription a,b,c` on sweep and watch: a scope of exactly those subscriptions. */
export function parseScope(ctx: CliContext, subscriptions: string | undefined): GraphScope {
  if (subscriptions === undefined) return scopeFromConfig(ctx.config);
  const ids = [...new Set(subscriptions.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  if (ids.length === 0) throw new UsageError('--subscription needs one or more subscription ids (GUIDs), separated by commas.');
  for (const id of ids) requireGuid(id, '--subscription');
  return { subscriptions: ids };
}

/**
 * Sweep and watch print as they go: `--output json` streams one JSON document,
 * `{"records": [<record>, ...], "summary": <summary>, "summaryStored": true, "unrecorded": [...]}`,
 * its records written as they are stored (a 10,000-subscription sweep never holds 10,000 records);
 * `--output csv` streams one line per record; the table is printed at the end, sorted by name.
 */
export async function sweepCommand(ctx: CliContext, subscriptions?: string, plan: PlanOutput = {}): Promise<number> {
  const scope = parseScope(ctx, subscriptions);
  const out = planOutput(ctx, plan);
  await preflight(ctx);
  ctx.progress(`Sweeping ${scopeText(scope)} (${ctx.config.mode} mode) from a Resource Graph snapshot; records go to ${ctx.ports.records.description}.`, { scope });
  const confirmed = needsConfirmation(ctx) ? await confirmSnapshotPlan(ctx, scope, 'sweep') : undefined;
  if (confirmed === false) return EXIT.failed;
  const printer = recordPrinter(ctx);
  const plans: Plan[] = [];
  const looked = lookedAt(scope);
  const { summary, unrecorded, summaryStored } = await printer.during(
    sweep(ctx.ports, ctx.config, { trigger: 'cli', scope, onRecord: printer.record, onProgress: pageProgress(ctx), onLookedAt: looked.add, signal: ctx.signal, ...(out ? { onPlan: (p: Plan) => void plans.push(p) } : {}), ...(confirmed ? { confirmed } : {}) }),
  );
  if (out && !ctx.signal.aborted) await writePlanFile(ctx, out, 'sweep', runScope(scope), summary.subscriptions, plans);
  const code = printer.end(summary, unrecorded, summaryStored);
  if (snapshotRead(ctx, unrecorded)) warnUnmatched(ctx, scope, looked.ids);
  if (!ctx.signal.aborted) await applyRetention(ctx);
  return code;
}

/**
 * Which of the `--subscription` ids a pass looked at (lower case), collected from its onLookedAt.
 * Only those are kept: a pass over the whole scope keeps nothing, so memory does not grow with the
 * tenant (50,000 ids would be about 5 MiB for a warning that only explicit ids can need).
 */
function lookedAt(scope: GraphScope): { ids: Set<string>; add: (subscriptionIds: readonly string[]) => void } {
  const wanted = new Set((scope.subscriptions ?? []).map((id) => id.toLowerCase()));
  const ids = new Set<string>();
  return {
    ids,
    add: (subscriptionIds) => {
      for (const id of subscriptionIds) if (wanted.has(id.toLowerCase())) ids.add(id.toLowerCase());
    },
  };
}

/**
 * Whether the pass read its whole snapshot: only then does an id it did not look at mean the
 * snapshot has no such subscription (an interrupted pass or a failed snapshot read stopped early).
 */
function snapshotRead(ctx: CliContext, unrecorded: readonly PassProblem[]): boolean {
  return !ctx.signal.aborted && !unrecorded.some((p) => p.subscriptionId === '*');
}

/** `--subscription` ids the snapshot did not have: said, rather than a silent run over nothing. */
export function warnUnmatched(ctx: CliContext, scope: GraphScope, seen: ReadonlySet<string>): void {
  for (const id of scope.subscriptions ?? []) {
    if (!seen.has(id.toLowerCase())) ctx.progress(`warning: --subscription ${id} matched nothing in scope: the Resource Graph snapshot has no such subscription visible to this identity (check the id, and that the identity has Reader on it).`, { unmatched: id });
  }
}

/** One tenant watch pass: records only for the subscriptions it acted on; the same output and exit codes as sweep. */
export async function watchOnceCommand(ctx: CliContext, subscriptions?: string, confirm = true, plan: PlanOutput = {}): Promise<number> {
  const scope = parseScope(ctx, subscriptions);
  const out = planOutput(ctx, plan);
  await preflight(ctx);
  ctx.progress(`Watching ${scopeText(scope)} (${ctx.config.mode} mode): acting only where a write is due; records go to ${ctx.ports.records.description}.`, { scope });
  const confirmed = confirm && needsConfirmation(ctx) ? await confirmSnapshotPlan(ctx, scope, 'watch') : undefined;
  if (confirmed === false) return EXIT.failed;
  const printer = recordPrinter(ctx);
  const plans: Plan[] = [];
  // Not the printed records: a watch prints only what it acts on, and an id in scope that needs nothing is no typo.
  const looked = lookedAt(scope);
  const { summary, unrecorded, summaryStored } = await printer.during(
    watchPass(ctx.ports, ctx.config, { trigger: 'cli', scope, onRecord: printer.record, onProgress: pageProgress(ctx, 'looked at'), onLookedAt: looked.add, signal: ctx.signal, ...(out ? { onPlan: (p: Plan) => void plans.push(p) } : {}), ...(confirmed ? { confirmed } : {}) }),
  );
  if (out) await writePlanFile(ctx, out, 'watch', runScope(scope), summary.subscriptions, plans);
  const code = printer.end(summary, unrecorded, summaryStored);
  if (snapshotRead(ctx, unrecorded)) warnUnmatched(ctx, scope, looked.ids);
  return code;
}

/** Watch passes every `interval` until interrupted (SIGINT/SIGTERM), for running the watch outside Functions. */
export async function watchLoopCommand(ctx: CliContext, interval: string, signal: AbortSignal, subscriptions?: string): Promise<number> {
  const ms = parseInterval(interval);
  if (needsConfirmation(ctx)) {
    // A loop acts unattended: it is started with --yes (or in report mode), never by a question per pass.
    throw new UsageError('watch --interval in enforce mode on a terminal needs --yes (it writes on every pass without asking), or --dry-run.');
  }
  let worst: number = EXIT.ok;
  while (!signal.aborted) {
    try {
      worst = Math.max(worst, await watchOnceCommand(ctx, subscriptions, false));
    } catch (error) {
      // A sweep is running: this pass is skipped (the sweep covers every subscription), the loop goes on.
      if (!(error instanceof PassInProgress)) throw error;
      ctx.progress(`Watch pass skipped: ${error.message}`);
    }
    ctx.progress(`Next watch pass in ${interval} (Ctrl-C to stop).`);
    await sleepUnless(ms, signal);
  }
  return worst;
}

export function parseInterval(value: string): number {
  const ms = parseDuration(value, '--interval');
  if (!(ms >= 30_000 && ms <= 24 * 3_600_000)) throw new UsageError(`--interval must be a duration from 30s to 24h such as 5m, 90s or 1h, got "${escapeControl(value)}".`);
  return ms;
}

/** "90s", "5m", "24h", "7d" in milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag} must be a duration such as 90s, 5m, 24h or 7d, got "${escapeControl(value)}".`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  // Interrupted during the pass: no wait at all (an abort listener added now would never fire).
  if (signal.aborted) return Promise.resolve();
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

/**
 * Nothing is written that nobody approved. An enforcing run asks the person at the terminal and
 * applies exactly the plan they confirmed; --yes is the approval of a script or pipeline; a saved
 * plan (d4ai apply) is its own. Off a terminal without --yes the run is refused (exit 2, as
 * Terraform refuses an apply without -auto-approve), and so is one whose question could not be
 * seen (stderr redirected).
 */
export function needsConfirmation(ctx: CliContext): boolean {
  if (ctx.config.mode !== 'enforce' || ctx.yes) return false;
  if (ctx.attended && !ctx.interactive) {
    throw new UsageError('An enforcing run started from a terminal asks on stderr before it writes, and stderr is redirected: add --yes to write without asking, or --dry-run to see the plan.');
  }
  if (!ctx.interactive) {
    throw new UsageError('An enforcing run off a terminal writes only when approved: add --yes, or save a plan with --dry-run --out plan.json and apply it with d4ai apply plan.json (or run with --dry-run).');
  }
  return true;
}

/** The confirmed plans (applied exactly by the pass that follows), or false when the answer was no. */
async function confirmSnapshotPlan(ctx: CliContext, scope: GraphScope, command: 'sweep' | 'watch'): Promise<{ plans: ReadonlyMap<string, Plan>; digest: string } | false> {
  ctx.progress('Planning: every subscription decided on the snapshot, the writes refreshed from ARM (nothing is written)...');
  const { subscriptions, writes } = await previewPass(ctx.ports, ctx.config, { scope, onProgress: pageProgress(ctx, 'planned') });
  const plans = writes.map((w) => planOf(w.context, w.nomination.decision, ctx.ports.clock()));
  if (!(await confirmPlan(ctx, plans))) return false;
  return { plans: new Map(plans.map((p) => [p.subscriptionId, p])), digest: confirmedDigest(ctx, command, runScope(scope), subscriptions, plans) };
}

/** After each page: how many subscriptions so far, of how many, elapsed, and an estimate of what is left. */
export function pageProgress(ctx: CliContext, verb = 'decided'): (done: number, total?: number) => void {
  return (done, total) => {
    const elapsed = ctx.elapsedMs();
    const left = total && done > 0 && total > done ? Math.round(((total - done) * elapsed) / done / 1000) : undefined;
    const of = total ? `/${total}` : '';
    ctx.progress(`[${done}${of}] subscriptions ${verb}, ${Math.round(elapsed / 1000)} s elapsed${left !== undefined ? `, about ${left} s left` : ''}`, { decided: done, ...(total ? { total } : {}) });
  };
}

interface RecordPrinter {
  record: (r: RemediationRecord) => void;
  /** The pass, awaited: if it fails once the JSON document is open, the document is closed with the error in it. */
  during: <T>(pass: Promise<T>) => Promise<T>;
  /** Prints the end (table, summary) and returns the exit code. */
  end: (summary: RunSummaryRecord, unrecorded: PassProblem[], summaryStored: boolean) => number;
}

/**
 * Streams a pass's records. The JSON document and the CSV header start with the first record (or
 * at the end), so a pass that fails before any record (the tenant lease is taken, the snapshot
 * cannot be read) leaves stdout to runCommand's error document, and one that fails after closes
 * its own document with `"error"`: stdout is always one JSON document.
 */
function recordPrinter(ctx: CliContext): RecordPrinter {
  const rows: RemediationRecord[] = [];
  let opened = false;
  const open = (): void => {
    if (opened) return;
    opened = true;
    if (ctx.format === 'json') ctx.write('{"records": [');
    if (ctx.format === 'csv') ctx.out(RECORD_CSV_COLUMNS.join(','));
  };
  let first = true;
  return {
    record: (record) => {
      if (ctx.changesOnly && !changes(record)) return;
      open();
      if (ctx.format === 'json') {
        ctx.write(`${first ? '\n' : ',\n'}${JSON.stringify(record)}`);
        first = false;
      } else if (ctx.format === 'csv') {
        ctx.out(recordCsv(record));
      } else {
        rows.push(record);
      }
    },
    during: async (pass) => {
      try {
        return await pass;
      } catch (error) {
        if (!opened || ctx.format !== 'json') throw error;
        ctx.out(`\n], "error": ${JSON.stringify(errorDocument(error))}}`);
        throw new ErrorInDocument(error);
      }
    },
    end: (summary, unrecorded, summaryStored) => {
      open();
      if (ctx.format === 'json') {
        ctx.out(`\n], "summary": ${JSON.stringify(summary)}, "summaryStored": ${summaryStored}, "unrecorded": ${JSON.stringify(unrecorded)}}`);
      } else if (ctx.format === 'csv') {
        ctx.progress(runSummaryText(summary, unrecorded));
        if (!summaryStored) ctx.progress(`NOT RECORDED: this summary could not be stored in ${ctx.ports.records.description}.`);
      } else {
        // By default the rows that need a look (changes, failures, warnings), and one line for the rest; --all shows every row.
        const shown = ctx.all ? rows : rows.filter(notable);
        if (shown.length) ctx.out(recordsTable(shown.sort(byName), ctx.width, ctx.paint));
        if (shown.length < rows.length) ctx.out(`${shown.length ? '\n' : ''}${restLine(rows.filter((r) => !notable(r)))}`);
        ctx.out('');
        ctx.out(runSummaryText(summary, unrecorded));
        if (!summaryStored) ctx.out(`  NOT RECORDED: this summary could not be stored in ${ctx.ports.records.description}.`);
      }
      if (unrecorded.length > 0 || summary.failed > 0 || !summaryStored) return EXIT.failed;
      return ctx.detailedExitCode && pendingIn(summary) ? EXIT.changes : EXIT.ok;
    },
  };
}

export async function eventCommand(ctx: CliContext, file: string): Promise<number> {
  // The same approval as govern: refused off a terminal without --yes, asked per plan on one.
  const review = needsConfirmation(ctx) ? reviewOne(ctx, {}) : undefined;
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
  if (outcomes.some((o) => o.kind === 'govern')) await preflight(ctx);
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
    results.push(await governSubscription(ctx.ports, ctx.config, outcome.request, { budget, ...(review ? { review } : {}) }));
  }
  if (ctx.format === 'json') {
    const records = results.map((r) => r.record).filter((r) => !ctx.changesOnly || changes(r));
    ctx.out(JSON.stringify({ records, ignored, unrecorded: unrecordedOf(results) }, null, 2));
  } else {
    if (results.length) emitResults(ctx, results);
    for (const i of ignored) ctx.out(escapeControl(`${i.malformed ? 'malformed' : 'ignored'} ${i.eventType ?? 'event'} ${i.eventId ?? ''}: ${i.reason}`));
  }
  const failed = exitFor(results);
  // Input that is broken is a usage error; events that are simply not for us are fine.
  return failed !== EXIT.ok ? failed : ignored.some((i) => i.malformed) ? EXIT.usage : withDetail(ctx, EXIT.ok, results.map((r) => r.record));
}

/** A decision that changes a plan (applied, partial or failed while trying), or would in a dry run. */
export function changes(record: RemediationRecord): boolean {
  return record.change !== undefined && record.outcome !== 'no-op' && record.outcome !== 'intent';
}

function unrecordedOf(results: readonly GovernResult[]): PassProblem[] {
  return results.filter((r) => !r.stored).map((r) => ({ subscriptionId: r.record.subscriptionId, ...(r.storeError ?? { code: 'RecordWriteFailed', message: 'The record could not be stored.' }) }));
}

/**
 * Every decision is printed, stored or not; those whose record could not be stored are named.
 * `govern --output json` prints its one record (with `unrecorded` when it was not stored), always:
 * --changes-only filters lists, not the one answer.
 */
function emitResults(ctx: CliContext, results: readonly GovernResult[]): void {
  const unrecorded = unrecordedOf(results);
  const [only] = results;
  if (ctx.format === 'json' && only && results.length === 1) {
    ctx.out(JSON.stringify({ ...only.record, ...(unrecorded.length ? { unrecorded } : {}) }, null, 2));
    return;
  }
  const records = results.map((r) => r.record).filter((r) => !ctx.changesOnly || changes(r));
  if (ctx.format === 'csv') {
    ctx.out([RECORD_CSV_COLUMNS.join(','), ...records.map(recordCsv)].join('\n'));
  } else {
    ctx.out(recordsTable([...records].sort(byName), ctx.width, ctx.paint));
  }
  for (const u of unrecorded) ctx.out(`NOT RECORDED ${u.subscriptionId}: ${u.code} ${escapeControl(u.message)}`);
  if (unrecorded.length < records.length) ctx.progress(`Records written to ${ctx.ports.records.description}.`);
}

/**
 * --detailed-exitcode: 3 when the run leaves changes pending: a dry run's would-be writes, or
 * plans that were not written because they went stale. Errors keep their own code.
 */
export function withDetail(ctx: CliContext, code: number, records: readonly RemediationRecord[]): number {
  if (code !== EXIT.ok || !ctx.detailedExitCode) return code;
  return records.some((r) => r.outcome === 'plan-stale' || (r.outcome === 'dry-run' && isWrite(r))) ? EXIT.changes : EXIT.ok;
}

/** A pass summary that leaves changes pending (dry-run writes, stale plans). */
function pendingIn(summary: RunSummaryRecord): boolean {
  return (summary.byOutcome['dry-run'] ?? 0) > 0 || (summary.byOutcome['plan-stale'] ?? 0) > 0;
}

function exitFor(results: readonly GovernResult[]): number {
  return results.some((r) => r.record.outcome === 'failed' || !r.stored) ? EXIT.failed : EXIT.ok;
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

