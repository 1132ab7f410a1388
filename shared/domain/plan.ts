import type { Action, Decision } from './decide';
import { ExtensionSet, isKnownExtension } from './extension-set';
import type { GovernContext, PricingBody, PricingSnapshot } from './model';
import { summarisePricing, type PricingSummary } from './pricing-summary';

/**
 * The plan: what the governor will do to one subscription's AI plan, as a value that is printed,
 * stored, saved to a file, confirmed, and then applied exactly (shared/engine/apply.ts). It holds
 * the decision (its action and reasons, the exact PUT body, the per-extension change, the
 * findings), the state the decision was computed from (`before`) and where that state was read
 * (`basis`). Apply compares `before` with a fresh read under the lock: where they differ the plan
 * is stale and is not written as it stands.
 */

/** Where a plan's before-state was read: an ARM GET at a time, or a Resource Graph snapshot (which lags ARM). */
export interface PlanBasis {
  source: 'arm' | 'snapshot';
  readAt: string;
}

/** A decision as a plan (and a record) holds it: governing's, or a revert's (the one that may write any tier). */
export type PlanDecision = Omit<Decision, 'action' | 'desired'> & { action: Action | 'revert'; desired?: PricingBody };

export interface Plan {
  subscriptionId: string;
  subscriptionName?: string;
  decision: PlanDecision;
  /** The plan's state the decision was made from; undefined when there was none to read (not offered, not indexed). */
  before?: PricingSummary;
  basis: PlanBasis;
  /** The AI resources the decision saw (the first few ids and how many), so a saved plan's record says what the dry run said. */
  aiResources: { count: number; ids: string[] };
}

/** AI resource ids a plan keeps (enough to explain the decision). */
export const PLAN_RESOURCE_IDS = 10;

export function planOf(context: GovernContext, decision: PlanDecision, fallbackReadAt: Date): Plan {
  const before = summarisePricing(context.pricing);
  const name = context.subscription.displayName;
  return {
    subscriptionId: context.subscription.subscriptionId.toLowerCase(),
    ...(name ? { subscriptionName: name } : {}),
    decision,
    ...(before ? { before } : {}),
    basis: context.pricingBasis ?? { source: 'snapshot', readAt: fallbackReadAt.toISOString() },
    aiResources: { count: context.aiResourceTotal ?? context.aiResources.length, ids: context.aiResources.slice(0, PLAN_RESOURCE_IDS).map((r) => r.id) },
  };
}

/**
 * What a PUT body changes, extension by extension, against the plan as it was read: the plan a
 * dry run shows and every record keeps (`change`). Pure, so the CLI, the Functions app and a
 * revert describe a change the same way.
 */
export interface PlannedChange {
  /** `unknown`: decided on a snapshot that has no row for the plan yet (the write's fresh read says what it is). */
  tier: { from: 'Free' | 'Standard' | 'none' | 'unknown'; to: 'Free' | 'Standard' };
  /** Switched on by the body. */
  switchOn: string[];
  /** On before and kept on (listed as True). */
  keptOn: string[];
  /** Off before and listed as False. */
  staysOff: string[];
  /** Switched off by the body: only a revert ever does this. */
  switchOff: string[];
  /** Extensions the governor does not know, passed through as the service reported them. */
  passedThrough: string[];
}

export function planChange(current: PricingSnapshot | undefined, body: PricingBody): PlannedChange {
  const wasOn = ExtensionSet.ofPlan(current);
  const willBeOn = ExtensionSet.ofBody(body);
  const change: PlannedChange = { tier: { from: current?.notIndexed ? 'unknown' : (current?.tier ?? 'none'), to: body.pricingTier }, switchOn: [], keptOn: [], staysOff: [], switchOff: [], passedThrough: [] };
  for (const name of willBeOn.names()) {
    const before = wasOn.isOn(name);
    const after = willBeOn.isOn(name);
    if (!isKnownExtension(name) && before === after) change.passedThrough.push(name);
    else if (after && !before) change.switchOn.push(name);
    else if (after) change.keptOn.push(name);
    else if (before) change.switchOff.push(name);
    else change.staysOff.push(name);
  }
  return change;
}

/** True when the body changes anything at all. */
export function isChange(change: PlannedChange): boolean {
  return change.tier.from !== change.tier.to || change.switchOn.length > 0 || change.switchOff.length > 0;
}

