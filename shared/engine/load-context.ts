import type { Config } from '../config';
import { skipBeforeReading } from '../domain/decide';
import type { GovernContext, SubscriptionInfo } from '../domain/model';
import { GovernError } from './errors';
import type { Ports } from './ports';

/**
 * Reads everything the decision needs. Subscriptions that are skipped on their own facts
 * (disabled, excluded, opted out) or exempt cost no further reads; the rest are read in parallel.
 * A sweep passes the subscription as it just listed it (state and tags), saving one GET each.
 */
export async function loadContext(ports: Ports, config: Config, subscriptionId: string, listed?: SubscriptionInfo): Promise<GovernContext> {
  const subscription = listed ?? (await ports.subscriptions.get(subscriptionId));
  if (!subscription) {
    throw new GovernError('SubscriptionNotFound', `Subscription ${subscriptionId} does not exist or the identity cannot read it.`);
  }
  const empty: GovernContext = { subscription, aiResources: [], policyAssignments: [] };
  if (skipBeforeReading(subscription, config)) return empty;

  if (config.policyAssignmentId) {
    const exemption = await ports.exemptions.findActive(subscription.subscriptionId, config.policyAssignmentId, ports.clock());
    if (exemption) return { ...empty, exemption };
  }

  const [pricing, aiResources, policyAssignments] = await Promise.all([
    ports.pricing.get(subscription.subscriptionId),
    ports.inventory.listAiResources(subscription.subscriptionId),
    ports.policyAssignments.listDefenderForAi(subscription.subscriptionId),
  ]);
  return { subscription, aiResources, ...(pricing ? { pricing } : {}), policyAssignments };
}
