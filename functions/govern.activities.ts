import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { Config, Mode } from '../shared/config';
import type { GovernContext, GovernRequest, TriggerDetail } from '../shared/domain/model';
import { applyPlan, type WriteOutcome } from '../shared/engine/apply';
import { logDecision } from '../shared/engine/decision-log';
import { errorInfo, isTransient } from '../shared/engine/errors';
import { nominate, replanOn, savedPlanOutOfScope, storeWithRetry, type Nomination } from '../shared/engine/govern';
import { planOf, type Plan } from '../shared/domain/plan';
import type { PricingSummary } from '../shared/domain/pricing-summary';
import { loadContext } from '../shared/engine/load-context';
import { LOG_MESSAGES } from '../shared/observability/log';
import { buildRecord, type RemediationRecord } from '../shared/records/record';
import { activityError } from './govern-run';
import { FN } from './names';
import { effectiveConfig, functionsConfig, loggerFor, portsFor } from './runtime';

/**
 * The I/O steps of one governSubscription pass. They translate and delegate to the engine, and
 * they alone read the configuration (the app's own validated settings, never an input):
 *  - planGovern: ARM reads of the subscription + the decision (shared/engine: loadContext, nominate);
 *  - applyPricing: the write path (fresh read, decide again, intent record, PUT, verify:
 *    shared/engine/apply.ts); the intent is stored under the pass's own row, so the outcome
 *    record (writeRecord) replaces it, and no PUT is sent if it cannot be stored;
 *  - writeRecord: the record store, then the decision's log line.
 * The orchestration calls each with retry; what a retry cannot fix is returned as data instead.
 */

export interface ActivityCorrelation {
  runId: string;
  instanceId: string;
}

export interface PlanGovernInput extends ActivityCorrelation {
  subscriptionId: string;
  /** Report mode for this pass (the admin API's dry run); otherwise D4AI_MODE decides. */
  dryRun: boolean;
  /** The trigger's detail: its resource id counts as evidence of an AI resource the list API may not show yet. */
  detail?: TriggerDetail;
}

export type PlanGovernResult =
  | { ok: true; mode: Mode; context: GovernContext; nomination: Nomination }
  | { ok: false; mode: Mode; error: { code: string; message: string } };

export interface ApplyPricingInput extends ActivityCorrelation {
  context: GovernContext;
  nomination: Nomination;
  /** Who asked, and when the pass began: the intent record's identity (ids and trigger detail only, no settings). */
  request: GovernRequest & { runId: string };
  startedAt: string;
  /** A saved plan applied through the admin API: written exactly, or recorded stale (never decided again). */
  reviewed?: { plan: Plan; digest: string };
}

export type ApplyPricingResult = WriteOutcome & { mode: Mode };

export interface WriteRecordInput {
  record: RemediationRecord;
}

function runtimeFor(config: Config, context: InvocationContext, correlation: ActivityCorrelation & { subscriptionId: string }) {
  const logger = loggerFor(context, { subscriptionId: correlation.subscriptionId, runId: correlation.runId, instanceId: correlation.instanceId });
  return { ports: portsFor(config, logger), logger };
}

export async function planGovern(input: unknown, context: InvocationContext): Promise<PlanGovernResult> {
  const args = input as PlanGovernInput;
  const config = effectiveConfig(args.dryRun === true);
  const { ports, logger } = runtimeFor(config, context, args);
  try {
    const loaded = await loadContext(ports, config, args.subscriptionId, args.detail ? { detail: args.detail } : {});
    return { ok: true, mode: config.mode, context: loaded, nomination: nominate(loaded, config, { used: 0 }) };
  } catch (error) {
    const info = errorInfo(error);
    logger.error(LOG_MESSAGES.armError, { errorCode: info.code, errorMessage: info.message });
    // Thrown: the orchestration's RetryOptions try again. Returned: a failed record, no retry storm.
    if (isTransient(error)) throw activityError(info);
    return { ok: false, mode: config.mode, error: info };
  }
}

