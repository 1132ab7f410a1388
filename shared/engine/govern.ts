import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { decide, isWrite, outOfScopeReason, type Decision } from '../domain/decide';
import type { GovernContext, GovernRequest, PricingSnapshot } from '../domain/model';
import { planOf, type Plan, type PlanDecision } from '../domain/plan';
import type { PricingSummary } from '../domain/pricing-summary';
import { buildRecord, type RemediationRecord } from '../records/record';
import { applyPlan, type WriteOutcome } from './apply';
import { readBackoff } from './backoff';
import { inspectAccounts } from './inspect-accounts';
import { logDecision } from './decision-log';
import { GovernError, errorInfo } from './errors';
import { ancestorsOf, loadContext } from './load-context';
import { recordOfPass, type PassResult } from './pass-record';
import type { Ports } from './ports';

/**
 * One subscription, end to end: read -> decide -> (enforce, and a write is due) the write path
 * -> record. Whatever happens, one decision is logged and its record stored; a failure anywhere
 * becomes a `failed` record rather than an exception. Before each PUT an intent record (the
 * decision and the exact body) is stored, and the PUT is sent only if that worked; the outcome
 * record then replaces it. If the outcome cannot be stored after retries, the result says so
 * (`stored: false`) and the decision is logged at error level with errorCode RecordWriteFailed:*,
 * which the failed-remediation alert catches: the caller names the subscription as unrecorded.
 * The context comes from direct ARM reads, or from a tenant snapshot (`context`), in which case
 * nothing is read before the write path's own fresh read.
 */

/** Writes decided so far in this run; shared by a sweep so the cap holds across workers. */
export interface WriteBudget {
  used: number;
}

export interface GovernOptions {
  /** Shared by the governs of one event delivery so the cap holds across them; a fresh budget otherwise. */
  budget?: WriteBudget;
  /** Each plan as it is made (a dry run's `--out` collects them). */
  onPlan?: (plan: Plan) => void;
  /**
   * A person reviews a plan that writes in enforce mode before it is carried out (the CLI on a
   * terminal): false stops the run with nothing written and nothing recorded (PlanDeclined is
   * thrown); true applies exactly the plan shown, as a reviewed plan.
   */
  review?: (plan: Plan) => Promise<{ digest: string } | false>;
}

/** The person at the terminal said no to the plan: nothing was written or recorded. */
export class PlanDeclined extends GovernError {
  constructor() {
    super('PlanDeclined', 'Nothing was changed: the plan was not confirmed.');
  }
}

export interface GovernResult {
  record: RemediationRecord;
  decision?: PlanDecision;
  /** False when the record could not be stored: the decision is only in the logs (and the caller's output). */
  stored: boolean;
  storeError?: { code: string; message: string };
}

/** Waits between attempts to store a record (each attempt has the client's own retries inside it). */
export const RECORD_RETRY_MS = [1000];

export async function governSubscription(ports: Ports, config: Config, request: GovernRequest, options: GovernOptions = {}): Promise<GovernResult> {
  const req = withRunId(request);
  const startedAt = ports.clock();
  let context: GovernContext;
  try {
    context = await loadContext(ports, config, req.subscriptionId, req.detail ? { detail: req.detail } : {});
  } catch (error) {
    return finish(ports, recordOfPass({ request: req, mode: config.mode, failure: errorInfo(error), startedAt, finishedAt: ports.clock() }));
  }
  const nomination = nominate(context, config, options.budget ?? { used: 0 });
  const plan = planOf(context, nomination.decision, startedAt);
  options.onPlan?.(plan);
  if (options.review && isWrite(plan.decision) && config.mode === 'enforce') {
    const reviewed = await options.review(plan);
    if (!reviewed) throw new PlanDeclined();
    return carryOut(ports, config, req, context, nomination, { startedAt, reviewed: { plan, digest: reviewed.digest } });
  }
  return carryOut(ports, config, req, context, nomination, { startedAt });
}

/** A decision that reserved its slot under the cap (`slot` is meaningful for writes only). */
export interface Nomination {
  decision: Decision;
  slot: number;
}

/**
 * Decides and, for a write, reserves a slot under D4AI_MAX_ENABLEMENTS_PER_RUN. Synchronous on
 * purpose: concurrent workers of a sweep cannot both take the last slot.
 */
export function nominate(context: GovernContext, config: Config, budget: WriteBudget): Nomination {
  const decision = decide(context, config, { writesSoFar: budget.used });
  const slot = budget.used;
  if (isWrite(decision)) budget.used++;
  return { decision, slot };
}

