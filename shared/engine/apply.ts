import type { Config } from '../config';
import { isWrite } from '../domain/decide';
import { ExtensionSet } from '../domain/extension-set';
import type { PricingSnapshot } from '../domain/model';
import { bodyMismatch, notOnAfter, staleness, type Plan } from '../domain/plan';
import { summarisePricing, type PricingSummary } from '../domain/pricing-summary';
import { errorInfo, isConflict, isRestError, isTransient, retryAfterMs, wasNotApplied } from './errors';
import type { Ports } from './ports';

/**
 * The one write path, whoever scheduled it and whatever the plan (governing, a saved plan, a
 * confirmed one, a revert): fresh ARM read -> compare with the plan's before-state -> store the
 * intent -> PUT the plan's exact body -> read back and verify. Nothing else in the product sends
 * a pricing PUT.
 *
 * A plan whose before-state no longer holds is stale. A reviewed plan (saved, confirmed on a
 * terminal, a revert) is then not written, and the result says what changed (`stale`): a person
 * approved that body against that state, not another. An unattended run's plan (events, the
 * tenant watch, the nightly sweep: nobody reviewed it) passes `replan`, which decides again on the
 * fresh read; the record says so.
 *
 * A 409 ("another update operation is in progress"), a 429, a 5xx or a timeout starts again from
 * a fresh read (the PUT itself is never resent by the pipeline), so whatever another writer
 * switched on meanwhile makes the plan stale instead of being switched off by a retry with the old
 * body. After the PUT, nothing that was on may be off unless the plan switches it off
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

export interface WriteOutcome {
  /** The plan considered last: the caller's, or the one decided again on the fresh read (replan). */
  plan: Plan;
  /** The record's before-state: before the first PUT that may have landed, else the last read. */
  before?: PricingSummary;
  /** Present when a PUT was attempted (or the fresh read failed). */
  applied?: ApplyResult;
  /** The plan is stale (a reviewed plan only): what changed since it was made. Nothing was written. */
  stale?: string[];
  /** What the fresh read showed when nothing was written (the record's after-state). */
  seen?: PricingSnapshot;
  notes: string[];
}

export interface ApplyHooks {
  /**
   * Stores the intent (the plan and its exact body) before its PUT. If it throws, nothing is
   * sent: a change is made only where its record can be kept.
   */
  beforePut: (plan: Plan, before: PricingSummary | undefined) => Promise<void>;
  /**
   * An earlier attempt of this same pass stored its intent (and so may have sent its PUT) before
   * it was cut short (a retried activity): the state it was computed from. A fresh read that shows
   * the body in place is then that PUT's doing, not "nothing was written".
   */
  earlierAttempt?: { before: PricingSummary | undefined };
  /** Unattended runs only: the plan decided again on a fresh read that made the caller's stale. */
  replan?: (fresh: PricingSnapshot | undefined, readAt: Date) => Plan;
}

/** Waits before starting again after a 409, 429, 5xx or timeout; the service lets one pricing update run per subscription. */
export const RETRY_BACKOFF_MS = [2000, 5000, 10000];
/** A Retry-After longer than this is not waited for here: the next pass picks the subscription up. */
export const MAX_RETRY_AFTER_MS = 60_000;

