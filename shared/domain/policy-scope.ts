import type { ActiveExemption, ExemptionView, PolicyAssignmentInfo, PolicyAssignmentView, PolicyView, SubscriptionInfo } from './model';
import { findDefenderForAiPolicy } from './policy-conflicts';

/**
 * Which policy assignments and exemptions apply to a subscription, and whether one exempts it from
 * the governor. Pure: the same rules for a tenant snapshot (where scopes are compared here, with the
 * subscription's management-group ancestry) and for direct ARM reads (where atScope() already did it).
 *
 * An unexpired exemption exempts a subscription when it is on the configured audit assignment
 * (D4AI_POLICY_ASSIGNMENT_ID) or on any assignment of a Defender-for-AI definition the engine knows
 * (the built-in audit policy the deployment assigns, or one of the DeployIfNotExists policies), so a
 * run whose setting was left unset still honours the exemptions an operator made.
 */

/** Built-in "Microsoft Defender for AI Services should be enabled" (audit), the one infra/ assigns. */
export const AUDIT_POLICY_DEFINITION_ID = '/providers/Microsoft.Authorization/policyDefinitions/c2c0c6d8-007b-4a48-8d9b-3539bddd8e87';

const AUDIT_DEFINITION_SUFFIX = AUDIT_POLICY_DEFINITION_ID.slice(AUDIT_POLICY_DEFINITION_ID.lastIndexOf('/')).toLowerCase();

/** True for the audit policy and for the DeployIfNotExists policies and initiatives of Defender for AI. */
export function isDefenderForAiDefinition(policyDefinitionId: string): boolean {
  const id = policyDefinitionId.toLowerCase();
  return id.endsWith(AUDIT_DEFINITION_SUFFIX) || findDefenderForAiPolicy(id) !== undefined;
}

/** The scope part of a policy resource id (everything before `/providers/Microsoft.Authorization/`). */
export function policyResourceScope(id: string): string {
  const at = id.toLowerCase().lastIndexOf('/providers/microsoft.authorization/');
  return at > 0 ? id.slice(0, at) : id;
}

/** True when something at `scope` covers the whole subscription: the subscription itself or a management group above it. */
export function coversSubscription(scope: string, subscription: Pick<SubscriptionInfo, 'subscriptionId' | 'managementGroupAncestors'>): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  if (s === `/subscriptions/${subscription.subscriptionId.toLowerCase()}`) return true;
  const mg = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)$/.exec(s)?.[1];
  return mg !== undefined && (subscription.managementGroupAncestors ?? []).some((a) => a.toLowerCase() === mg);
}

/** The first unexpired exemption on one of the relevant assignments; expired ones never count. */
export function activeExemption(exemptions: readonly ExemptionView[], relevantAssignmentIds: ReadonlySet<string>, now: Date): ActiveExemption | undefined {
  for (const exemption of exemptions) {
    if (!relevantAssignmentIds.has(exemption.policyAssignmentId.toLowerCase())) continue;
    if (exemption.expiresOn !== undefined && !(Date.parse(exemption.expiresOn) > now.getTime())) continue;
    return {
      id: exemption.id,
      category: exemption.category,
      ...(exemption.expiresOn ? { expiresOn: exemption.expiresOn } : {}),
      ...(exemption.displayName ? { displayName: exemption.displayName } : {}),
      ...(exemption.expiresOn !== undefined ? { daysLeft: Math.max(0, Math.ceil((Date.parse(exemption.expiresOn) - now.getTime()) / 86_400_000)) } : {}),
    };
  }
  return undefined;
}

/** Assignment ids whose exemptions exempt from the governor: the configured one plus every Defender-for-AI assignment that applies. */
export function exemptingAssignmentIds(assignments: readonly PolicyAssignmentInfo[], configuredAssignmentId: string | undefined): Set<string> {
  const ids = new Set(assignments.filter((a) => isDefenderForAiDefinition(a.policyDefinitionId)).map((a) => a.id.toLowerCase()));
  if (configuredAssignmentId) ids.add(configuredAssignmentId.toLowerCase());
  return ids;
}

/** The policy part of a subscription's context, from the tenant view. */
export function policyContextFor(
  view: PolicyView,
  subscription: Pick<SubscriptionInfo, 'subscriptionId' | 'managementGroupAncestors'>,
  configuredAssignmentId: string | undefined,
  now: Date,
): { policyAssignments: PolicyAssignmentInfo[]; exemption?: ActiveExemption } {
  const applying = view.assignments.filter(
    (a) => coversSubscription(a.scope, subscription) && !a.notScopes.some((n) => coversSubscription(n, subscription)),
  );
  const policyAssignments = applying.map(({ scope: _scope, notScopes: _notScopes, ...info }) => info);
  const exemptions = view.exemptions.filter((e) => coversSubscription(policyResourceScope(e.id), subscription));
  const exemption = activeExemption(exemptions, exemptingAssignmentIds(policyAssignments, configuredAssignmentId), now);
  return { policyAssignments, ...(exemption ? { exemption } : {}) };
}

/** Keeps what a snapshot needs of the tenant's policy: Defender-for-AI assignments and the exemptions on them (or on the configured one). */
export function narrowPolicyView(assignments: readonly PolicyAssignmentView[], exemptions: readonly ExemptionView[], configuredAssignmentId: string | undefined): PolicyView {
  const kept = assignments.filter((a) => isDefenderForAiDefinition(a.policyDefinitionId) || a.id.toLowerCase() === configuredAssignmentId?.toLowerCase());
  const ids = new Set(kept.map((a) => a.id.toLowerCase()));
  if (configuredAssignmentId) ids.add(configuredAssignmentId.toLowerCase());
  return { assignments: kept, exemptions: exemptions.filter((e) => ids.has(e.policyAssignmentId.toLowerCase())) };
}