/**
 * A snapshot's context, completed with what the snapshot does not hold, before it is decided:
 *  - the plan refreshed from ARM where the snapshot's decision is a write (one GET): Resource
 *    Graph lags ARM and carries no pricings 2026-07-01 fields (managedBy), so a plan is never
 *    shown, stored, saved or confirmed on the snapshot's word; the refreshed context's
 *    `pricingBasis` says so. A refresh that fails leaves the snapshot's pricing (basis snapshot)
 *    and a warning: the write path reads again under the lock anyway;
 *  - with `inspect`, the Azure OpenAI / AI Services accounts one by one (opt-outs, content filters:
 *    inspect-accounts.ts);
 *  - the extension back-off (the latest record that is not a dry run), where the decision still
 *    writes: extensions that failed in the region are not tried on every pass.
 * Done before the cap's slots are handed out, so a subscription that turns out to be a skip takes none.
 */
export async function refineContext(ports: Ports, config: Config, context: GovernContext, options: { inspect: boolean; refresh?: boolean }): Promise<GovernContext> {
  let refined = options.refresh !== false && wouldWrite(context, config) ? await refreshPricing(ports, context) : context;
  if (options.inspect) refined = await inspectAccounts(ports, refined);
  if (!refined.extensionBackoff && wouldWrite(refined, config)) {
    const backoff = await readBackoff(ports, context.subscription.subscriptionId, ports.clock());
    if (backoff) refined = { ...refined, extensionBackoff: backoff };
  }
  return refined;
}

/**
 * Whether the decision is a write but for the cap: a subscription over D4AI_MAX_ENABLEMENTS_PER_RUN
 * is still a candidate, and its plan (cap-reached, or managed elsewhere after all) rests on ARM too.
 */
export function wouldWrite(context: GovernContext, config: Config): boolean {
  return isWrite(decide(context, config, { uncapped: true }));
}

/** The plan read afresh from ARM (the refresh step): one GET. */
export async function refreshPricing(ports: Ports, context: GovernContext): Promise<GovernContext> {
  const readAt = ports.clock();
  try {
    const fresh = await ports.pricing.get(context.subscription.subscriptionId);
    const { pricing: _snapshot, ...rest } = context;
    return { ...rest, ...(fresh ? { pricing: fresh } : {}), pricingBasis: { source: 'arm', readAt: readAt.toISOString() } };
  } catch (error) {
    const { code, message } = errorInfo(error);
    const warning = `The plan could not be refreshed from ARM (${code}: ${message}); this plan rests on the Resource Graph snapshot, and the write path reads it again before any PUT.`;
    return { ...context, readWarnings: [...(context.readWarnings ?? []), warning] };
  }
}

/** How a write is carried out beyond the decision itself. */
export interface CarryOutOptions {
  startedAt?: Date;
  /** Keeps a write from being made (the reason goes into the record, outcome dry-run): a write the person at the terminal was not shown. */
  hold?: string;
  /**
   * A plan a person reviewed (confirmed on a terminal, or saved and applied): written exactly as it
   * is, or not at all where the fresh read shows it stale. Without it the run is unattended and a
   * stale plan is decided again on the fresh read.
   */
  reviewed?: { plan: Plan; digest?: string };
}

/**
 * Carries a nomination out: through the write path when it is a write in enforce mode, then one
 * record.
 */
export async function carryOut(ports: Ports, config: Config, request: GovernRequest & { runId: string }, given: GovernContext, nomination: Nomination, options: CarryOutOptions = {}): Promise<GovernResult> {
  const startedAt = options.startedAt ?? ports.clock();
  const { decision: nominated, slot } = nomination;
  const planned = options.reviewed?.plan ?? planOf(given, nominated, startedAt);
  // A saved plan whose subscription has left the scope becomes a skip, recorded like any other.
  const moved = await savedPlanOutOfScope(ports, config, given, planned, options);
  const context = moved?.context ?? given;
  const plan = moved?.plan ?? planned;
  const digest = options.reviewed?.digest;
  let written: WriteOutcome | undefined;
  let failure: { code: string; message: string } | undefined;
  if (isWrite(plan.decision) && config.mode === 'enforce' && !options.hold) {
    const beforePut = async (current: Plan, before: PricingSummary | undefined): Promise<void> => {
      const intent = buildRecord({ request, mode: config.mode, context, decision: current.decision, ...(before ? { before } : {}), planBasis: current.basis, ...(digest ? { planDigest: digest } : {}), outcome: 'intent', startedAt, finishedAt: ports.clock() });
      await storeWithRetry(ports, () => ports.records.write(intent));
    };
    const replan = options.reviewed ? undefined : (fresh: PricingSnapshot | undefined, readAt: Date): Plan => replanOn(context, fresh, readAt, config, slot);
    try {
      written = await applyPlan(ports, config, plan, { beforePut, ...(replan ? { replan } : {}) });
    } catch (error) {
      failure = errorInfo(error);
    }
  }
  const last = written?.plan ?? plan;
  const record = recordOfPass({
    request,
    mode: config.mode,
    context,
    decision: last.decision,
    ...(written ? writtenFields(written) : plan.before ? { before: plan.before } : {}),
    ...(failure ? { applied: { outcome: 'failed' as const, wrote: false, error: failure, notes: [] } } : {}),
    notes: [...(options.hold && isWrite(plan.decision) && config.mode === 'enforce' ? [options.hold] : []), ...(written?.notes ?? [])],
    planBasis: last.basis,
    ...(digest ? { planDigest: digest } : {}),
    startedAt,
    finishedAt: ports.clock(),
  });
  return finish(ports, record, last.decision);
}

