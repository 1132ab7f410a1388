import type { Config } from '../config';
import { decide, isWrite, type Decision } from '../domain/decide';
import type { DesiredPricing, GovernContext, PricingSnapshot } from '../domain/model';
import { errorInfo, isConflict } from './errors';
import type { Ports } from './ports';

/**
 * The one write path, whoever scheduled it (CLI govern, CLI sweep/watch, the Functions apply
 * activity under the subscription's write lock): fresh ARM read -> decide again on it -> PUT the
 * exact body -> read back and verify. A decision made on a snapshot (Resource Graph lags ARM by
 * seconds to minutes) or on a read a few seconds old only nominates the subscription; the fresh
 * read decides whether anything is written, and what.
 *
 * A 409 ("another update operation is in progress") means another writer is changing the plan:
 * the retry starts again from a fresh read, so what that writer switched on is kept on (a retry
 * with the old body would switch it off). A 200 can still be a partial failure (an extension's
 * operationStatus is Failed), and a read-back that disagrees means the write did not stick.
 */
export interface ApplyResult {
  outcome: 'applied' | 'failed';
  pricingAfter?: PricingSnapshot;
  error?: { code: string; message: string };
  notes: string[];
}

export interface PlanOutcome {
  /** The context decided from: the caller's, with the pricing of the fresh read. */
  context: GovernContext;
  decision: Decision;
  /** Present when a PUT was attempted (or the fresh read failed). */
  applied?: ApplyResult;
  /** Why the fresh read changed the outcome, for the record's reasons. */
  notes: string[];
}

/** Waits before starting again after a 409; the service lets one pricing update run per subscription. */
export const CONFLICT_BACKOFF_MS = [2000, 5000, 10000];

/**
 * Writes what the decision on the fresh read says. `slot` is the write this subscription reserved
 * against D4AI_MAX_ENABLEMENTS_PER_RUN when it was nominated, so deciding again does not count it twice.
 */
export async function applyPlan(ports: Ports, config: Config, context: GovernContext, slot: number, nominated: Decision): Promise<PlanOutcome> {
  const subscriptionId = context.subscription.subscriptionId;
  const notes: string[] = [];
  for (let attempt = 0; ; attempt++) {
    let fresh: PricingSnapshot | undefined;
    try {
      fresh = await ports.pricing.get(subscriptionId);
    } catch (error) {
      return { context, decision: nominated, applied: { outcome: 'failed', error: { ...errorInfo(error), code: `FreshReadFailed:${errorInfo(error).code}` }, notes }, notes: [] };
    }
    const { pricing: _nominatedOn, ...rest } = context;
    const current: GovernContext = fresh ? { ...rest, pricing: fresh } : rest;
    const decision = decide(current, config, { writesSoFar: slot });
    if (!isWrite(decision) || !decision.desired) {
      notes.push(`The fresh ARM read shows the plan ${fresh ? `${fresh.tier}${fresh.tier === 'Standard' ? ' with the configured components' : ''}` : 'not offered'}; nothing was written.`);
      return { context: current, decision, notes };
    }
    try {
      const response = await ports.pricing.put(subscriptionId, decision.desired);
      return { context: current, decision, applied: await verifyWrite(ports, subscriptionId, decision.desired, response, notes), notes: [] };
    } catch (error) {
      const wait = CONFLICT_BACKOFF_MS[attempt];
      if (!isConflict(error) || wait === undefined) return { context: current, decision, applied: { outcome: 'failed', error: errorInfo(error), notes }, notes: [] };
      notes.push(`Pricing update conflicted with another update in progress; read again and retried after ${wait} ms.`);
      await ports.sleep(wait);
    }
  }
}

async function verifyWrite(ports: Ports, subscriptionId: string, desired: DesiredPricing, response: PricingSnapshot, notes: string[]): Promise<ApplyResult> {
  let readBack: PricingSnapshot | undefined;
  try {
    readBack = await ports.pricing.get(subscriptionId);
  } catch (error) {
    // The write went through; without a read-back we cannot prove it, so it is not "applied".
    return { outcome: 'failed', pricingAfter: response, error: { ...errorInfo(error), code: 'VerificationReadFailed' }, notes };
  }
  const after = readBack ?? response;
  const failedExtensions = response.extensions.filter((e) => e.operationStatus?.code?.toLowerCase() === 'failed');
  if (failedExtensions.length > 0) {
    const detail = failedExtensions.map((e) => `${e.name}: ${e.operationStatus?.message ?? 'Failed'}`).join('; ');
    return { outcome: 'failed', pricingAfter: after, error: { code: 'ExtensionFailed', message: detail }, notes };
  }
  const mismatch = verify(desired, after);
  if (mismatch) return { outcome: 'failed', pricingAfter: after, error: { code: 'VerificationFailed', message: mismatch }, notes };
  return { outcome: 'applied', pricingAfter: after, notes };
}

/** Undefined when the read-back state satisfies the PUT; otherwise what is wrong. */
export function verify(desired: DesiredPricing, after: PricingSnapshot): string | undefined {
  if (after.tier !== 'Standard') return `Read-back shows pricingTier ${after.tier}, expected Standard.`;
  const enabled = new Set(after.extensions.filter((e) => e.enabled).map((e) => e.name.toLowerCase()));
  const missing = desired.extensions.filter((e) => e.isEnabled === 'True' && !enabled.has(e.name.toLowerCase())).map((e) => e.name);
  return missing.length ? `Read-back shows ${missing.join(', ')} not enabled.` : undefined;
}
