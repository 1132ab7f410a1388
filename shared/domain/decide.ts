import type { Config } from '../config';
import { AI_EXTENSIONS, AI_EXTENSION_TITLES, type AiExtensionName } from './extensions';
import type { DesiredPricing, GovernContext, PricingBody, PricingSnapshot } from './model';
import { nameOf, optedOutAccounts, protectedAiResources } from './accounts';
import { missingFrom } from './components';
import { findingsOf, type Finding } from './findings';
import { ExtensionSet, isKnownExtension } from './extension-set';
import { planChange, type PlanDecision, type PlannedChange } from './plan';
import type { PricingSummary } from './pricing-summary';
import { policyConflictWarnings } from './policy-conflicts';

/**
 * The whole "what should this subscription's AI plan be" logic, as a pure function. It reads
 * nothing and writes nothing: the engine (CLI) and the orchestrator (Functions) call it with the
 * context their activities loaded, so both decide identically and a replay decides the same.
 */

export { missingFrom };

export type Action = 'enable' | 'add-components' | 'none' | 'skip';

export type SkipReason =
  /** Not under D4AI_MANAGEMENT_GROUP (or its ancestry could not be read): never written, whatever the path. */
  | 'out-of-scope'
  | 'subscription-disabled'
  | 'excluded'
  | 'opt-out-tag'
  | 'policy-exemption'
  | 'plan-unavailable'
  | 'inherited'
  | 'no-ai-resources'
  | 'cap-reached'
  | 'extension-backoff'
  /** Pricings 2026-07-01 says another management system (e.g. an M365 security rule) owns the plan. */
  | 'managed-elsewhere'
  /** Every AI account of the subscription opted out of Defender for AI (defenderForAISettings Disabled). */
  | 'accounts-opted-out'
  /** A revert found the plan changed since the run it reverts (decide() never returns it). */
  | 'changed-since';

export interface Decision {
  action: Action;
  skipReason?: SkipReason;
  /** The exact PUT body, present when the action is enable or add-components. */
  desired?: DesiredPricing;
  /** What that body changes, extension by extension (the plan a dry run shows). */
  change?: PlannedChange;
  /** Components the configuration wants that are not on yet. */
  missingComponents: AiExtensionName[];
  /** Human-readable, in the order they were considered. */
  reasons: string[];
  /** Things an operator should know that did not change the action (e.g. a fighting DINE policy). */
  warnings: string[];
  /** What stands between the plan and protection (domain/findings.ts), whatever the action. */
  findings?: Finding[];
}

export interface DecideOptions {
  /** Writes (enable/add-components) already decided in this run, for the sweep guard. */
  writesSoFar?: number;
  /** Decide as if D4AI_MAX_ENABLEMENTS_PER_RUN had room: whether a subscription is a write candidate at all. */
  uncapped?: boolean;
}

// Subscription states in which ARM still accepts writes.
const ACTIVE_STATES = ['enabled', 'warned', 'pastdue'];

export function decide(context: GovernContext, config: Config, options: DecideOptions = {}): Decision {
  const decision = decideAction(context, config, options);
  // A subscription skipped on its own facts (disabled, excluded, opted out) was not looked into.
  if (skipBeforeReading(context.subscription, config)) return decision;
  const findings = findingsOf(context, config);
  return findings.length ? { ...decision, findings } : decision;
}

