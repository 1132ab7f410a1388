import { createHash } from 'node:crypto';
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { Mode } from '../shared/config';
import { isWrite } from '../shared/domain/decide';
import type { Actor, GovernContext, PolicyView } from '../shared/domain/model';
import { logDecision, logSweepSummary, logWatchSummary } from '../shared/engine/decision-log';
import { errorInfo } from '../shared/engine/errors';
import { recordOfPass } from '../shared/engine/pass-record';
import { storeWithRetry } from '../shared/engine/govern';
import { planPage, eachLimited, runScope, scopeFromConfig, type PassProblem } from '../shared/engine/snapshot-pass';
import { TENANT_PASS_LEASE, takeTenantLease } from '../shared/engine/tenant-lease';
import { Tally, type TallyCounts } from '../shared/engine/tally';
import { MAX_RESOURCE_IDS, type RunScope, type RunSummaryRecord } from '../shared/records/record';
import { LOG_MESSAGES } from '../shared/observability/log';
import { activityError, type Candidate } from './govern-run';
import { FN } from './names';
import { effectiveConfig, flushTelemetry, functionsConfig, loggerFor, portsFor } from './runtime';

/**
 * The sweep's I/O, a page of the tenant at a time (see sweep-tenant.orchestrator.ts):
 *  - readSweepPolicy: the tenant's Defender-for-AI policy, once per sweep;
 *  - sweepPage: one page of at most 1,000 subscriptions from the Resource Graph snapshot, every one
 *    decided here; the records of the decisions that write nothing are stored here, in bounded
 *    parallel batches; the write candidates go back to the orchestration, which fans them out;
 *  - writeRunSummary: the summary row and its log line.
 * A page is idempotent: its records have ids and times fixed by the orchestration, so an activity
 * retry rewrites the same rows instead of adding new ones. Each page renews the tenant-pass lease
 * (taken by whoever started the sweep, for its instance id); the summary gives it back.
 */

export interface ReadSweepPolicyInput {
  sweepId: string;
}

export interface SweepPageInput {
  sweepId: string;
  trigger: 'sweep' | 'manual';
  dryRun: boolean;
  note?: string;
  actor?: Actor;
  skipToken?: string;
  policy: PolicyView;
  /** Writes the sweep nominated on earlier pages (D4AI_MAX_ENABLEMENTS_PER_RUN holds across pages). */
  writesSoFar: number;
  /** The orchestration's time for this page: every record of the page carries it. */
  decidedAt: string;
}

export interface SweepPageResult {
  mode: Mode;
  scope: RunScope;
  /** D4AI_SWEEP_BATCH: children the orchestration runs at once. */
  batch: number;
  /** Counts of the records this page stored (the candidates' records are their children's). */
  counts: TallyCounts;
  /** The subscriptions whose record this page could not store (counted in counts.unrecorded). */
  unrecorded?: PassProblem[];
  candidates: Candidate[];
  writesSoFar: number;
  skipToken?: string;
}

export interface WriteRunSummaryInput {
  summary: RunSummaryRecord;
}

/** Record writes in flight at once while a page stores its records. */
export const RECORD_WRITE_CONCURRENCY = 16;

export async function readSweepPolicy(input: unknown, context: InvocationContext): Promise<PolicyView> {
  const { sweepId } = input as ReadSweepPolicyInput;
  const config = functionsConfig();
  const logger = loggerFor(context, { sweepId });
  try {
    return await portsFor(config, logger).snapshot.policy(scopeFromConfig(config), config.policyAssignmentId);
  } catch (error) {
    const info = errorInfo(error);
    logger.error(LOG_MESSAGES.armError, { errorCode: info.code, errorMessage: info.message });
    throw activityError(info);
  }
}

