import type { PricingSnapshot } from './model';

/**
 * A plan's state as records and saved plans keep it: the tier, the subPlan, each extension on or
 * off, and who else has a say (inherited, managed by another system). Enough to tell whether a
 * plan is still in the state a decision was made from (a stale plan is one where it is not).
 */
export interface PricingSummary {
  tier: 'Free' | 'Standard';
  subPlan?: string;
  /** Extension name -> enabled. */
  extensions: Record<string, boolean>;
  inherited?: boolean;
  /** Pricings 2026-07-01: the system that manages the plan, and where its last change came from. */
  managedBy?: string;
  originatedFrom?: string;
}

export function summarisePricing(pricing: PricingSnapshot | undefined): PricingSummary | undefined {
  // A snapshot's placeholder for a plan Resource Graph has not indexed yet was never seen: unknown.
  if (!pricing || pricing.notIndexed) return undefined;
  const extensions: Record<string, boolean> = {};
  for (const e of pricing.extensions) extensions[e.name] = e.enabled;
  return {
    tier: pricing.tier,
    ...(pricing.subPlan ? { subPlan: pricing.subPlan } : {}),
    extensions,
    ...(pricing.inherited ? { inherited: true } : {}),
    ...(pricing.managedBy ? { managedBy: pricing.managedBy } : {}),
    ...(pricing.originatedFrom ? { originatedFrom: pricing.originatedFrom } : {}),
  };
}

/** A summary back as a snapshot (no enforce flag, no additional properties: what a summary cannot say). */
export function snapshotOfSummary(summary: PricingSummary): PricingSnapshot {
  return {
    tier: summary.tier,
    ...(summary.subPlan ? { subPlan: summary.subPlan } : {}),
    extensions: Object.entries(summary.extensions).map(([name, enabled]) => ({ name, enabled })),
    inherited: summary.inherited === true,
    enforce: false,
    ...(summary.managedBy ? { managedBy: summary.managedBy } : {}),
    ...(summary.originatedFrom ? { originatedFrom: summary.originatedFrom } : {}),
  };
}