function decideAction(context: GovernContext, config: Config, options: DecideOptions): Decision {
  const { subscription, aiResources, pricing } = context;
  const warnings = [...(context.readWarnings ?? []), ...policyConflictWarnings(context.policyAssignments, config.components), ...accountWarnings(context)];
  const missingComponents = pricing ? missingFrom(pricing, config.components) : [...config.components];
  const skip = (skipReason: SkipReason, reason: string): Decision => ({
    action: 'skip',
    skipReason,
    missingComponents,
    reasons: [reason],
    warnings,
  });

  const early = skipBeforeReading(subscription, config);
  if (early) return skip(early.skipReason, early.reason);
  if (context.exemption) {
    const until = context.exemption.expiresOn ? ` until ${context.exemption.expiresOn}` : ' with no expiry';
    return skip('policy-exemption', `Policy exemption ${context.exemption.id} (${context.exemption.category})${until}.`);
  }
  if (!pricing) {
    return skip('plan-unavailable', 'The service has no AI plan for this subscription (not offered in this cloud or region).');
  }

  if (pricing.managedBy) {
    const origin = pricing.originatedFrom ? ` (originated from ${pricing.originatedFrom})` : '';
    return skip('managed-elsewhere', `The AI plan is managed by ${pricing.managedBy}${origin}; the governor never writes a plan another system manages. It is ${pricing.tier}, missing: ${listOrNone(missingComponents)}.`);
  }
  const compliant = pricing.tier === 'Standard' && missingComponents.length === 0;
  if (compliant) {
    return { action: 'none', missingComponents, reasons: [describeCompliant(pricing, config.components)], warnings };
  }
  if (pricing.inherited) {
    const from = pricing.inheritedFrom ? ` from ${pricing.inheritedFrom}` : ' from a parent scope';
    const enforced = pricing.enforce ? ' and enforced' : '';
    return skip(
      'inherited',
      `The AI plan is inherited${from}${enforced}; it is changed there, not per subscription. Missing: ${listOrNone(missingComponents)}.`,
    );
  }
  if (config.enableWhen === 'ai-resources' && aiResources.length === 0) {
    return skip(
      'no-ai-resources',
      `No AI resources found and D4AI_ENABLE_WHEN=ai-resources; plan stays ${pricing.tier}${missingComponents.length ? ` (missing: ${missingComponents.join(', ')})` : ''}.`,
    );
  }
  const optedOut = optedOutAccounts(context.accounts);
  if (config.enableWhen === 'ai-resources' && aiResources.length > 0 && optedOut.length > 0 && protectedAiResources(context).length === 0 && pricing.tier !== 'Standard') {
    return skip(
      'accounts-opted-out',
      `Every AI resource belongs to an account that opted out of Defender for AI (${optedOut.map(nameOf).join(', ')}): enabling the plan would bill for nothing protected. The owners' choice is reported, never changed.`,
    );
  }
  const backoff = context.extensionBackoff;
  if (pricing.tier === 'Standard' && backoff?.active && ExtensionSet.names(backoff.extensions).includesAll(missingComponents)) {
    return skip(
      'extension-backoff',
      `The service failed to enable ${missingComponents.join(', ')} on the last ${backoff.attempts} attempt(s)${backoff.message ? ` (${backoff.message})` : ''}; next attempt after ${backoff.retryAfter}.`,
    );
  }
  if (!options.uncapped && (options.writesSoFar ?? 0) >= config.maxEnablementsPerRun) {
    return skip(
      'cap-reached',
      `This run already reached D4AI_MAX_ENABLEMENTS_PER_RUN=${config.maxEnablementsPerRun}; the next run picks this subscription up.`,
    );
  }

  const action: Action = pricing.tier === 'Standard' ? 'add-components' : 'enable';
  const why =
    config.enableWhen === 'always'
      ? 'D4AI_ENABLE_WHEN=always.'
      : `${context.aiResourceTotal ?? aiResources.length} AI resource(s) found, e.g. ${aiResources[0]?.id ?? ''}.`;
  const what =
    action === 'enable'
      ? `Plan is ${pricing.tier}: switch to Standard with ${config.components.join(', ') || 'no extra components'}.`
      : `Plan is Standard but ${missingComponents.map((c) => `${c} (${AI_EXTENSION_TITLES[c]})`).join(', ')} ${missingComponents.length > 1 ? 'are' : 'is'} off: switch on.`;
  const desired = desiredPricing(pricing, config.components);
  return { action, missingComponents, desired, change: planChange(pricing, desired), reasons: [why, what], warnings };
}

/**
 * The PUT body: Standard, the existing subPlan kept, and every known AI extension listed explicitly
 * (a PUT that omits extensions lets the service apply its defaults, which can switch on Purview
 * sharing nobody chose). Enabled stays enabled: nothing is ever switched off. Extensions the
 * service reports that we do not know are passed through unchanged for the same reason.
 */
export function desiredPricing(current: PricingSnapshot, components: readonly AiExtensionName[]): DesiredPricing {
  const existing = ExtensionSet.of(current.extensions);
  const wanted = ExtensionSet.names(components);
  const names = [...AI_EXTENSIONS, ...existing.names().filter((n) => !isKnownExtension(n))];
  const extensions = names.map((name) => {
    const found = existing.get(name);
    const on = found?.enabled === true || wanted.has(name);
    return {
      name,
      isEnabled: on ? ('True' as const) : ('False' as const),
      ...(found?.additionalExtensionProperties ? { additionalExtensionProperties: found.additionalExtensionProperties } : {}),
    };
  });
  return { pricingTier: 'Standard', ...(current.subPlan ? { subPlan: current.subPlan } : {}), extensions };
}

/**
 * A revert's decision: the body that puts back `restore` (a record's before-state: its tier and
 * subPlan, every extension listed explicitly, what it did not list off), computed against the plan
 * as it is now (`current`, whose extensions' spelling and settings are kept). The one body that
 * may switch something off; only `d4ai revert` asks for it.
 */
export function decideRevert(restore: PricingSummary, current: PricingSnapshot, origin: string): PlanDecision {
  const now = ExtensionSet.of(current.extensions);
  const then = ExtensionSet.ofSummary(restore);
  const names = [...new Set([...AI_EXTENSIONS, ...now.names(), ...Object.keys(restore.extensions)].map((n) => now.canonical(n)))];
  const body: PricingBody = {
    pricingTier: restore.tier,
    ...(restore.tier === 'Standard' && restore.subPlan ? { subPlan: restore.subPlan } : {}),
    extensions: [...ExtensionSet.names(names).names()].map((name) => {
      const found = now.get(name);
      return {
        name,
        isEnabled: then.isOn(name) ? ('True' as const) : ('False' as const),
        ...(found?.additionalExtensionProperties ? { additionalExtensionProperties: found.additionalExtensionProperties } : {}),
      };
    }),
  };
  return { action: 'revert', missingComponents: [], reasons: [origin], warnings: [], desired: body, change: planChange(current, body) };
}