export async function sweepPage(input: unknown, context: InvocationContext): Promise<SweepPageResult> {
  const args = input as SweepPageInput;
  const config = effectiveConfig(args.dryRun === true);
  const logger = loggerFor(context, { sweepId: args.sweepId });
  const ports = portsFor(config, logger);
  const scope = scopeFromConfig(config);
  const decidedAt = new Date(args.decidedAt);
  try {
    await takeTenantLease(ports.records, args.sweepId, new Date());
    const page = await ports.snapshot.page(scope, args.skipToken);
    const budget = { used: args.writesSoFar };
    // Planned with the same step as every tenant pass: write candidates refreshed from ARM (with
    // their extension back-off), and every subscription with Azure OpenAI / AI Services accounts
    // with those accounts (opt-outs, content filters), bounded in parallel.
    const nominated = await planPage(ports, config, page.entries, args.policy, budget, { inspectAll: true, concurrency: config.sweepConcurrency });
    const tally = new Tally();
    tally.subscriptions = nominated.length;
    const candidates: Candidate[] = [];
    const toRecord = nominated.filter((n) => {
      if (!(isWrite(n.nomination.decision) && config.mode === 'enforce')) return true;
      candidates.push({ context: forHistory(n.context), nomination: n.nomination });
      return false;
    });
    const unrecorded: PassProblem[] = [];
    await eachLimited(toRecord, RECORD_WRITE_CONCURRENCY, async ({ entry, context: governed, nomination }) => {
      const subscriptionId = entry.subscription.subscriptionId;
      const record = recordOfPass({
        request: {
          subscriptionId,
          trigger: args.trigger,
          ...(args.actor ? { actor: args.actor } : {}),
          runId: stableRunId(args.sweepId, subscriptionId),
          detail: { sweepId: args.sweepId, ...(args.note ? { note: args.note } : {}) },
        },
        mode: config.mode,
        context: governed,
        decision: nomination.decision,
        dryRunRequested: args.dryRun === true,
        startedAt: decidedAt,
        finishedAt: decidedAt,
      });
      tally.add(record);
      try {
        await storeWithRetry(ports, () => ports.records.write(record));
      } catch (error) {
        // One record that cannot be stored does not stop the page (the rest of the tenant): it is
        // logged at error level with RecordWriteFailed, which the alert catches, and counted.
        const info = errorInfo(error);
        logDecision(logger, record, { errorCode: `RecordWriteFailed:${info.code}`, errorMessage: info.message });
        tally.unrecorded++;
        unrecorded.push({ subscriptionId, code: `RecordWriteFailed:${info.code}`, message: info.message });
        return;
      }
      logDecision(logger, record);
    });
    return {
      mode: config.mode,
      scope: runScope(scope),
      batch: config.sweepBatch,
      counts: tally.counts(),
      candidates,
      writesSoFar: budget.used,
      ...(page.skipToken ? { skipToken: page.skipToken } : {}),
      ...(unrecorded.length ? { unrecorded: unrecorded.slice(0, 50) } : {}),
    };
  } catch (error) {
    const info = errorInfo(error);
    logger.error(LOG_MESSAGES.armError, { errorCode: info.code, errorMessage: info.message });
    // The orchestration's RetryOptions run the page again; its records are rewritten, not added.
    throw activityError(info);
  }
}

export async function writeRunSummary(input: unknown, context: InvocationContext): Promise<{ written: true }> {
  const { summary } = input as WriteRunSummaryInput;
  const id = summary.kind === 'sweep-summary' ? { sweepId: summary.sweepId } : { watchId: summary.watchId };
  const ports = portsFor(functionsConfig(), loggerFor(context, id));
  try {
    await ports.records.writeRunSummary(summary);
  } catch (error) {
    throw activityError(errorInfo(error));
  }
  if (summary.kind === 'sweep-summary') await ports.records.releaseLease(TENANT_PASS_LEASE, summary.sweepId).catch(() => undefined);
  // Logged once the row exists, so a retried write does not log the pass twice.
  if (summary.kind === 'sweep-summary') logSweepSummary(ports.logger, summary);
  else logWatchSummary(ports.logger, summary);
  await flushTelemetry();
  return { written: true };
}

/** A run id fixed by the sweep and the subscription, so a retried page writes the same rows. */
export function stableRunId(sweepId: string, subscriptionId: string): string {
  const hex = createHash('sha256').update(`${sweepId}|${subscriptionId.toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A candidate's context as it travels through the orchestration history: the first AI resources and their count. */
function forHistory(context: GovernContext): GovernContext {
  if (context.aiResources.length <= MAX_RESOURCE_IDS) return context;
  return { ...context, aiResources: context.aiResources.slice(0, MAX_RESOURCE_IDS), aiResourceTotal: context.aiResourceTotal ?? context.aiResources.length };
}

df.app.activity(FN.readSweepPolicy, { handler: readSweepPolicy });
df.app.activity(FN.sweepPage, { handler: sweepPage });
df.app.activity(FN.writeRunSummary, { handler: writeRunSummary });
