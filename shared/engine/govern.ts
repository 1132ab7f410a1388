import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { decide, isWrite, type Decision } from '../domain/decide';
import type { GovernContext, GovernRequest, SubscriptionInfo } from '../domain/model';
import type { RemediationRecord } from '../records/record';
import { applyDesired, type ApplyResult } from './apply';
import { logDecision } from './decision-log';
import { errorInfo } from './errors';
import { loadContext } from './load-context';
import { recordOfPass } from './pass-record';
import type { Ports } from './ports';

/**
 * One subscription, end to end: read -> decide -> write (enforce only) -> verify -> record.
 * Whatever happens, exactly one record is written and one decision logged; a failure anywhere
 * becomes a `failed` record rather than an exception, except when the record itself cannot be
 * stored, which is thrown so the caller knows a decision is only in the logs.
 */

/** Writes decided so far in this run; shared by a sweep so the cap holds across workers. */
export interface WriteBudget {
  used: number;
}

export interface GovernOptions {
  /** Shared by a sweep so the cap holds across workers; a fresh budget otherwise. */
  budget?: WriteBudget;
  /** The subscription as a sweep just listed it: no need to read it again. */
  listed?: SubscriptionInfo;
}

export interface GovernResult {
  record: RemediationRecord;
  decision?: Decision;
}

export async function governSubscription(
  ports: Ports,
  config: Config,
  request: GovernRequest,
  options: GovernOptions = {},
): Promise<GovernResult> {
  const budget = options.budget ?? { used: 0 };
  const req = { ...request, subscriptionId: request.subscriptionId.toLowerCase(), runId: request.runId ?? randomUUID() };
  const startedAt = ports.clock();
  let context: GovernContext | undefined;
  let decision: Decision | undefined;
  let applied: ApplyResult | undefined;
  let failure: { code: string; message: string } | undefined;

  try {
    context = await loadContext(ports, config, req.subscriptionId, options.listed);
    // decide + reserve happen without an await in between, so concurrent workers of a sweep
    // cannot both take the last slot under the cap.
    decision = decide(context, config, { writesSoFar: budget.used });
    if (isWrite(decision)) budget.used++;
    if (isWrite(decision) && config.mode === 'enforce' && decision.desired) {
      applied = await applyDesired(ports, req.subscriptionId, decision.desired);
    }
  } catch (error) {
    failure = errorInfo(error);
  }

  const record = recordOfPass({
    request: req,
    mode: config.mode,
    ...(context ? { context } : {}),
    ...(decision ? { decision } : {}),
    ...(applied ? { applied } : {}),
    ...(failure ? { failure } : {}),
    startedAt,
    finishedAt: ports.clock(),
  });
  logDecision(ports.logger, record);
  await ports.records.write(record);
  return { record, ...(decision ? { decision } : {}) };
}