export async function applyPlan(ports: Ports, config: Config, plan: Plan, hooks: ApplyHooks): Promise<WriteOutcome> {
  // Its callers check the mode too; the one write path does not rely on them.
  if (config.mode !== 'enforce') return { plan, ...(plan.before ? { before: plan.before } : {}), notes: [`D4AI_MODE is ${config.mode}: nothing was written.`] };
  const subscriptionId = plan.subscriptionId;
  const notes: string[] = [];
  let current = plan;
  // Set once a PUT may have gone through (sent, and not answered "not applied"): its plan and the
  // state before the first such PUT, which is what the record's before-state must be.
  let sent: { plan: Plan; before: PricingSummary | undefined } | undefined = hooks.earlierAttempt ? { plan, before: hooks.earlierAttempt.before } : undefined;
  const withBefore = (before: PricingSummary | undefined): { before?: PricingSummary } => (before ? { before } : {});
  for (let attempt = 0; ; attempt++) {
    let fresh: PricingSnapshot | undefined;
    const readAt = ports.clock();
    try {
      fresh = await ports.pricing.get(subscriptionId);
    } catch (error) {
      const info = errorInfo(error);
      const failed = { ...info, code: `${sent ? 'VerificationReadFailed' : 'FreshReadFailed'}:${info.code}` };
      return { plan: sent?.plan ?? current, ...withBefore(sent ? sent.before : current.before), applied: { outcome: 'failed', wrote: sent !== undefined, error: failed, notes }, notes: [] };
    }
    const now = summarisePricing(fresh);
    if (sent && fresh && !bodyMismatch(sent.plan.decision, fresh)) {
      // An earlier PUT's answer was lost (timeout, 5xx) but it went through: check it like any other.
      notes.push('The answer to an earlier PUT was lost; the fresh read shows what it did.');
      return { plan: sent.plan, ...withBefore(sent.before), applied: judge(sent.plan, sent.before, fresh, fresh, undefined, notes), notes: [] };
    }
    const changed = staleness(current.before, now);
    if (changed.length) {
      if (sent) {
        const message = `After a PUT whose answer was lost, the plan is neither what that PUT asked for nor the state it was made from: ${changed.join('; ')}. Nothing more was written.`;
        return { plan: sent.plan, ...withBefore(sent.before), applied: { outcome: 'failed', wrote: true, ...(fresh ? { pricingAfter: fresh } : {}), error: { code: 'ChangedDuringWrite', message }, notes }, notes: [] };
      }
      if (!hooks.replan) return { plan: current, ...withBefore(current.before), stale: changed, ...(fresh ? { seen: fresh } : {}), notes };
      current = hooks.replan(fresh, readAt);
      if (!isWrite(current.decision) || !current.decision.desired) {
        notes.push(`The fresh ARM read under the lock differs from the plan (${changed.join('; ')}) and decides ${current.decision.action}${current.decision.skipReason ? ` (${current.decision.skipReason})` : ''}; nothing was written.`);
        return { plan: current, ...withBefore(current.before), ...(fresh ? { seen: fresh } : {}), notes };
      }
      notes.push(`The fresh ARM read under the lock differs from the plan (${changed.join('; ')}); decided again on it.`);
    }
    const body = current.decision.desired;
    if (!body || !fresh) return { plan: current, ...withBefore(current.before), notes: [...notes, 'The plan has nothing to write.'] };
    try {
      // After a PUT that may have landed, the intent keeps the state before it (a later intent
      // replaces the earlier row: it must not lose what the first PUT changed from).
      await hooks.beforePut(current, sent ? sent.before : now);
    } catch (error) {
      const info = errorInfo(error);
      const what = sent ? 'so nothing more was written (an earlier PUT of this pass may have gone through)' : 'so nothing was written';
      return { plan: current, ...withBefore(sent ? sent.before : now), applied: { outcome: 'failed', wrote: sent !== undefined, error: { code: `IntentNotRecorded:${info.code}`, message: `The intent record could not be stored, ${what}: ${info.message}` }, notes }, notes: [] };
    }
    const prior = sent;
    sent = { plan: current, before: prior ? prior.before : now };
    try {
      const response = await ports.pricing.put(subscriptionId, body);
      return { plan: current, ...withBefore(sent.before), applied: await verifyWrite(ports, current, sent.before, fresh, response, notes), notes: [] };
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
      return { plan: current, ...withBefore(sent ? sent.before : now), applied: await afterFailedPut(ports, current, fresh, error, sent !== undefined, notes), notes: [] };
    }
  }
}

/**
 * The role to grant when a pricing write is refused for permissions (403 AuthorizationFailed):
 * Microsoft's guidance for enabling a Defender plan names Owner or Contributor on the subscription,
 * and the built-in policy that sets the AI plan's extensions (359a48a3) remediates as Owner, while
 * the governor's deployment grants Security Admin (docs/permissions.md has the evidence).
 */
export const PRICING_WRITE_ROLE_GUIDANCE =
  'The identity may not write Microsoft.Security/pricings here. Microsoft\'s guidance for enabling the plan names Owner or Contributor on the subscription ' +
  '(the built-in policy 359a48a3 that sets the extensions remediates as Owner); the governor is deployed as Security Admin, which must hold at this scope ' +
  '(check deny assignments and where the role is assigned). Grant Security Admin on the subscription or D4AI_MANAGEMENT_GROUP, or Contributor/Owner as the guidance names; see docs/permissions.md.';

function withRoleGuidance(error: unknown, info: { code: string; message: string }): { code: string; message: string } {
  const forbidden = (isRestError(error) && error.statusCode === 403) || /^(AuthorizationFailed|LinkedAuthorizationFailed|Forbidden)$/i.test(info.code);
  return forbidden ? { ...info, message: `${info.message} ${PRICING_WRITE_ROLE_GUIDANCE}` } : info;
}

/**
 * A PUT that failed for good: the service may still have applied it (a timeout, a 5xx), or an
 * earlier PUT of this pass may have (`mayHaveWritten`), so read what is there; only when no PUT
 * can have landed is the plan known to be as it was.
 */
async function afterFailedPut(ports: Ports, plan: Plan, before: PricingSnapshot, error: unknown, mayHaveWritten: boolean, notes: string[]): Promise<ApplyResult> {
  const info = withRoleGuidance(error, errorInfo(error));
  if (!mayHaveWritten) return { outcome: 'failed', wrote: false, pricingAfter: before, error: info, notes };
  try {
    const readBack = await ports.pricing.get(plan.subscriptionId);
    const switchedOff = readBack ? unplannedSwitchOffs(plan, before, readBack) : [];
    if (switchedOff.length) return { outcome: 'failed', wrote: true, pricingAfter: readBack, error: switchedOffError(switchedOff), notes };
    if (readBack && !bodyMismatch(plan.decision, readBack)) notes.push('The PUT failed, but the read-back shows the plan as wanted (applied by an earlier attempt or another writer).');
    return { outcome: 'failed', wrote: true, ...(readBack ? { pricingAfter: readBack } : {}), error: info, notes };
  } catch {
    return { outcome: 'failed', wrote: true, error: { ...info, message: `${info.message} The plan could not be read back: its state is unknown.` }, notes };
  }
}