/** One line: "Free → Standard +AIPromptEvidence +AIModelScanner (AIPromptSharingWithPurview stays off)". */
export function changeText(change: PlannedChange): string {
  const tier = change.tier.from === change.tier.to ? change.tier.to : `${change.tier.from} → ${change.tier.to}`;
  const moves = [...change.switchOn.map((n) => `+${n}`), ...change.switchOff.map((n) => `-${n}`)];
  const kept = [
    ...(change.keptOn.length ? [`${change.keptOn.join(', ')} kept on`] : []),
    ...(change.staysOff.length ? [`${change.staysOff.join(', ')} stays off`] : []),
    ...(change.passedThrough.length ? [`${change.passedThrough.join(', ')} (unknown) kept as is`] : []),
  ];
  return [tier, ...moves].join(' ') + (kept.length ? ` (${kept.join('; ')})` : '');
}

/** The kinds of change, for a summary's counts: "Free → Standard", "+AIModelScanner", "-AIPromptEvidence". */
export function changeKinds(change: PlannedChange): string[] {
  return [
    ...(change.tier.from !== change.tier.to ? [`${change.tier.from} → ${change.tier.to}`] : []),
    ...change.switchOn.map((n) => `+${n}`),
    ...change.switchOff.map((n) => `-${n}`),
  ];
}

/**
 * Why a plan is stale: how the plan's state now differs from the state the plan was computed from
 * (empty: it is not stale). Another system taking the plan over, the plan becoming inherited, the
 * tier, the subPlan, and each extension's on/off state count; extension states of a Free plan do
 * not (they protect nothing). A plan whose before-state was never read is stale against any read.
 */
export function staleness(before: PricingSummary | undefined, now: PricingSummary | undefined): string[] {
  if (!before && !now) return [];
  if (!before) return [`the plan was not read when this plan was made; it is ${now?.tier} now`];
  if (!now) return ['the service has no AI plan for this subscription now'];
  const out: string[] = [];
  if ((now.managedBy ?? '') !== (before.managedBy ?? '')) out.push(now.managedBy ? `the plan is managed by ${now.managedBy} now` : `the plan is no longer managed by ${before.managedBy}`);
  if ((now.inherited ?? false) !== (before.inherited ?? false)) out.push(now.inherited ? 'the plan is inherited from a parent scope now' : 'the plan is no longer inherited');
  if (now.tier !== before.tier) out.push(`the plan is ${now.tier}, was ${before.tier}`);
  if (now.tier === 'Free' && before.tier === 'Free') return out;
  if ((now.subPlan ?? '') !== (before.subPlan ?? '')) out.push(`subPlan is ${now.subPlan ?? 'none'}, was ${before.subPlan ?? 'none'}`);
  out.push(...ExtensionSet.ofSummary(now).differencesFrom(ExtensionSet.ofSummary(before)));
  return out;
}

/**
 * What keeps `after` from being what the plan's body asks for (undefined: it is): the tier, every
 * extension listed True on, and every extension the plan switches off off. Extensions the body
 * lists False but that were already off may be on after (another writer's choice, kept).
 */
export function bodyMismatch(decision: Pick<PlanDecision, 'desired' | 'change'>, after: PricingSnapshot): string | undefined {
  const body = decision.desired;
  if (!body) return 'The plan has no body.';
  if (after.tier !== body.pricingTier) return `Read-back shows pricingTier ${after.tier}, expected ${body.pricingTier}.`;
  const missing = notOnAfter(decision, after);
  if (missing.length) return `Read-back shows ${missing.join(', ')} not enabled.`;
  const stillOn = (decision.change?.switchOff ?? []).filter((n) => ExtensionSet.ofPlan(after).isOn(n));
  return stillOn.length ? `Read-back shows ${stillOn.join(', ')} still enabled.` : undefined;
}

/** The extensions the plan's body lists True that are not on in `after` (none for a plan without a body). */
export function notOnAfter(decision: Pick<PlanDecision, 'desired'>, after: PricingSnapshot): string[] {
  if (!decision.desired) return [];
  const now = ExtensionSet.ofPlan(after);
  return ExtensionSet.ofBody(decision.desired)
    .on()
    .filter((n) => !now.isOn(n));
}
