import type { Config } from '../config';
import { decide, isWrite, type Decision } from '../domain/decide';
import type { DesiredPricing, GovernContext, PricingSnapshot } from '../domain/model';
import { errorInfo, isConflict, isTransient, retryAfterMs, wasNotApplied } from './errors';
import type { Ports } from './ports';

/**
 * The one write path, whoever scheduled it (CLI govern, CLI sweep/watch, the Functions apply
 * activity under the subscription's write lock): fresh ARM read -> decide again on it -> store the
 * intent -> PUT the exact body -> read back and verify. A decision made on a snapshot (Resource
 * Graph lags ARM by seconds to minutes) or on a read a few seconds old only nominates the
 * subscription; the fresh read decides whether anything is written, and what.
 *
 * Every PUT body is computed from the read just before it. A 409 ("another update operation is in
 * progress"), a 429, a 5xx or a timeout starts again from a fresh read (the PUT itself is never
 * resent by the pipeline), so whatever another writer switched on meanwhile stays on: a retry with
 * the old body would switch it off. After the PUT, nothing that was on may be off
 * (`ExtensionSwitchedOff`), and the after-state recorded is only ever one that was read.
 */
export interface ApplyResult {
  outcome: 'applied' | 'partial' | 'failed';
  /** The plan as last read after the PUT; absent when it could not be read (unknown, not the before-state). */
  pricingAfter?: PricingSnapshot;
  /** A PUT was sent (or may have been): the record's after-state is pricingAfter or unknown. */
  wrote: boolean;
  /** Extensions the service reported as failed to enable (outcome partial). */
  failedExtensions?: string[];
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

export interface ApplyHooks {
  /**
   * Stores the intent (the decision and the exact body) before its PUT. If it throws, nothing is
   * sent: a change is made only where its record can be kept.
   */
  beforePut: (current: GovernContext, decision: Decision) => Promise<void>;
  /**
   * An earlier attempt of this same pass stored its intent (and so may have sent its PUT) before
   * it was cut short (a retried activity): the plan it was computed from. A fresh read that shows
   * nothing left to do is then that PUT's doing, not "nothing was written".
   */
  earlierAttempt?: { before: PricingSnapshot };
}

/** Waits before starting again after a 409, 429, 5xx or timeout; the service lets one pricing update run per subscription. */
export const RETRY_BACKOFF_MS = [2000, 5000, 10000];
/** A Retry-After longer than this is not waited for here: the next pass picks the subscription up. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Writes what the decision on the fresh read says. `slot` is the write this subscription reserved
 * against D4AI_MAX_ENABLEMENTS_PER_RUN when it was nominated, so deciding again does not count it twice.
 */
export async function applyPlan(ports: Ports, config: Config, context: GovernContext, slot: number, nominated: Decision, hooks: ApplyHooks): Promise<PlanOutcome> {
  // Its callers check the mode too; the one write path does not rely on them.
  if (config.mode !== 'enforce') return { context, decision: nominated, notes: [`D4AI_MODE is ${config.mode}: nothing was written.`] };
  const subscriptionId = context.subscription.subscriptionId;
  const notes: string[] = [];
  // Set once a PUT may have gone through (sent, and not answered "not applied"): its decision and
  // the plan before the first such PUT, which is what the record's before-state must be.
  let sent: { decision: Decision; before: PricingSnapshot } | undefined = hooks.earlierAttempt ? { decision: nominated, before: hooks.earlierAttempt.before } : undefined;
  for (let attempt = 0; ; attempt++) {
    let fresh: PricingSnapshot | undefined;
    try {
      fresh = await ports.pricing.get(subscriptionId);
    } catch (error) {
      const info = errorInfo(error);
      const failed = { ...info, code: `${sent ? 'VerificationReadFailed' : 'FreshReadFailed'}:${info.code}` };
      // After a PUT, the before-state is the one that PUT was computed from, not the snapshot's.
      const { pricing: _snapshot, ...others } = context;
      const seen: GovernContext = sent ? { ...others, pricing: sent.before } : context;
      return { context: seen, decision: sent?.decision ?? nominated, applied: { outcome: 'failed', wrote: sent !== undefined, error: failed, notes }, notes: [] };
    }
    const { pricing: _nominatedOn, ...rest } = context;
    const current: GovernContext = fresh ? { ...rest, pricing: fresh } : rest;
    const decision = decide(current, config, { writesSoFar: slot });
    if (!isWrite(decision) || !decision.desired || !fresh) {
      if (sent && fresh) {
        // An earlier PUT's answer was lost (timeout, 5xx) but it went through: check it like any other.
        notes.push('The answer to an earlier PUT was lost; the fresh read shows what it did.');
        return { context: { ...rest, pricing: sent.before }, decision: sent.decision, applied: judge(sent.before, sent.decision.desired, fresh, fresh, notes), notes: [] };
      }
      const seen = !fresh ? 'shows the plan not offered' : decision.action === 'none' ? `shows the plan ${fresh.tier}${fresh.tier === 'Standard' ? ' with the configured components' : ''}` : `shows the plan ${fresh.tier} and decides ${decision.action}${decision.skipReason ? ` (${decision.skipReason})` : ''}`;
      notes.push(`The fresh ARM read ${seen}; nothing was written.`);
      return { context: current, decision, notes };
    }
    try {
      // After a PUT that may have landed, the intent keeps the state before it (a later intent
      // replaces the earlier row: it must not lose what the first PUT changed from).
      await hooks.beforePut(sent ? { ...rest, pricing: sent.before } : current, decision);
    } catch (error) {
      const info = errorInfo(error);
      const what = sent ? 'so nothing more was written (an earlier PUT of this pass may have gone through)' : 'so nothing was written';
      return { context: sent ? { ...rest, pricing: sent.before } : current, decision, applied: { outcome: 'failed', wrote: sent !== undefined, error: { code: `IntentNotRecorded:${info.code}`, message: `The intent record could not be stored, ${what}: ${info.message}` }, notes }, notes: [] };
    }
    const prior = sent;
    sent = { decision, before: prior?.before ?? fresh };
    // The record's before-state: before the first PUT that may have landed. Switch-off checks
    // compare with `fresh`, what was on just before this PUT.
    const recorded: GovernContext = { ...rest, pricing: sent.before };
    try {
      const response = await ports.pricing.put(subscriptionId, decision.desired);
      return { context: recorded, decision, applied: await verifyWrite(ports, subscriptionId, fresh, decision.desired, response, notes), notes: [] };
    } catch (error) {
      // Answered "not applied" (409, 429, 4xx): this PUT changed nothing, so it does not count as sent.
      if (wasNotApplied(error)) sent = prior;
      const wait = RETRY_BACKOFF_MS[attempt];
      const retryable = isConflict(error) || isTransient(error);
      const serviceWait = retryAfterMs(error);
      if (retryable && wait !== undefined && (serviceWait ?? 0) <= MAX_RETRY_AFTER_MS) {
        const delay = Math.max(wait, serviceWait ?? 0);
        const why = isConflict(error) ? 'conflicted with another update in progress' : `failed (${errorInfo(error).code})`;
        notes.push(`The PUT ${why}; read again and retried after ${delay} ms.`);
        await ports.sleep(delay);
        continue;
      }
      return { context: sent ? { ...rest, pricing: sent.before } : current, decision, applied: await afterFailedPut(ports, subscriptionId, fresh, decision.desired, error, sent !== undefined, notes), notes: [] };
    }
  }
}

/**
 * A PUT that failed for good: the service may still have applied it (a timeout, a 5xx), or an
 * earlier PUT of this pass may have (`mayHaveWritten`), so read what is there; only when no PUT
 * can have landed is the plan known to be as it was.
 */
async function afterFailedPut(ports: Ports, subscriptionId: string, before: PricingSnapshot, desired: DesiredPricing, error: unknown, mayHaveWritten: boolean, notes: string[]): Promise<ApplyResult> {
  const info = errorInfo(error);
  if (!mayHaveWritten) return { outcome: 'failed', wrote: false, pricingAfter: before, error: info, notes };
  try {
    const readBack = await ports.pricing.get(subscriptionId);
    const switchedOff = readBack ? switchedOffBy(before, readBack) : [];
    if (switchedOff.length) return { outcome: 'failed', wrote: true, pricingAfter: readBack, error: switchedOffError(switchedOff), notes };
    if (readBack && !verify(desired, readBack)) notes.push('The PUT failed, but the read-back shows the plan as wanted (applied by an earlier attempt or another writer).');
    return { outcome: 'failed', wrote: true, ...(readBack ? { pricingAfter: readBack } : {}), error: info, notes };
  } catch {
    return { outcome: 'failed', wrote: true, error: { ...info, message: `${info.message} The plan could not be read back: its state is unknown.` }, notes };
  }
}

async function verifyWrite(ports: Ports, subscriptionId: string, before: PricingSnapshot, desired: DesiredPricing, response: PricingSnapshot | undefined, notes: string[]): Promise<ApplyResult> {
  let readBack: PricingSnapshot | undefined;
  try {
    readBack = await ports.pricing.get(subscriptionId);
  } catch (error) {
    // The write went through; without a read-back we cannot prove it, so it is not "applied".
    const info = errorInfo(error);
    if (!response) {
      return { outcome: 'failed', wrote: true, error: { code: 'UnreadablePutResponse', message: `The PUT response could not be read and the read-back failed (${info.code}): the plan's state is unknown.` }, notes };
    }
    const switchedOff = switchedOffBy(before, response);
    if (switchedOff.length) return { outcome: 'failed', wrote: true, pricingAfter: response, error: switchedOffError(switchedOff), notes };
    return { outcome: 'failed', wrote: true, pricingAfter: response, error: { code: 'VerificationReadFailed', message: info.message }, notes };
  }
  const result = judge(before, desired, readBack, response, notes);
  if (!response && result.outcome !== 'failed') {
    return { ...result, outcome: 'failed', error: { code: 'UnreadablePutResponse', message: 'The PUT answered with a body that is not a pricing; the read-back shows the state recorded, but per-extension results could not be checked.' } };
  }
  return result;
}

/** Compares what was read after the PUT with the body sent and the state before it. */
function judge(before: PricingSnapshot, desired: DesiredPricing | undefined, readBack: PricingSnapshot | undefined, response: PricingSnapshot | undefined, notes: string[]): ApplyResult {
  const after = readBack ?? response;
  if (!after || !desired) return { outcome: 'failed', wrote: true, error: { code: 'VerificationFailed', message: 'The read-back found no AI plan after the PUT.' }, notes };
  const switchedOff = switchedOffBy(before, after);
  if (switchedOff.length) return { outcome: 'failed', wrote: true, pricingAfter: after, error: switchedOffError(switchedOff), notes };
  const failed = [...(response?.extensions ?? []), ...(readBack?.extensions ?? [])].filter((e) => e.operationStatus?.code?.toLowerCase() === 'failed');
  const failedNames = [...new Set(failed.map((e) => e.name))];
  const mismatch = verify(desired, after);
  if (failedNames.length && after.tier === 'Standard') {
    const detail = failedNames.map((n) => `${n}: ${failed.find((e) => e.name === n)?.operationStatus?.message ?? 'Failed'}`).join('; ');
    const onlyFailed = !mismatch || missingAfter(desired, after).every((m) => failedNames.some((f) => f.toLowerCase() === m.toLowerCase()));
    if (onlyFailed) return { outcome: 'partial', wrote: true, pricingAfter: after, failedExtensions: failedNames, error: { code: 'ExtensionFailed', message: detail }, notes };
  }
  if (mismatch) return { outcome: 'failed', wrote: true, pricingAfter: after, error: { code: 'VerificationFailed', message: mismatch }, notes };
  return { outcome: 'applied', wrote: true, pricingAfter: after, notes };
}

/** Extensions on before the PUT that are off after it (or the whole plan, from Standard to Free). */
function switchedOffBy(before: PricingSnapshot, after: PricingSnapshot): string[] {
  if (before.tier !== 'Standard') return [];
  if (after.tier !== 'Standard') return ['the plan (Standard to Free)'];
  const on = new Set(after.extensions.filter((e) => e.enabled).map((e) => e.name.toLowerCase()));
  return before.extensions.filter((e) => e.enabled && !on.has(e.name.toLowerCase())).map((e) => e.name);
}

function switchedOffError(names: string[]): { code: string; message: string } {
  return { code: 'ExtensionSwitchedOff', message: `After the PUT, ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} off but ${names.length > 1 ? 'were' : 'was'} on before it. Switch ${names.length > 1 ? 'them' : 'it'} back on and find the other writer.` };
}

function missingAfter(desired: DesiredPricing, after: PricingSnapshot): string[] {
  const enabled = new Set(after.extensions.filter((e) => e.enabled).map((e) => e.name.toLowerCase()));
  return desired.extensions.filter((e) => e.isEnabled === 'True' && !enabled.has(e.name.toLowerCase())).map((e) => e.name);
}

/** Undefined when the read-back state satisfies the PUT; otherwise what is wrong. */
export function verify(desired: DesiredPricing, after: PricingSnapshot): string | undefined {
  if (after.tier !== 'Standard') return `Read-back shows pricingTier ${after.tier}, expected Standard.`;
  const missing = missingAfter(desired, after);
  return missing.length ? `Read-back shows ${missing.join(', ')} not enabled.` : undefined;
}
