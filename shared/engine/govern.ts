import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { decide, isWrite, type Decision } from '../domain/decide';
import type { GovernContext, GovernRequest, SubscriptionInfo } from '../domain/model';
import type { RemediationRecord } from '../records/record';
import { applyPlan, type PlanOutcome } from './apply';
import { logDecision } from './decision-log';
import { errorInfo } from './errors';
import { loadContext } from './load-context';
import { recordOfPass } from './pass-record';
import type { Ports } from './ports';

/**
 * One subscription, end to end: read -> decide -> (enforce, and a write is due) the write path
 * -> record. Whatever happens, exactly one record is written and one decision logged; a failure
 * anywhere becomes a `failed` record rather than an exception, except when the record itself
 * cannot be stored, which is thrown so the caller knows a decision is only in the logs.
 * The context comes from direct ARM reads, or from a tenant snapshot (`context`), in which case
 * nothing is read before the write path's own fresh read.
 */

/** Writes decided so far in this run; shared by a sweep so the cap holds across workers. */
export interface WriteBudget {
  used: number;
}

export interface GovernOptions {
  /** Shared by a sweep so the cap holds across workers; a fresh budget otherwise. */
  budget?: WriteBudget;
  /** The subscription as the caller already has it: not read again. */
  listed?: SubscriptionInfo;
}

export interface GovernResult {
  record: RemediationRecord;
  decision?: Decision;
}

export async function governSubscription(ports: Ports, config: Config, request: GovernRequest, options: GovernOptions = {}): Promise<GovernResult> {
  const req = withRunId(request);
  const startedAt = ports.clock();
  let context: GovernContext;
  try {
    context = await loadContext(ports, config, req.subscriptionId, { ...(options.listed ? { listed: options.listed } : {}), ...(req.detail ? { detail: req.detail } : {}) });
  } catch (error) {
    return finish(ports, recordOfPass({ request: req, mode: config.mode, failure: errorInfo(error), startedAt, finishedAt: ports.clock() }));
  }
  return carryOut(ports, config, req, context, nominate(context, config, options.budget ?? { used: 0 }), startedAt);
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

/** Carries a nomination out: through the write path when it is a write in enforce mode, then one record. */
export async function carryOut(
  ports: Ports,
  config: Config,
  request: GovernRequest & { runId: string },
  context: GovernContext,
  nomination: Nomination,
  startedAt: Date = ports.clock(),
): Promise<GovernResult> {
  const { decision: nominated, slot } = nomination;
  let outcome: PlanOutcome = { context, decision: nominated, notes: [] };
  if (isWrite(nominated) && config.mode === 'enforce') {
    try {
      outcome = await applyPlan(ports, config, context, slot, nominated);
    } catch (error) {
      outcome = { context, decision: nominated, applied: { outcome: 'failed', error: errorInfo(error), notes: [] }, notes: [] };
    }
  }
  const record = recordOfPass({
    request,
    mode: config.mode,
    context: outcome.context,
    decision: outcome.decision,
    ...(outcome.applied ? { applied: outcome.applied } : {}),
    notes: outcome.notes,
    startedAt,
    finishedAt: ports.clock(),
  });
  return finish(ports, record, outcome.decision);
}

export function withRunId(request: GovernRequest): GovernRequest & { runId: string } {
  return { ...request, subscriptionId: request.subscriptionId.toLowerCase(), runId: request.runId ?? randomUUID() };
}

async function finish(ports: Ports, record: RemediationRecord, decision?: Decision): Promise<GovernResult> {
  logDecision(ports.logger, record);
  await ports.records.write(record);
  return { record, ...(decision ? { decision } : {}) };
}