async function verifyWrite(ports: Ports, plan: Plan, recordedBefore: PricingSummary | undefined, before: PricingSnapshot, response: PricingSnapshot | undefined, notes: string[]): Promise<ApplyResult> {
  let readBack: PricingSnapshot | undefined;
  try {
    readBack = await ports.pricing.get(plan.subscriptionId);
  } catch (error) {
    // The write went through; without a read-back we cannot prove it, so it is not "applied".
    const info = errorInfo(error);
    if (!response) {
      return { outcome: 'failed', wrote: true, error: { code: 'UnreadablePutResponse', message: `The PUT response could not be read and the read-back failed (${info.code}): the plan's state is unknown.` }, notes };
    }
    const switchedOff = unplannedSwitchOffs(plan, before, response);
    if (switchedOff.length) return { outcome: 'failed', wrote: true, pricingAfter: response, error: switchedOffError(switchedOff), notes };
    return { outcome: 'failed', wrote: true, pricingAfter: response, error: { code: 'VerificationReadFailed', message: info.message }, notes };
  }
  const result = judge(plan, recordedBefore, readBack, response, before, notes);
  if (!response && result.outcome !== 'failed') {
    return { ...result, outcome: 'failed', error: { code: 'UnreadablePutResponse', message: 'The PUT answered with a body that is not a pricing; the read-back shows the state recorded, but per-extension results could not be checked.' } };
  }
  return result;
}

/**
 * Compares what was read after the PUT with the plan's body and the state just before the PUT
 * (`justBefore`; the recorded before-state when the PUT's answer was lost).
 */
function judge(plan: Plan, recordedBefore: PricingSummary | undefined, readBack: PricingSnapshot | undefined, response: PricingSnapshot | undefined, justBefore: PricingSnapshot | undefined, notes: string[]): ApplyResult {
  const after = readBack ?? response;
  if (!after) return { outcome: 'failed', wrote: true, error: { code: 'VerificationFailed', message: 'The read-back found no AI plan after the PUT.' }, notes };
  const switchedOff = unplannedSwitchOffs(plan, justBefore ?? summaryAsOnOff(recordedBefore), after);
  if (switchedOff.length) return { outcome: 'failed', wrote: true, pricingAfter: after, error: switchedOffError(switchedOff), notes };
  const failed = [...(response?.extensions ?? []), ...(readBack?.extensions ?? [])].filter((e) => e.operationStatus?.code?.toLowerCase() === 'failed');
  const failedNames = ExtensionSet.names(failed.map((e) => e.name));
  const mismatch = bodyMismatch(plan.decision, after);
  if (failedNames.names().length && after.tier === 'Standard') {
    const detail = failedNames.names().map((n) => `${n}: ${failed.find((e) => e.name === n)?.operationStatus?.message ?? 'Failed'}`).join('; ');
    if (!mismatch || failedNames.includesAll(notOnAfter(plan.decision, after))) return { outcome: 'partial', wrote: true, pricingAfter: after, failedExtensions: failedNames.names(), error: { code: 'ExtensionFailed', message: detail }, notes };
  }
  if (mismatch) return { outcome: 'failed', wrote: true, pricingAfter: after, error: { code: 'VerificationFailed', message: mismatch }, notes };
  return { outcome: 'applied', wrote: true, pricingAfter: after, notes };
}

/** On before the PUT, off after it, and not switched off by the plan itself (or the whole plan, Standard to Free, unless the plan asked for Free). */
function unplannedSwitchOffs(plan: Plan, before: PricingSnapshot | undefined, after: PricingSnapshot): string[] {
  if (!before || before.tier !== 'Standard') return [];
  if (after.tier !== 'Standard') return plan.decision.desired?.pricingTier === 'Free' ? [] : ['the plan (Standard to Free)'];
  const planned = ExtensionSet.names(plan.decision.change?.switchOff ?? []);
  return ExtensionSet.ofPlan(before)
    .switchedOffIn(ExtensionSet.ofPlan(after))
    .filter((n) => !planned.has(n));
}

function summaryAsOnOff(summary: PricingSummary | undefined): PricingSnapshot | undefined {
  if (!summary) return undefined;
  return { tier: summary.tier, extensions: Object.entries(summary.extensions).map(([name, enabled]) => ({ name, enabled })), inherited: false, enforce: false };
}

function switchedOffError(names: string[]): { code: string; message: string } {
  return { code: 'ExtensionSwitchedOff', message: `After the PUT, ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} off but ${names.length > 1 ? 'were' : 'was'} on before it. Switch ${names.length > 1 ? 'them' : 'it'} back on and find the other writer.` };
}

/** Undefined when the read-back state satisfies a governing PUT body (Standard, every True on); otherwise what is wrong. */
export function verify(desired: NonNullable<Plan['decision']['desired']>, after: PricingSnapshot): string | undefined {
  return bodyMismatch({ desired }, after);
}