/**
 * The skips that need nothing but the subscription itself. The context loader asks this first so
 * that excluded, opted-out or disabled subscriptions cost no further ARM reads.
 */
export function skipBeforeReading(
  subscription: GovernContext['subscription'],
  config: Config,
): { skipReason: SkipReason; reason: string } | undefined {
  const outOfScope = outOfScopeReason(subscription, config);
  if (outOfScope) return { skipReason: 'out-of-scope', reason: outOfScope };
  if (!ACTIVE_STATES.includes(subscription.state.toLowerCase())) {
    return { skipReason: 'subscription-disabled', reason: `Subscription state is ${subscription.state}; ARM accepts no writes to it.` };
  }
  if (config.excludedSubscriptions.includes(subscription.subscriptionId.toLowerCase())) {
    return { skipReason: 'excluded', reason: 'Subscription is listed in D4AI_EXCLUDED_SUBSCRIPTIONS.' };
  }
  const optOut = tagValue(subscription.tags, config.optOutTag);
  if (optOut !== undefined && optOut.trim().toLowerCase() === 'true') {
    return { skipReason: 'opt-out-tag', reason: `Subscription tag ${config.optOutTag}=${optOut} opts it out.` };
  }
  return undefined;
}

/**
 * One scope for every path: with D4AI_MANAGEMENT_GROUP set, a subscription whose management-group
 * ancestry (Resource Graph's managementGroupAncestorsChain) does not name it is out of scope. The
 * snapshot always carries the ancestry; the single-subscription loader reads it when the setting is
 * set (an empty list means it could not be read: out of scope too, so nothing is written on a guess).
 * Without the setting the documented scope applies: every subscription the identity can read.
 */
export function outOfScopeReason(subscription: GovernContext['subscription'], config: Pick<Config, 'managementGroup'>): string | undefined {
  const group = config.managementGroup;
  const ancestors = subscription.managementGroupAncestors;
  if (!group || ancestors === undefined) return undefined;
  if (ancestors.some((a) => a.toLowerCase() === group.toLowerCase())) return undefined;
  if (ancestors.length === 0) {
    return `Subscription's management-group ancestry could not be read (Resource Graph does not list it yet), so it cannot be shown to be under D4AI_MANAGEMENT_GROUP=${group}: out of scope, nothing is written.`;
  }
  return `Subscription is not under D4AI_MANAGEMENT_GROUP=${group} (its management groups: ${ancestors.join(' > ')}): out of scope, nothing is written.`;
}

/** Whether the action (of a decision, a plan, or a stored record) writes to ARM in enforce mode; the sweep cap counts governing writes (a revert is never capped). */
export function isWrite(decision: { readonly action: string }): boolean {
  return decision.action === 'enable' || decision.action === 'add-components' || decision.action === 'revert';
}

function tagValue(tags: Record<string, string>, name: string): string | undefined {
  // Azure tag names are case-insensitive.
  const key = Object.keys(tags).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : tags[key];
}

function describeCompliant(pricing: PricingSnapshot, components: readonly AiExtensionName[]): string {
  const on = pricing.extensions.filter((e) => e.enabled).map((e) => e.name);
  // The components asked for are named once; only what is on besides them is added.
  const extra = on.filter((name) => !(components as readonly string[]).includes(name));
  const wanted = components.length ? `all of ${components.join(', ')} on` : 'no components required';
  return `Plan is Standard with ${wanted}${extra.length ? `; also on: ${extra.join(', ')}` : components.length ? '' : ` (enabled: ${listOrNone(on)})`}.`;
}

function listOrNone(items: readonly string[]): string {
  return items.length ? items.join(', ') : 'none';
}

/** What the per-account reads found that an operator should know: opt-outs, shields off, unread accounts. */
function accountWarnings(context: GovernContext): string[] {
  const accounts = context.accounts ?? [];
  const out = optedOutAccounts(accounts);
  return [
    ...(out.length
      ? [`${out.length} of ${accounts.length} AI account(s) opted out of Defender for AI (defenderForAISettings state Disabled): ${out.map(nameOf).join(', ')}; the plan does not protect them. The governor never changes an account's setting.`]
      : []),
    ...accounts.flatMap((a) => a.promptShieldsOff.map((p) => `Prompt shield off: deployment ${p.deployment} of ${nameOf(a.accountId)} uses content filter ${p.policy} with the ${p.filter} filter (source Prompt) disabled; Defender's jailbreak detection depends on it.`)),
    ...accounts.flatMap((a) => a.problems.map((p) => `${nameOf(a.accountId)}: ${p}`)),
  ];
}