/**
 * One scope for every path, saved plans included: a saved plan's subscription may have moved out
 * of D4AI_MANAGEMENT_GROUP since the plan was made, so its write is checked against the ancestry
 * read again. contextOfPlan carries it when the apply read it for the whole plan up front
 * (savedPlanScopeIds, readAncestry: one Resource Graph request per 1,000 entries); otherwise it is read here
 * (one request). Contexts from a snapshot or loadContext carry a fresh ancestry already and cost
 * nothing. Outside the group (or unreadable), the plan becomes a skip out-of-scope: nothing written.
 */
export async function savedPlanOutOfScope(ports: Ports, config: Config, context: GovernContext, plan: Plan, options: Pick<CarryOutOptions, 'reviewed' | 'hold'>): Promise<{ context: GovernContext; plan: Plan } | undefined> {
  if (!options.reviewed || options.hold || !savedPlanWrites(config, plan)) return undefined;
  const known = context.subscription.managementGroupAncestors;
  const ancestors = known ?? (await ancestorsOf(ports, context.subscription.subscriptionId));
  const scoped: GovernContext = { ...context, subscription: { ...context.subscription, managementGroupAncestors: ancestors } };
  const reason = outOfScopeReason(scoped.subscription, config);
  if (!reason) return undefined;
  const because = `${reason} (read again before applying the saved plan, which was made while it was in scope)`;
  const decision: PlanDecision = { action: 'skip', skipReason: 'out-of-scope', missingComponents: plan.decision.missingComponents, reasons: [because], warnings: [] };
  return { context: scoped, plan: { ...plan, decision } };
}

/** Whether applying this saved-plan entry writes under a configured management group: the writes whose scope is read again. */
function savedPlanWrites(config: Config, plan: Plan): boolean {
  return config.managementGroup !== undefined && config.mode === 'enforce' && isWrite(plan.decision);
}

/** The subscriptions of saved-plan entries whose scope is read again before their write: read up front (readAncestry), one Resource Graph request per 1,000. */
export function savedPlanScopeIds(config: Config, plans: readonly Plan[]): string[] {
  return plans.filter((plan) => savedPlanWrites(config, plan)).map((plan) => plan.subscriptionId.toLowerCase());
}

/** An unattended plan decided again on a fresh ARM read (the slot it holds under the cap kept). */
export function replanOn(context: GovernContext, fresh: PricingSnapshot | undefined, readAt: Date, config: Config, slot: number): Plan {
  const { pricing: _stale, ...rest } = context;
  const current: GovernContext = { ...rest, ...(fresh ? { pricing: fresh } : {}), pricingBasis: { source: 'arm', readAt: readAt.toISOString() } };
  return planOf(current, decide(current, config, { writesSoFar: slot }), readAt);
}

/** The parts of a record that come from the write path. */
export function writtenFields(written: WriteOutcome): Pick<PassResult, 'before' | 'applied' | 'stale' | 'seen'> {
  return {
    ...(written.before ? { before: written.before } : {}),
    ...(written.applied ? { applied: written.applied } : {}),
    ...(written.stale ? { stale: written.stale } : {}),
    ...(written.seen ? { seen: written.seen } : {}),
  };
}

export function withRunId(request: GovernRequest): GovernRequest & { runId: string } {
  return { ...request, subscriptionId: request.subscriptionId.toLowerCase(), runId: request.runId ?? randomUUID() };
}

/** Stores with a few retries (a store blip must not lose a record); the last error is thrown. */
export async function storeWithRetry(ports: Pick<Ports, 'sleep'>, write: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await write();
      return;
    } catch (error) {
      const wait = RECORD_RETRY_MS[attempt];
      if (wait === undefined) throw error;
      await ports.sleep(wait);
    }
  }
}

async function finish(ports: Ports, record: RemediationRecord, decision?: PlanDecision): Promise<GovernResult> {
  try {
    await storeWithRetry(ports, () => ports.records.write(record));
  } catch (error) {
    const problem = errorInfo(error);
    const storeError = { code: `RecordWriteFailed:${problem.code}`, message: problem.message };
    logDecision(ports.logger, record, { errorCode: storeError.code, errorMessage: storeError.message });
    return { record, stored: false, storeError, ...(decision ? { decision } : {}) };
  }
  logDecision(ports.logger, record);
  return { record, stored: true, ...(decision ? { decision } : {}) };
}