export async function applyPricing(input: unknown, context: InvocationContext): Promise<ApplyPricingResult> {
  const args = input as ApplyPricingInput;
  const config = functionsConfig();
  const subscriptionId = args.context.subscription.subscriptionId;
  const { ports, logger } = runtimeFor(config, context, { ...args, subscriptionId });
  const plan = args.reviewed?.plan ?? planOf(args.context, args.nomination.decision, new Date(args.startedAt));
  // First: did an earlier attempt of this pass store its intent (and so maybe PUT)?
  const earlier = await earlierIntent(ports, args);
  if (config.mode !== 'enforce') {
    // The app was switched to report mode after the pass was planned: its configuration wins.
    if (!earlier) return { mode: config.mode, plan, ...(plan.before ? { before: plan.before } : {}), notes: ['D4AI_MODE is report now: nothing was written.'] };
    // ...but an earlier attempt may have written (a settings change restarts the host, which is
    // what cuts an activity short): record that, with what is there now.
    const after = await ports.pricing.get(subscriptionId).catch(() => undefined);
    const message = 'D4AI_MODE changed to report after an earlier attempt of this pass stored its intent: its PUT may have gone through; nothing more was written.';
    return { mode: 'enforce', plan, ...(earlier.before ? { before: earlier.before } : {}), applied: { outcome: 'failed', wrote: true, ...(after ? { pricingAfter: after } : {}), error: { code: 'ModeChangedAfterIntent', message }, notes: [] }, notes: [] };
  }
  // A saved plan's subscription that has left D4AI_MANAGEMENT_GROUP since: not written, recorded
  // skip out-of-scope (the same step as the CLI's, shared/engine/govern.ts). Not after an earlier
  // attempt's intent: that attempt may have written, and the write path below finds out.
  const moved = earlier ? undefined : await savedPlanOutOfScope(ports, config, args.context, plan, args.reviewed ? { reviewed: args.reviewed } : {});
  if (moved) return { mode: config.mode, plan: moved.plan, ...(plan.before ? { before: plan.before } : {}), notes: [] };
  // applyPlan never throws for ARM errors (409s start again from a fresh read inside it); a failed
  // read, PUT or read-back is a result the orchestration records, exactly as the CLI does.
  const digest = args.reviewed?.digest;
  const beforePut = async (current: Plan, before: PricingSummary | undefined): Promise<void> => {
    const intent = buildRecord({ request: args.request, mode: config.mode, context: args.context, decision: current.decision, ...(before ? { before } : {}), planBasis: current.basis, ...(digest ? { planDigest: digest } : {}), outcome: 'intent', startedAt: new Date(args.startedAt), finishedAt: new Date() });
    await storeWithRetry(ports, () => ports.records.write(intent));
  };
  // Unattended runs decide again on a fresh read that made their plan stale; a saved plan never is.
  const replan = args.reviewed ? undefined : (fresh: Parameters<typeof replanOn>[1], readAt: Date): Plan => replanOn(args.context, fresh, readAt, config, args.nomination.slot);
  const outcome = await applyPlan(ports, config, plan, { beforePut, ...(replan ? { replan } : {}), ...(earlier ? { earlierAttempt: earlier } : {}) });
  if (outcome.applied?.error) logger.error(LOG_MESSAGES.armError, { errorCode: outcome.applied.error.code, errorMessage: outcome.applied.error.message });
  return { mode: config.mode, ...outcome };
}

/**
 * This pass's own intent, if an earlier attempt of the activity stored one (the host recycled, or
 * the activity timed out, after it): its PUT may have gone through. Read from the pass's own row.
 * A read that fails fails the activity (it is retried): going on without knowing could record a
 * PUT of an earlier attempt as "nothing written", replacing the intent row that says otherwise.
 */
async function earlierIntent(ports: ReturnType<typeof runtimeFor>['ports'], args: ApplyPricingInput): Promise<{ before: PricingSummary | undefined } | undefined> {
  let found: Awaited<ReturnType<typeof ports.records.list>>;
  try {
    found = await ports.records.list(args.request.subscriptionId, 10, { run: args.request.runId });
  } catch (error) {
    throw activityError(errorInfo(error));
  }
  const intent = found.records.find((r) => r.outcome === 'intent' && r.runId === args.request.runId);
  return intent ? { before: intent.pricingBefore } : undefined;
}

export async function writeRecord(input: unknown, context: InvocationContext): Promise<{ written: true }> {
  const { record } = input as WriteRecordInput;
  const ports = portsFor(functionsConfig(), loggerFor(context));
  try {
    await ports.records.write(record);
  } catch (error) {
    throw activityError(errorInfo(error));
  }
  // Logged once the row exists: a retried write does not log the decision twice.
  logDecision(ports.logger, record);
  return { written: true };
}

df.app.activity(FN.planGovern, { handler: planGovern });
df.app.activity(FN.applyPricing, { handler: applyPricing });
df.app.activity(FN.writeRecord, { handler: writeRecord });
