import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { decide, isWrite, type Decision } from '../domain/decide';
import type { GovernContext, GovernRequest, SubscriptionInfo } from '../domain/model';
import { buildRecord, type RemediationRecord } from '../records/record';
import { applyPlan, type PlanOutcome } from './apply';
import { readBackoff } from './backoff';
import { inspectAccounts } from './inspect-accounts';
import { logDecision } from './decision-log';
import { errorInfo } from './errors';
import { loadContext } from './load-context';
import { recordOfPass } from './pass-record';
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
}

export interface GovernResult {
  record: RemediationRecord;
  decision?: Decision;
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
  return carryOut(ports, config, req, context, nominate(context, config, options.budget ?? { used: 0 }), { startedAt });
}

/**
 * What governing the subscription would decide now, without writing anything or storing a record
 * (the plan `d4ai govern` shows before it asks). Undefined when the subscription cannot be read.
 */
export async function previewSubscription(ports: Ports, config: Config, subscriptionId: string): Promise<{ subscription: SubscriptionInfo; decision: Decision } | undefined> {
  try {
    const context = await loadContext(ports, config, subscriptionId.toLowerCase());
    return { subscription: context.subscription, decision: decide(context, config) };
  } catch {
    return undefined;
  }
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
 *  - the extension back-off (its latest record), where the decision would write: extensions that
 *    failed in the region are not tried on every pass. An `enable` on the snapshot needs it too:
 *    Resource Graph can still show Free after a partial write, and the fresh read then adds
 *    components, which the back-off must hold back (and count);
 *  - with `inspect`, the Azure OpenAI / AI Services accounts one by one (opt-outs, content filters:
 *    inspect-accounts.ts).
 * Done before the cap's slots are handed out, so a subscription that turns out to be a skip takes none.
 */
export async function refineContext(ports: Ports, config: Config, context: GovernContext, options: { inspect: boolean }): Promise<GovernContext> {
  let refined = options.inspect ? await inspectAccounts(ports, context) : context;
  if (!refined.extensionBackoff && isWrite(decide(refined, config))) {
    const backoff = await readBackoff(ports, context.subscription.subscriptionId, ports.clock());
    if (backoff) refined = { ...refined, extensionBackoff: backoff };
  }
  return refined;
}

/**
 * Carries a nomination out: through the write path when it is a write in enforce mode, then one
 * record. `hold` keeps a write from being made (the reason goes into the record, outcome dry-run):
 * a write the person at the terminal was not shown.
 */
export async function carryOut(
  ports: Ports,
  config: Config,
  request: GovernRequest & { runId: string },
  context: GovernContext,
  nomination: Nomination,
  options: { startedAt?: Date; hold?: string } = {},
): Promise<GovernResult> {
  const startedAt = options.startedAt ?? ports.clock();
  const { decision: nominated, slot } = nomination;
  let outcome: PlanOutcome = { context, decision: nominated, notes: [] };
  if (isWrite(nominated) && config.mode === 'enforce' && options.hold) {
    outcome = { context, decision: nominated, notes: [options.hold] };
  } else if (isWrite(nominated) && config.mode === 'enforce') {
    const beforePut = async (current: GovernContext, decision: Decision): Promise<void> => {
      const intent = buildRecord({ request, mode: config.mode, context: current, decision, outcome: 'intent', startedAt, finishedAt: ports.clock() });
      await storeWithRetry(ports, () => ports.records.write(intent));
    };
    try {
      outcome = await applyPlan(ports, config, context, slot, nominated, { beforePut });
    } catch (error) {
      outcome = { context, decision: nominated, applied: { outcome: 'failed', wrote: false, error: errorInfo(error), notes: [] }, notes: [] };
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

async function finish(ports: Ports, record: RemediationRecord, decision?: Decision): Promise<GovernResult> {
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
