import type { Config } from '../config';
import { canonicalAiResourceType, isAiResource, resourceTypeOf } from '../ai-resource-types';
import type { AiResource, CloudPostureTier, ExemptionView, GovernContext, PolicyAssignmentInfo, PolicyView, PricingSnapshot, SnapshotEntry, SubscriptionInfo, TriggerDetail } from './model';
import { activeExemption, exemptingAssignmentIds, policyContextFor } from './policy-scope';

/**
 * The two ways a GovernContext comes about, as pure functions, so that decide() sees the same
 * shape whichever path read the tenant: a tenant snapshot (Resource Graph, whole scope) or direct
 * ARM reads of one subscription (events, the admin API, `govern --subscription`).
 */

/** What a snapshot assumes for a plan the index has no row for yet: Free, to be checked by the fresh ARM read before any write. */
export const NOT_INDEXED_PLAN: PricingSnapshot = { tier: 'Free', extensions: [], inherited: false, enforce: false, notIndexed: true };

export function contextFromSnapshot(entry: SnapshotEntry, policy: PolicyView, config: Config, now: Date): GovernContext {
  const { policyAssignments, exemption } = policyContextFor(policy, entry.subscription, config.policyAssignmentId, now);
  return {
    subscription: entry.subscription,
    aiResources: entry.aiResources,
    pricing: entry.pricing ?? NOT_INDEXED_PLAN,
    ...(entry.cloudPosture ? { cloudPosture: entry.cloudPosture } : {}),
    pricingBasis: { source: 'snapshot', readAt: now.toISOString() },
    policyAssignments,
    ...(exemption ? { exemption } : {}),
  };
}

export interface ArmReads {
  subscription: SubscriptionInfo;
  pricing?: PricingSnapshot;
  cloudPosture?: CloudPostureTier;
  /** Resources of the AI types, any kind (the inventory cannot filter kinds). */
  typedResources: AiResource[];
  /** Undefined when they could not be read (advisory: conflict warnings, which exemptions count). */
  policyAssignments: PolicyAssignmentInfo[] | undefined;
  exemptions: ExemptionView[];
  /** Reads that failed without blocking the decision, for the record's warnings. */
  readWarnings?: string[];
  /** When the pricing was read (the plan's basis); defaults to `now`. */
  pricingReadAt?: Date;
}

export function contextFromArm(reads: ArmReads, config: Config, detail: TriggerDetail | undefined, now: Date): GovernContext {
  // Without the assignments we cannot tell which exemptions are Defender-for-AI ones: every
  // exemption on the subscription then counts (the protective reading: skip rather than write).
  const exempting = reads.policyAssignments
    ? exemptingAssignmentIds(reads.policyAssignments, config.policyAssignmentId)
    : new Set(reads.exemptions.map((e) => e.policyAssignmentId.toLowerCase()));
  const exemption = activeExemption(reads.exemptions, exempting, now);
  return {
    subscription: reads.subscription,
    aiResources: withTriggerEvidence(reads.typedResources, detail, reads.subscription.subscriptionId),
    ...(reads.pricing ? { pricing: reads.pricing } : {}),
    ...(reads.cloudPosture ? { cloudPosture: reads.cloudPosture } : {}),
    pricingBasis: { source: 'arm', readAt: (reads.pricingReadAt ?? now).toISOString() },
    policyAssignments: reads.policyAssignments ?? [],
    ...(exemption ? { exemption } : {}),
    ...(reads.readWarnings?.length ? { readWarnings: reads.readWarnings } : {}),
  };
}

/**
 * The AI resources of the listing, plus the trigger's own resource when the listing does not show
 * it yet: list APIs lag the write event that announced it, and a new Azure OpenAI account must not
 * be skipped as "no AI resources" for that. A listed resource always wins (so a listed Speech
 * account stays not-AI); an unlisted one counts unless its known kind says it is not AI. The id
 * comes from outside (an event, a recheck): only one in this subscription counts, so a crafted
 * event naming some other subscription's account cannot make this one qualify for the plan.
 */
export function withTriggerEvidence(typedResources: readonly AiResource[], detail: TriggerDetail | undefined, subscriptionId: string): AiResource[] {
  const ai = typedResources.filter((r) => isAiResource(r.type, r.kind));
  const candidate = triggerCandidate(typedResources, detail, subscriptionId);
  return candidate ? [...ai, candidate] : ai;
}

/**
 * The trigger's own resource when it would count as evidence (in this subscription, of an AI
 * type, not listed yet, not known to be a non-AI kind). The id comes from outside: the engine
 * counts it only once a GET of exactly that id answers (load-context.ts), never on the event's word.
 */
export function triggerCandidate(typedResources: readonly AiResource[], detail: TriggerDetail | undefined, subscriptionId: string): AiResource | undefined {
  const id = detail?.resourceId;
  const type = id ? canonicalAiResourceType(resourceTypeOf(id) ?? '') : undefined;
  if (!id || !type) return undefined;
  if (!id.toLowerCase().startsWith(`/subscriptions/${subscriptionId.toLowerCase()}/`)) return undefined;
  if (typedResources.some((r) => r.id.toLowerCase() === id.toLowerCase())) return undefined;
  if (detail?.resourceKind !== undefined && !isAiResource(type, detail.resourceKind)) return undefined;
  return { id, type, ...(detail?.resourceKind ? { kind: detail.resourceKind } : {}) };
}
